"""`python -m analysis <stage>`: the commands dvc.yaml runs."""

import sys

from analysis.cli import main

sys.exit(main())
