"""The bundle's entry point: the same as the ``pwtray`` command."""

import sys

from pwtray.cli import main

if __name__ == "__main__":
    sys.exit(main())
