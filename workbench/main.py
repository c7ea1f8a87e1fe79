"""The ``workbench`` console script: a command runs headless; no command opens the desktop.

This module sits above both the CLI and the UI, so that the CLI never imports Qt.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from workbench.cli import main as cli_main
from workbench.cli.context import CliContext


def _check_gui() -> None:
    """Before long work that ends in a window (the demo): can Qt start here at all?"""
    from workbench.desktop_check import check_desktop

    check_desktop(full=True)


def _open_gui(ctx: CliContext) -> int:
    from workbench.desktop_check import check_desktop

    check_desktop()  # a clear message instead of Qt aborting the process
    from workbench.ui.app import run

    if ctx.project_given:  # the desktop opens on it (else on the project last chosen there)
        os.environ["WORKBENCH_PROJECT"] = ctx.project
    return run(store_url=ctx.store_url, user=ctx.user)


def main(argv: Sequence[str] | None = None) -> int:
    return cli_main(argv, open_gui=_open_gui, check_gui=_check_gui)


if __name__ == "__main__":
    sys.exit(main())
