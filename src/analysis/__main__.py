"""`python -m analysis <stage>`: the commands dvc.yaml runs."""

import sys

from analysis.pipeline.cli import main

if __name__ == "__main__":
    sys.exit(main())
