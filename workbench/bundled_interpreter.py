"""The installed app's launcher as a Python interpreter for the workbench's own child processes.

An installer bundle (briefcase's .deb, .app, .msi) starts through a launcher that always runs
``python -m workbench``; there ``sys.executable`` is that launcher, not a Python. The workbench
starts its step processes, evaluations and probes as ``sys.executable [-u] [-P] -m MODULE …``
or ``sys.executable -c CODE …``, so in a bundle those command lines reach ``workbench.__main__``,
which hands them here. Only a launcher that is not a Python (its file name does not start with
``python``) is treated so; ``python -m workbench`` and the ``workbench`` console script of a pip
install never are.
"""

from __future__ import annotations

import io
import os
import runpy
import sys

# Interpreter options without a value that the child command lines may carry; accepted and
# ignored (the bundle's interpreter is already isolated), except -u, which unbuffers output.
_FLAGS = {"-u", "-P", "-I", "-E", "-s", "-S", "-B", "-O", "-OO", "-q"}
_WITH_VALUE = {"-X", "-W"}


def is_bundle_launcher(executable: str | None = None) -> bool:
    name = os.path.basename(executable if executable is not None else sys.executable or "")
    return bool(name) and not name.lower().startswith("python")


def run_as_interpreter(argv: list[str]) -> int | None:
    """Run ``argv[1:]`` as a Python command line when it is one and this is a bundle's launcher;
    returns the exit status, or None when ``argv`` is a workbench command line."""
    if not is_bundle_launcher() or len(argv) < 2 or not argv[1].startswith("-") \
            or (argv[1] not in _FLAGS | _WITH_VALUE | {"-m", "-c"}):
        return None
    rest = argv[1:]
    while rest and (rest[0] in _FLAGS or rest[0] in _WITH_VALUE):
        if rest[0] == "-u":
            for stream in (sys.stdout, sys.stderr):
                if isinstance(stream, io.TextIOWrapper):
                    stream.reconfigure(write_through=True)
        rest = rest[2:] if rest[0] in _WITH_VALUE else rest[1:]
    if len(rest) >= 2 and rest[0] == "-m":
        sys.argv = [rest[1], *rest[2:]]
        runpy.run_module(rest[1], run_name="__main__", alter_sys=True)
        return 0
    if len(rest) >= 2 and rest[0] == "-c":
        sys.argv = ["-c", *rest[2:]]
        exec(compile(rest[1], "<string>", "exec"), {"__name__": "__main__"})  # noqa: S102 - the workbench's own probe code
        return 0
    print(f"workbench: the launcher runs only '-m MODULE' or '-c CODE' as Python, not {' '.join(argv[1:])!r}",
          file=sys.stderr)
    return 2
