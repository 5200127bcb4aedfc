"""Write environment.yml from requirements.txt, so conda users get the same pins.

requirements.txt is the one source of pins (pip installs it; conda channels
are not reachable from every machine the project runs on). environment.yml
installs Python from conda and everything else from the same pinned list.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = """\
# Generated from requirements.txt by `make pins` - do not edit by hand.
# The same exact pins as requirements.txt; tests/test_environment.py checks it.
name: medarbetarenkat
channels:
  - conda-forge
dependencies:
  - python=3.11
  - pip
  - pip:
"""


def pins(requirements: Path) -> list[str]:
    lines = requirements.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def main() -> int:
    body = "".join(f"      - {pin}\n" for pin in pins(ROOT / "requirements.txt"))
    (ROOT / "environment.yml").write_text(HEADER + body, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
