"""``python -m tsgrad``: the ``tsgrad`` command line."""

import sys

from tsgrad.cli import main

if __name__ == "__main__":
    sys.exit(main())
