"""Write the foreign-organisation test's input and params into OUT (OUT/input, OUT/params.yaml).

Run by compare_renders.py in one checkout, with that checkout's ``src`` and
``tests`` on PYTHONPATH, so that the input is exactly what its
tests/test_foreign_org.py feeds the pipeline: ``foreign_org.write_input(...,
"mixed")`` (questions.xlsx, units.csv, responses.csv, every report rendered)
and ``test_foreign_org._params`` (params.yaml pointed at it: year 2024, the
1..6 scale, 50 bootstrap resamples, drivers.min_n 30).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import foreign_org
import test_foreign_org
import yaml


def main(out: Path) -> None:
    input_dir = foreign_org.write_input(out.resolve() / "input", "mixed")
    params = dataclasses.asdict(test_foreign_org._params(input_dir))
    plain = json.loads(json.dumps(params))  # tuples as lists, which YAML can write
    text = yaml.safe_dump(plain, allow_unicode=True, sort_keys=False)
    (out / "params.yaml").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
