"""``python -m workbench`` does what the ``workbench`` console script does."""

import sys

from workbench.main import main

if __name__ == "__main__":
    from workbench.bundled_interpreter import run_as_interpreter

    # an installer bundle's launcher also starts the workbench's own Python child processes
    status = run_as_interpreter(sys.argv)
    sys.exit(main() if status is None else status)
