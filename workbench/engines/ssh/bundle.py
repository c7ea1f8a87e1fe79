"""The runtime bundle shipped to remote hosts: a zip of exactly the modules a step needs
(``workbench.errors``, ``workbench.estimators``, ``workbench.engines.runtime``,
``workbench.monitoring``), importable with ``zipimport``, named by its sha256 so a host keeps
one copy per version; and the small bootstrap that starts a step there.

The bootstrap (stdlib only) puts itself at the head of a new process group (so cancel can
stop the whole group), reports its pid, checks every input file's sha256 against the spec,
then replaces itself with ``python -m workbench.engines.runtime spec.json``.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from functools import lru_cache
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # .../workbench
INCLUDED = ("__init__.py", "errors.py", "estimators.py", "progress.py", "redaction.py",
            "engines/__init__.py", "engines/runtime",
            "monitoring")

BOOTSTRAP = r'''
import hashlib, json, os, sys
try:
    os.setsid()
except PermissionError:  # already a session leader (sshd started us so): our group is ours
    if os.getpgid(0) != os.getpid():
        raise
print("@@workbench " + json.dumps({"remote_pid": os.getpid()}), flush=True)
spec = json.load(open("spec.json"))
for port, entries in spec.get("inputs", {}).items():
    for entry in entries:
        digest = hashlib.sha256()
        with open(entry["path"], "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != entry["sha256"]:
            print(f"input {entry['path']} of port {port!r} arrived damaged "
                  f"(sha256 {digest.hexdigest()}, expected {entry['sha256']})", file=sys.stderr, flush=True)
            sys.exit(3)
os.environ["PYTHONPATH"] = sys.argv[1] + os.pathsep + os.environ.get("PYTHONPATH", "")
os.environ["PYTHONUNBUFFERED"] = "1"
os.execv(sys.executable, [sys.executable, "-u", "-m", "workbench.engines.runtime", "spec.json"])
'''

HASH_OUTPUTS = r'''
import hashlib, json, os, sys
root = sys.argv[1]
result = {}
for folder, _, files in os.walk(root):
    for name in files:
        path = os.path.join(folder, name)
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        result[os.path.relpath(path, root)] = digest.hexdigest()
print(json.dumps(result))
'''

PROBE = r'''
import json, os, platform, shutil, subprocess, sys
info = {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()}
work = os.path.expanduser(sys.argv[1])
os.makedirs(work, exist_ok=True)
info["free_disk_gb"] = round(shutil.disk_usage(work).free / 2**30, 1)
for name in ("numpy", "pandas", "sklearn", "pyarrow", "torch"):
    try:
        module = __import__(name)
        info[name] = getattr(module, "__version__", "?")
    except Exception:
        info[name] = None
gpus = []
try:
    import torch
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            p = torch.cuda.get_device_properties(i)
            gpus.append({"name": p.name, "memory_total_mb": p.total_memory // 2**20})
except Exception:
    pass
if not gpus and shutil.which("nvidia-smi"):
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=10).stdout
        gpus = [{"name": n.strip(), "memory_total_mb": int(m)} for n, m in (l.split(",") for l in out.splitlines() if l)]
    except Exception:
        pass
info["gpus"] = gpus
print(json.dumps(info))
'''


@lru_cache(maxsize=1)
def runtime_bundle() -> tuple[bytes, str]:
    """The zip's bytes and sha256 (deterministic: sorted entries, fixed times)."""
    files: list[Path] = []
    for part in INCLUDED:
        path = PACKAGE_ROOT / part
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(str(Path("workbench") / path.relative_to(PACKAGE_ROOT)), (2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    data = buffer.getvalue()
    return data, hashlib.sha256(data).hexdigest()
