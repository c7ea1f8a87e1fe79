"""``python -m workbench`` does what the ``workbench`` console script does."""

import sys

from workbench.main import main

if __name__ == "__main__":
    sys.exit(main())
