"""params.yaml is read strictly: a typo must fail, not fall back to a default."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.core.params import ParamsError, load_params, params_from_dict

ROOT = Path(__file__).resolve().parent.parent


def test_committed_params_load_with_contract_defaults() -> None:
    params = load_params(ROOT / "params.yaml")
    assert params.input.on_invalid == "fail"
    assert (params.survey.scale_min, params.survey.scale_max, params.survey.dont_know) == (1, 5, 0)
    assert params.privacy.min_group_size == 5
    assert params.report.years == (2023,)
    assert (params.targets.ami_namnd, params.targets.ami_stad) == (80, 83)


def test_unknown_key_is_rejected_with_its_path() -> None:
    with pytest.raises(ParamsError, match=r"privacy.*min_group"):
        params_from_dict({"privacy": {"min_group": 3}})


def test_wrong_type_is_rejected() -> None:
    with pytest.raises(ParamsError, match=r"survey\.scale_max"):
        params_from_dict({"survey": {"scale_max": "five"}})


def test_dont_know_inside_scale_is_rejected() -> None:
    with pytest.raises(ParamsError, match="dont_know"):
        params_from_dict({"survey": {"scale_min": 0, "scale_max": 10, "dont_know": 0}})


def test_single_year_becomes_a_tuple() -> None:
    assert params_from_dict({"report": {"years": 2022}}).report.years == (2022,)


def test_bad_on_invalid_is_rejected() -> None:
    with pytest.raises(ParamsError, match="on_invalid"):
        params_from_dict({"input": {"on_invalid": "ignore"}})
