"""Typed view of ``params.yaml``.

One place reads the YAML so that every stage, notebook and test agrees on the
defaults and on what a key means; a misspelt key fails here, loudly, instead
of silently falling back to a default somewhere downstream.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

import yaml

from analysis.core.errors import UserError


class ParamsError(UserError, ValueError):
    """params.yaml has an unknown key or a value of the wrong kind."""


@dataclass(frozen=True)
class InputParams:
    dir: str = "data/synthetic"
    on_invalid: str = "fail"


@dataclass(frozen=True)
class ReportParams:
    years: tuple[int, ...] = (2023,)
    school_types: tuple[str, ...] = ("grundskola", "gymnasieskola")
    action_plan_deadline: str = "16 juni"
    top_units: int = 5


@dataclass(frozen=True)
class SurveyParams:
    scale_min: int = 1
    scale_max: int = 5
    dont_know: int = 0


@dataclass(frozen=True)
class PrivacyParams:
    min_group_size: int = 5


@dataclass(frozen=True)
class LevelParams:
    good_from: int = 70
    improve_from: int = 45


@dataclass(frozen=True)
class TargetParams:
    ami_namnd: float = 80
    ami_stad: float = 83


@dataclass(frozen=True)
class DriverParams:
    min_n: int = 100
    bootstrap: int = 1000
    seed: int = 20230301
    resample: str = "respondents"
    resample_min_units: int = 30
    ci_level: float = 0.95
    # pairwise: every respondent with an outcome (docs/assumptions.md); listwise: the
    # contract's reference arithmetic, respondents who answered every driver
    missing: str = "pairwise"
    # empirical_bayes: each unit's and manager's correlations shrunk towards its
    # parent's (pairwise only); none: own analysis at min_n or more, else borrowed
    shrinkage: str = "empirical_bayes"
    # fewer respondents than this and a unit borrows its parent's importances whole
    min_own: int = 10


@dataclass(frozen=True)
class SynthParams:
    seed: int = 2023
    years: tuple[int, ...] = (2021, 2022, 2023)
    employees: int = 15000
    grundskolor: int = 140
    gymnasieskolor: int = 30
    avdelningar: int = 10
    # median own staff of the förvaltning and of each område (0 = none above the
    # schools; else at least 8); one in three områden gets 2-4 instead (synth_own_staff)
    own_staff: int = 12
    # planted heterogeneity of the driver effects (synth/local_drivers.py): each område
    # deviates from the shared effects (normal, sd omrade_spread) and each school or
    # avdelning adds local_effect to local_drivers drivers of its own, and each work
    # group group_effect to group_drivers more (off by default: docs/assumptions.md);
    # local_effect, group_effect and omrade_spread 0 = one set of effects for everyone
    # (the files before, byte for byte)
    local_drivers: int = 2
    local_effect: float = 0.4
    omrade_spread: float = 0.03
    group_drivers: int = 2
    group_effect: float = 0.0


@dataclass(frozen=True)
class Params:
    input: InputParams = field(default_factory=InputParams)
    report: ReportParams = field(default_factory=ReportParams)
    survey: SurveyParams = field(default_factory=SurveyParams)
    privacy: PrivacyParams = field(default_factory=PrivacyParams)
    levels: LevelParams = field(default_factory=LevelParams)
    targets: TargetParams = field(default_factory=TargetParams)
    drivers: DriverParams = field(default_factory=DriverParams)
    synth: SynthParams = field(default_factory=SynthParams)

    def validate(self) -> Params:
        """Check cross-field rules that a type alone cannot express."""
        if self.input.on_invalid not in ("fail", "quarantine"):
            raise ParamsError(
                f"input.on_invalid must be 'fail' or 'quarantine', got {self.input.on_invalid!r}"
            )
        if self.survey.scale_max <= self.survey.scale_min:
            raise ParamsError("survey.scale_max must be greater than survey.scale_min")
        if self.survey.scale_min <= self.survey.dont_know <= self.survey.scale_max:
            raise ParamsError("survey.dont_know must lie outside the answer scale")
        if self.privacy.min_group_size < 1:
            raise ParamsError("privacy.min_group_size must be at least 1")
        if self.drivers.resample not in ("respondents", "units"):
            raise ParamsError("drivers.resample must be 'respondents' or 'units'")
        # the values of analysis.core.contract.MISSING_*, written out: importing the
        # contract loads pandas, and params are read before the BLAS threads are pinned
        if self.drivers.missing not in ("listwise", "pairwise"):
            raise ParamsError("drivers.missing must be 'listwise' or 'pairwise'")
        if self.drivers.shrinkage not in ("empirical_bayes", "none"):
            raise ParamsError("drivers.shrinkage must be 'empirical_bayes' or 'none'")
        if self.drivers.min_own < 3:
            raise ParamsError("drivers.min_own must be at least 3")
        if self.drivers.resample_min_units < 2:
            raise ParamsError("drivers.resample_min_units must be at least 2")
        if not self.report.years:
            raise ParamsError("report.years must name at least one year")
        return self


def _build(cls: type, raw: Any, where: str) -> Any:
    """Build dataclass ``cls`` from a mapping, rejecting unknown keys."""
    if raw is None:
        return cls()
    if not isinstance(raw, dict):
        raise ParamsError(f"{where or 'params'} must be a mapping, got {raw!r}")
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ParamsError(f"unknown key(s) in params.yaml under {where or 'top level'}: {unknown}")
    values: dict[str, Any] = {}
    for name, value in raw.items():
        default = getattr(cls(), name)
        key = f"{where}.{name}" if where else name
        if is_dataclass(default):
            values[name] = _build(type(default), value, key)
        elif isinstance(default, tuple):
            if not isinstance(value, list | tuple):
                value = [value]
            values[name] = tuple(
                _coerce(v, type(default[0]) if default else str, key) for v in value
            )
        else:
            values[name] = _coerce(value, type(default), key)
    return cls(**values)


def _coerce(value: Any, kind: type, key: str) -> Any:
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind is str and isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    raise ParamsError(f"params.yaml {key}: expected {kind.__name__}, got {value!r}")


def load_params(path: str | Path = "params.yaml") -> Params:
    """Read and validate params.yaml (missing keys take the documented defaults)."""
    with open(path, encoding="utf-8") as handle:
        raw = yaml.safe_load(handle) or {}
    return _build(Params, raw, "").validate()


def params_from_dict(raw: dict[str, Any]) -> Params:
    """Build Params from a nested dict (tests, notebooks)."""
    return _build(Params, raw, "").validate()
