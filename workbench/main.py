"""The ``workbench`` console script: a command runs headless; no command opens the desktop.

This module sits above both the CLI and the UI, so that the CLI never imports Qt.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from workbench.cli import main as cli_main
from workbench.cli.context import CliContext


def _open_gui(ctx: CliContext) -> int:
    from workbench.ui.app import run

    return run(store_url=ctx.store_url, user=ctx.user)


def main(argv: Sequence[str] | None = None) -> int:
    return cli_main(argv, open_gui=_open_gui)


if __name__ == "__main__":
    sys.exit(main())
