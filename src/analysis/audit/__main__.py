"""``python -m analysis.audit``: recompute every published number from the input tables."""

import sys

from analysis.audit.cli import main

if __name__ == "__main__":
    sys.exit(main())
