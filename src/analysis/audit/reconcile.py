"""``make audit``: recompute every published number from the input tables alone.

This is a *second*, deliberately plain implementation of the contract's
arithmetic (§3-§5). It reads the input through ingestion (parsing is not an
intermediate result), then recomputes with ordinary pandas group-bys - no
sparse matrices, none of ``analysis.indexes.compute``, ``analysis.privacy`` or
``analysis.core.figures_io`` - and compares with ``reports/<year>/figures.csv`` and
``drivers.csv``. Two implementations that agree are far more convincing than
one implementation tested against itself.

What is checked in ``figures.csv`` (the report year and any history rows of
earlier years):

1. every published ``n`` equals the recomputation exactly, every ``value`` and
   ``change`` to 1e-9;
2. every figure resting on fewer than ``privacy.min_group_size`` respondents
   is empty (``n``, ``value`` and ``change``), never 0;
3. a figure left empty although it rests on enough respondents is counted as
   a *complementary suppression* (the rule that chooses them is not
   re-implemented); independently, no unit total minus its published groups
   of a background variable may single out one hidden group (the unknown
   label counts as a group) of fewer than ``min_group_size`` respondents;
4. every figure the reports must carry is present, and nothing else.

In ``drivers.csv``: scores against the recomputed question indexes, weights,
importances and ``n_used`` against an independent implementation of
Johnson's relative weights, quadrants against the priority-matrix rule,
``basis`` against whose analysis a unit shows, a unit without rows only where
all its scores are shown and an analysis is possible at all, and
the bootstrap intervals with the package's own seeded bootstrap (the one
piece that is not re-implemented: a bootstrap can only be reproduced by the
same random draws).
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.core.catalogue import (
    AMI,
    AMI_DIMENSIONS,
    LEADERSHIP,
    RESPONSE_RATE,
    area_measure,
    dimension_measure,
    question_measure,
)
from analysis.core.contract import (
    COMPLEMENTARY,
    DRIVERS_CSV_COLUMNS,
    FIGURES_CSV_COLUMNS,
    HISTORY_MEASURES,
    MANAGER_PREFIX,
    THRESHOLD,
)
from analysis.core.dataset import BACKGROUND, SurveyData
from analysis.core.params import Params, ParamsError, load_params

TOLERANCE = 1e-9
ALL = "all"
KEYS = ["unit_id", "group", "measure"]
FIGURES_COLUMNS = FIGURES_CSV_COLUMNS
DRIVERS_COLUMNS = DRIVERS_CSV_COLUMNS
STYRKA, FOKUS, OVRIGT = "styrka", "fokusområde", "övrigt"
MAX_LISTED_QUADRANT = 5
MAX_PRINTED = 20


class AuditError(ValueError):
    """The audit cannot run (unreadable published file, year not in the data)."""


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Mismatch:
    """One published number (or row) that disagrees with the recomputation.

    ``published`` is the text as it stands in the file ("" = empty);
    ``recomputed`` what it should be, with the reason where that helps.
    """

    year: int
    unit_id: str
    group: str
    measure: str
    field: str
    published: str
    recomputed: str


@dataclass
class Reconciliation:
    """The audit of one published file for one year of its rows."""

    path: str
    year: int
    kind: str = "figures"  # or "drivers"
    rows_checked: int = 0
    rows_matched: int = 0
    complementary_suppressions: int = 0
    unverifiable_changes: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{self.rows_checked} rows checked", f"{self.rows_matched} matched"]
        if self.kind == "figures":
            parts.append(f"{self.complementary_suppressions} complementary suppressions")
        if self.unverifiable_changes:
            parts.append(
                f"{self.unverifiable_changes} changes left empty whose previous value's "
                "publication is not in this file (not checkable)"
            )
        parts.append(f"{len(self.mismatches)} mismatches")
        return f"{self.path}, year {self.year}: " + ", ".join(parts)


# ---------------------------------------------------------------------------
# The organisation and the catalogue, as plain dictionaries
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Organisation:
    """One year's tree: each unit's chain up to the root, invitations, managers."""

    chains: dict[str, tuple[str, ...]]  # unit -> (unit, parent, ..., root)
    invited: dict[str, int]  # the unit's own invited (empty = 0)
    nearest_manager: dict[str, str]  # unit -> the first manager walking up ("" = none)
    managers: tuple[str, ...]  # every manager_id of the year, sorted


def organisation(units: pd.DataFrame, year: int) -> Organisation:
    """Walk each unit up to the root; refuse an unknown parent or a cycle."""
    parent = dict(zip(units["unit_id"].astype(str), units["parent_id"].astype(str), strict=True))
    chains: dict[str, tuple[str, ...]] = {}
    for unit in parent:
        chain = [unit]
        while parent[chain[-1]] != "":
            above = parent[chain[-1]]
            if above not in parent or above in chain:
                raise AuditError(
                    f"units, year {year}: unit {chain[-1]!r} has a bad parent {above!r}"
                )
            chain.append(above)
        chains[unit] = tuple(chain)
    manager = dict(zip(units["unit_id"].astype(str), units["manager_id"].astype(str), strict=True))
    nearest = {
        unit: next((manager[u] for u in chain if manager[u] != ""), "")
        for unit, chain in chains.items()
    }
    invited = {
        str(u): 0 if pd.isna(v) else int(v)
        for u, v in zip(units["unit_id"], units["invited"], strict=True)
    }
    managers = tuple(sorted({m for m in manager.values() if m != ""}))
    return Organisation(chains, invited, nearest, managers)


def composite_questions(questions: pd.DataFrame, asked: list[str]) -> dict[str, list[str]]:
    """Each composite with its questions asked that year (composites without any are left out)."""
    asked_set = set(asked)

    def kept(mask: pd.Series) -> list[str]:
        return [q for q in questions.loc[mask, "question_id"] if q in asked_set]

    dimension = questions["ami_dimension"]
    defs = {AMI: kept(dimension.isin(AMI_DIMENSIONS))}
    for dim in AMI_DIMENSIONS:
        defs[dimension_measure(dim)] = kept(dimension == dim)
    for area in dict.fromkeys(a for a in questions["area"] if a):
        defs[area_measure(area)] = kept(questions["area"] == area)
    defs[LEADERSHIP] = kept(questions["leadership"].astype(bool))
    return {name: ids for name, ids in defs.items() if ids}


def comparable_measures(questions: pd.DataFrame, asked: list[str], asked_before: list[str]):
    """Measures resting on the same question ids in both years (the response rate always)."""
    now = composite_questions(questions, asked)
    before = composite_questions(questions, asked_before)
    same = {name for name, ids in now.items() if set(before.get(name, [])) == set(ids)}
    same |= {question_measure(q) for q in set(asked) & set(asked_before)}
    return same | {RESPONSE_RATE}


# ---------------------------------------------------------------------------
# Recomputing the figures of one year
# ---------------------------------------------------------------------------


def _group_measures(
    answers: pd.DataFrame,
    answered: pd.DataFrame,
    keys: list[np.ndarray],
    composites: dict[str, list[str]],
    params: Params,
    full_index: pd.Index | None = None,
) -> pd.DataFrame:
    """n and value of every composite and question per group of rows (long, index = keys)."""
    grouped = answers.groupby(keys, sort=False)
    count = grouped.count()
    mean = grouped.mean()
    with_any = answered.groupby(keys, sort=False).sum()
    if full_index is not None:
        count = count.reindex(full_index, fill_value=0)
        mean = mean.reindex(full_index)
        with_any = with_any.reindex(full_index, fill_value=0)
    span = params.survey.scale_max - params.survey.scale_min
    index = (mean - params.survey.scale_min) / span * 100
    parts = {
        name: pd.DataFrame({"n": with_any[name], "value": index[ids].mean(axis=1)})
        for name, ids in composites.items()
    }
    for q in answers.columns:
        parts[question_measure(q)] = pd.DataFrame({"n": count[q], "value": index[q]})
    return pd.concat(parts, names=["measure"]).reset_index()


def recompute_figures(data: SurveyData, params: Params, year: int) -> pd.DataFrame:
    """Every figure of ``year``, unsuppressed.

    Columns ``year, unit_id, group, measure, n, value, in_figures``:
    ``in_figures`` marks the rows figures.csv must carry. The others are there
    for the checks - groups of respondents with an unknown label (``gender=``).
    Every unit has a row for every label given that year (n = 0 where nobody
    with it answered); leaders' rows carry every measure, at group ``all`` only.
    """
    responses = data.responses_in(year)
    asked = data.asked_in(year)
    composites = composite_questions(data.questions, asked)
    org = organisation(data.units_in(year), year)
    unit_of = responses["unit_id"].astype(str).to_numpy()
    unknown = sorted(set(unit_of) - set(org.chains))
    if unknown:
        raise AuditError(f"responses, year {year}: units not in that year's units: {unknown}")
    answers = responses[asked].astype(float).reset_index(drop=True)
    answered = pd.DataFrame(
        {name: answers[ids].notna().any(axis=1).astype(int) for name, ids in composites.items()},
        index=answers.index,
    )

    # Roll-up: one copy of each respondent for every unit whose subtree holds them.
    chains = [org.chains[u] for u in unit_of]
    copies = np.repeat(np.arange(len(responses)), [len(c) for c in chains])
    rolled_unit = np.array([u for chain in chains for u in chain], dtype=object)
    rolled_answers = answers.iloc[copies].reset_index(drop=True)
    rolled_answered = answered.iloc[copies].reset_index(drop=True)

    all_units = pd.Index(list(org.chains), name="unit_id")
    total = _group_measures(
        rolled_answers, rolled_answered, [rolled_unit], composites, params, all_units
    )
    total.columns = ["measure", "unit_id", "n", "value"]
    total["group"] = ALL
    total["in_figures"] = True
    frames = [total]

    responding = pd.Series(rolled_unit).value_counts().reindex(all_units, fill_value=0)
    invited = dict.fromkeys(org.chains, 0)
    for unit, chain in org.chains.items():
        for ancestor in chain:
            invited[ancestor] += org.invited[unit]
    frames.append(_response_rates(all_units, responding.to_numpy(), invited))

    for variable in BACKGROUND:
        given = responses[variable].fillna("").astype(str)
        labels = given.to_numpy()[copies]
        # every unit has a row for every label of the year, respondents or not
        every = pd.MultiIndex.from_product([all_units, sorted(set(given))])
        by_label = _group_measures(
            rolled_answers, rolled_answered, [rolled_unit, labels], composites, params, every
        )
        by_label.columns = ["measure", "unit_id", "label", "n", "value"]
        by_label["group"] = variable + "=" + by_label["label"]
        by_label["in_figures"] = by_label["label"] != ""
        frames.append(by_label.drop(columns="label"))

    frames.append(_leader_figures(org, unit_of, answers, answered, composites, params))
    table = pd.concat(frames, ignore_index=True)
    table["year"] = year
    table["n"] = table["n"].astype(np.int64)
    table["value"] = table["value"].astype(float)
    for column in KEYS:
        table[column] = table[column].astype(object)
    return table[["year", "unit_id", "group", "measure", "n", "value", "in_figures"]]


def _response_rates(ids: pd.Index, responding: np.ndarray, invited: dict[str, int]):
    """responding / invited x 100 per id; no value where nobody was invited."""
    invited_arr = np.array([invited[i] for i in ids], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(invited_arr > 0, responding / invited_arr * 100, np.nan)
    return pd.DataFrame(
        {
            "measure": RESPONSE_RATE,
            "unit_id": list(ids),
            "n": responding,
            "value": value,
            "group": ALL,
            "in_figures": True,
        }
    )


def _leader_figures(
    org: Organisation,
    unit_of: np.ndarray,
    answers: pd.DataFrame,
    answered: pd.DataFrame,
    composites: dict[str, list[str]],
    params: Params,
) -> pd.DataFrame:
    """``manager:<id>`` rows: respondents whose nearest responsible manager is the manager."""
    manager_of = np.array([org.nearest_manager[u] for u in unit_of], dtype=object)
    mine = manager_of != ""
    ids = pd.Index([MANAGER_PREFIX + m for m in org.managers], name="unit_id")
    keys = np.array([MANAGER_PREFIX + m for m in manager_of[mine]], dtype=object)
    table = _group_measures(
        answers[mine].reset_index(drop=True),
        answered[mine].reset_index(drop=True),
        [keys],
        composites,
        params,
        ids,
    )
    table.columns = ["measure", "unit_id", "n", "value"]
    table["group"] = ALL
    table["in_figures"] = True  # every measure, group "all" only

    responding = pd.Series(keys).value_counts().reindex(ids, fill_value=0).to_numpy()
    invited = dict.fromkeys(ids, 0)
    for unit, manager in org.nearest_manager.items():
        if manager:
            invited[MANAGER_PREFIX + manager] += org.invited[unit]
    return pd.concat([table, _response_rates(ids, responding, invited)], ignore_index=True)


# ---------------------------------------------------------------------------
# Recomputing the driver analysis
# ---------------------------------------------------------------------------


def johnson_relative_weights(outcome: np.ndarray, drivers: np.ndarray) -> np.ndarray:
    """Johnson (2000) relative weights of ``outcome`` on the columns of ``drivers``.

    With the drivers' correlation matrix R = V diag(λ) Vᵀ, Λ = V diag(√λ) Vᵀ
    maps orthogonal counterparts back onto the drivers; β = Λ⁻¹ r_xy are the
    counterparts' regression weights on the outcome, and driver j's weight is
    Σ_k Λ_jk² β_k². The weights sum to R².
    """
    undefined = np.full(drivers.shape[1], np.nan)
    if len(outcome) < 2:
        return undefined
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.corrcoef(np.column_stack([outcome, drivers]), rowvar=False)
    if not np.isfinite(corr).all():
        return undefined  # a constant column: no correlations, no weights
    rxx, rxy = corr[1:, 1:], corr[1:, 0]
    eigval, eigvec = np.linalg.eigh(rxx)
    lam = eigvec @ np.diag(np.sqrt(np.clip(eigval, 0, None))) @ eigvec.T
    try:
        beta = np.linalg.solve(lam, rxy)
    except np.linalg.LinAlgError:
        return undefined  # perfectly collinear drivers: weights undefined
    return (lam**2) @ (beta**2)


@dataclass(frozen=True)
class DriverRecomputation:
    """One sample's recomputed relative weights (and bootstrap intervals, if available)."""

    question_ids: tuple[str, ...]
    weights: np.ndarray
    importance: np.ndarray
    n_used: int
    ci_low: np.ndarray | None
    ci_high: np.ndarray | None


@dataclass(frozen=True)
class DriverSampleOfYear:
    """Listwise-complete respondents of a year: outcome 0-100 and raw driver answers."""

    question_ids: tuple[str, ...]
    outcome: np.ndarray
    drivers: np.ndarray
    respondent_ids: np.ndarray
    unit_ids: np.ndarray


def driver_sample(data: SurveyData, params: Params, year: int) -> DriverSampleOfYear:
    """Outcome: mean valid Motivation answer rescaled 0-100; drivers: every other asked question.

    A driver question without a single valid answer that year is left out.
    """
    asked = data.asked_in(year)
    motivation = set(
        data.questions.loc[data.questions["ami_dimension"] == "Motivation", "question_id"]
    )
    responses = data.responses_in(year)
    # a question asked but never validly answered (all don't-know) is no driver
    drivers = [q for q in asked if q not in motivation and responses[q].notna().any()]
    outcome_ids = [q for q in asked if q in motivation]
    span = params.survey.scale_max - params.survey.scale_min
    if outcome_ids:
        outcome = (responses[outcome_ids].mean(axis=1) - params.survey.scale_min) / span * 100
    else:
        outcome = pd.Series(np.nan, index=responses.index)
    answers = responses[drivers].to_numpy(dtype=float)
    complete = outcome.notna().to_numpy() & ~np.isnan(answers).any(axis=1)
    return DriverSampleOfYear(
        question_ids=tuple(drivers),
        outcome=outcome.to_numpy(dtype=float)[complete],
        drivers=answers[complete],
        respondent_ids=responses["respondent_id"].astype(str).to_numpy()[complete],
        unit_ids=responses["unit_id"].astype(str).to_numpy()[complete],
    )


def bootstrap_intervals(
    sample: DriverSampleOfYear, members: np.ndarray, params: Params, year: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """The pipeline's seeded bootstrap for one sample, or None if the package offers none.

    Calls ``analysis.drivers.compute.bootstrap_importance`` with the seed the pipeline
    derives from the parameters and the respondents (``sample_seed``); the
    percentile step is done here.
    """
    try:
        from analysis.drivers.compute import bootstrap_importance, sample_seed
    except ImportError:
        return None
    settings = params.drivers
    clusters = sample.unit_ids[members] if settings.resample == "units" else None
    if clusters is not None and len(np.unique(clusters)) < settings.resample_min_units:
        clusters = None  # too few units: the pipeline resamples respondents (docs/parameters.md)
    shares, _ = bootstrap_importance(
        sample.outcome[members],
        sample.drivers[members],
        settings.bootstrap,
        sample_seed(settings.seed, year, sample.respondent_ids[members]),
        clusters,
    )
    if len(shares) == 0:
        return None
    tail = (1 - settings.ci_level) / 2
    low, high = np.quantile(shares, [tail, 1 - tail], axis=0)
    return low, high


# ---------------------------------------------------------------------------
# The recomputation, cached per year
# ---------------------------------------------------------------------------


class Recomputation:
    """Everything recomputed from the input, computed once per year on demand."""

    def __init__(self, data: SurveyData, params: Params, with_intervals: bool = True) -> None:
        self.data = data
        self.params = params
        self.with_intervals = with_intervals
        self._figures: dict[int, pd.DataFrame] = {}
        self._samples: dict[int, DriverSampleOfYear] = {}
        self._analyses: dict[tuple[int, str], DriverRecomputation] = {}
        self._orgs: dict[int, Organisation] = {}

    def figures(self, year: int) -> pd.DataFrame:
        if year not in self._figures:
            self._figures[year] = recompute_figures(self.data, self.params, year)
        return self._figures[year]

    def organisation(self, year: int) -> Organisation:
        if year not in self._orgs:
            self._orgs[year] = organisation(self.data.units_in(year), year)
        return self._orgs[year]

    def comparable(self, year: int, previous: int) -> set[str]:
        d = self.data
        return comparable_measures(d.questions, d.asked_in(year), d.asked_in(previous))

    def drivers_of(self, year: int) -> tuple[str, ...]:
        return self._sample(year).question_ids

    def _sample(self, year: int) -> DriverSampleOfYear:
        if year not in self._samples:
            self._samples[year] = driver_sample(self.data, self.params, year)
        return self._samples[year]

    def members(self, year: int, target: str) -> np.ndarray:
        """Positions in the year's complete sample of a unit's subtree or a manager's staff."""
        sample, org = self._sample(year), self.organisation(year)
        if target.startswith(MANAGER_PREFIX):
            manager = target[len(MANAGER_PREFIX) :]
            inside = [org.nearest_manager.get(u) == manager for u in sample.unit_ids]
        else:
            inside = [target in org.chains.get(u, ()) for u in sample.unit_ids]
        return np.flatnonzero(np.array(inside, dtype=bool))

    def analysable(self, year: int, target: str) -> bool:
        """Whether relative weights are defined for the target's complete respondents.

        Not when there is no outcome or no driver, when there are no more
        respondents than drivers + 1, or when a column is constant, drivers
        are exactly collinear or nothing is explained (the weights are NaN).
        """
        sample = self._sample(year)
        members = self.members(year, target)
        p = len(sample.question_ids)
        if p == 0 or len(members) <= p + 1:
            return False
        weights = self.drivers_analysis(year, target).weights
        if not np.isfinite(weights).all() or weights.sum() <= 1e-12:
            return False
        rxx = np.corrcoef(sample.drivers[members], rowvar=False).reshape(p, p)
        spectrum = np.linalg.eigvalsh(rxx)
        return bool(spectrum[0] > 1e-10 * spectrum[-1])

    def drivers_analysis(self, year: int, target: str) -> DriverRecomputation:
        key = (year, target)
        if key not in self._analyses:
            sample = self._sample(year)
            members = self.members(year, target)
            weights = johnson_relative_weights(sample.outcome[members], sample.drivers[members])
            analysable = bool(np.isfinite(weights).all())
            intervals = (
                bootstrap_intervals(sample, members, self.params, year)
                if self.with_intervals and analysable
                else None
            )
            self._analyses[key] = DriverRecomputation(
                question_ids=sample.question_ids,
                weights=weights,
                importance=weights / weights.sum(),
                n_used=len(members),
                ci_low=None if intervals is None else intervals[0],
                ci_high=None if intervals is None else intervals[1],
            )
        return self._analyses[key]


# ---------------------------------------------------------------------------
# Reading the published files (as text, so that what is shown is what is judged)
# ---------------------------------------------------------------------------


def _read_text_table(path: Path) -> pd.DataFrame:
    # object, not pandas' Arrow strings: the audit walks the rows one by one.
    return pd.read_csv(path, dtype=object, keep_default_na=False, encoding="utf-8-sig")


def _numbers(frame: pd.DataFrame, column: str, path: Path, kind: type) -> list:
    out = []
    for row, text in enumerate(frame[column], start=2):
        if text.strip() == "":
            out.append(None if kind is int else math.nan)
            continue
        try:
            out.append(kind(text))
        except ValueError:
            expected = "an integer" if kind is int else "a number"
            raise AuditError(
                f"{path}: row {row}, column {column}: {text!r} is not {expected}"
            ) from None
    return out


def read_published_figures(path: Path) -> pd.DataFrame:
    """figures.csv with parsed ``year``, ``n`` (object: int or None), ``value``, ``change``.

    The raw texts stay alongside as ``n_text``, ``value_text``, ``change_text``
    and ``suppression_text``.
    """
    raw = _read_text_table(path)
    if list(raw.columns) != FIGURES_COLUMNS:
        raise AuditError(f"{path}: expected columns {FIGURES_COLUMNS}, got {list(raw.columns)}")
    out = raw[["unit_id", "group", "measure"]].copy()
    out.insert(0, "year", _numbers(raw, "year", path, int))
    out["n"] = pd.Series(_numbers(raw, "n", path, int), dtype=object)
    out["value"] = _numbers(raw, "value", path, float)
    out["change"] = _numbers(raw, "change", path, float)
    for column in ("n", "value", "change", "suppression"):
        out[f"{column}_text"] = raw[column]
    return out


def read_published_drivers(path: Path) -> pd.DataFrame:
    raw = _read_text_table(path)
    if list(raw.columns) != DRIVERS_COLUMNS:
        raise AuditError(f"{path}: expected columns {DRIVERS_COLUMNS}, got {list(raw.columns)}")
    out = raw.copy()
    out["year"] = _numbers(raw, "year", path, int)
    out["n_used"] = pd.Series(_numbers(raw, "n_used", path, int), dtype=object)
    out["n_used_text"] = raw["n_used"]
    out["year_text"] = raw["year"]
    for column in ("weight", "importance", "ci_low", "ci_high", "score"):
        out[column] = _numbers(raw, column, path, float)
        out[f"{column}_text"] = raw[column]
    return out


# ---------------------------------------------------------------------------
# Auditing figures.csv
# ---------------------------------------------------------------------------


def _fmt(value: object) -> str:
    """A recomputed number for the listing: integers as such, floats to 12 significant digits."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, int | np.integer):
        return str(int(value))
    return f"{float(value):.12g}"


def _differs(published: float, recomputed: float) -> bool:
    return not abs(published - recomputed) <= TOLERANCE


def audit_figures(
    published: pd.DataFrame,
    report_year: int,
    recomputation: Recomputation,
    path: str,
) -> list[Reconciliation]:
    """Audit one figures.csv: the report year's rows and every earlier year's history rows."""
    data, k = recomputation.data, recomputation.params.privacy.min_group_size
    years = sorted({report_year, *published["year"]})
    shown = dict(
        zip(
            zip(
                published["year"].tolist(),
                published["unit_id"].tolist(),
                published["group"].tolist(),
                published["measure"].tolist(),
                strict=True,
            ),
            (published["value_text"] != "").tolist(),
            strict=True,
        )
    )
    out = []
    for year in years:
        recon = Reconciliation(path, year)
        rows = published[published["year"] == year]
        recon.rows_checked = len(rows)
        if year != report_year and (year > report_year or year not in data.years):
            for r in rows.itertuples(index=False):
                recon.mismatches.append(
                    Mismatch(
                        year,
                        r.unit_id,
                        r.group,
                        r.measure,
                        "row",
                        "present",
                        f"no such figure: year {year} is not the report year "
                        "or an earlier survey year",
                    )
                )
            out.append(recon)
            continue
        if year != report_year:
            recon.notes.append(f"history rows of {year} in the {report_year} report")
        _audit_figure_year(rows, year, year == report_year, recomputation, shown, recon)
        recon.mismatches += recoverable_groups(rows, recomputation.figures(year), k)
        out.append(recon)
    return out


def _audit_figure_year(
    rows: pd.DataFrame,
    year: int,
    is_report_year: bool,
    recomputation: Recomputation,
    shown: dict[tuple, bool],
    recon: Reconciliation,
) -> None:
    data, params = recomputation.data, recomputation.params
    k = params.privacy.min_group_size
    expected = recomputation.figures(year)
    expected = expected[expected["in_figures"]].drop(columns=["in_figures", "year"])
    previous_year = data.previous_year(year)
    if previous_year is not None:
        before = recomputation.figures(previous_year)[[*KEYS, "n", "value"]]
        before = before.rename(columns={"n": "n_prev", "value": "value_prev"})
        expected = expected.merge(before, on=KEYS, how="left")
        comparable = recomputation.comparable(year, previous_year)
    else:
        expected["n_prev"] = np.nan
        expected["value_prev"] = np.nan
        comparable = set()
    expected = expected.rename(columns={"n": "n_rec", "value": "value_rec"})
    if is_report_year:
        expected["required"] = True
    else:
        expected["required"] = expected["measure"].isin(HISTORY_MEASURES) & ~expected[
            "unit_id"
        ].str.startswith(MANAGER_PREFIX)

    duplicated = rows.duplicated(KEYS)
    bad_rows = 0
    for r in rows[duplicated].itertuples(index=False):
        recon.mismatches.append(
            Mismatch(year, r.unit_id, r.group, r.measure, "row", "repeated", "one row per figure")
        )
        bad_rows += 1
    # Published rows in file order, then the figures the file lacks in recomputation order.
    merged = rows[~duplicated].merge(expected, on=KEYS, how="left", indicator="presence")
    for r in merged.itertuples(index=False):
        if r.presence == "left_only":
            recon.mismatches.append(
                Mismatch(year, r.unit_id, r.group, r.measure, "row", "present", "no such figure")
            )
            bad_rows += 1
            continue
        found = _check_figure(r, year, previous_year, comparable, shown, k, recon)
        if found:
            recon.mismatches += found
            bad_rows += 1
    lacking = expected[expected["required"]].merge(
        rows[KEYS], on=KEYS, how="left", indicator="presence"
    )
    for unit_id, group, measure in lacking.loc[lacking["presence"] == "left_only", KEYS].values:
        recon.mismatches.append(
            Mismatch(year, unit_id, group, measure, "row", "missing", "present")
        )
    recon.rows_matched = recon.rows_checked - bad_rows


def _check_figure(
    r,
    year: int,
    previous_year: int | None,
    comparable: set[str],
    shown: dict[tuple, bool],
    k: int,
    recon: Reconciliation,
) -> list[Mismatch]:
    """The mismatches of one published row that has a recomputed counterpart."""

    def mismatch(field_name: str, published: str, recomputed: str) -> Mismatch:
        return Mismatch(year, r.unit_id, r.group, r.measure, field_name, published, recomputed)

    n_rec = int(r.n_rec)
    publishable = n_rec >= k and not math.isnan(r.value_rec)
    texts = {"n": r.n_text, "value": r.value_text, "change": r.change_text}
    # why a row is hidden follows from the recomputed n alone (contract §5)
    reason = THRESHOLD if not publishable else COMPLEMENTARY if r.value_text == "" else ""
    found = []
    if r.suppression_text != reason:
        found.append(mismatch("suppression", r.suppression_text, reason or "empty (published)"))
    if not publishable:
        why = f"empty (n = {n_rec} < {k})" if n_rec < k else "empty (no value: nobody invited)"
        return found + [mismatch(f, t, why) for f, t in texts.items() if t != ""]
    if r.value_text == "":
        if r.n_text == "" and r.change_text == "":
            recon.complementary_suppressions += 1
            return found
        why = "empty, as the value is suppressed"
        return found + [mismatch(f, texts[f], why) for f in ("n", "change") if texts[f] != ""]

    if r.n is None or int(r.n) != n_rec:
        found.append(mismatch("n", r.n_text, str(n_rec)))
    if _differs(r.value, r.value_rec):
        found.append(mismatch("value", r.value_text, _fmt(r.value_rec)))
    decimals = r.value_text.partition(".")[2]
    if len(decimals) < 2 or not decimals.isdigit():
        found.append(mismatch("value", r.value_text, "at least 2 decimals"))

    # The change: only against a published previous value of a comparable measure.
    prev_published = (
        previous_year is not None
        and r.measure in comparable
        and not pd.isna(r.n_prev)
        and int(r.n_prev) >= k
        and not pd.isna(r.value_prev)
    )
    status = shown.get((previous_year, r.unit_id, r.group, r.measure))
    if prev_published and status is False:
        prev_published = False  # complementary-suppressed in the previous year
    has_change = r.change_text != ""
    if not prev_published:
        if has_change:
            found.append(mismatch("change", r.change_text, "empty (no comparable published value)"))
        return found
    expected_change = r.value_rec - r.value_prev
    if not has_change:
        if status is True:
            found.append(mismatch("change", "", _fmt(expected_change)))
        else:
            recon.unverifiable_changes += 1
    elif _differs(r.change, expected_change):
        found.append(mismatch("change", r.change_text, _fmt(expected_change)))
    return found


def recoverable_groups(published: pd.DataFrame, recomputed: pd.DataFrame, k: int) -> list[Mismatch]:
    """Hidden groups that the unit total minus the published groups singles out.

    For each unit, background variable and measure whose total and at least
    one group are published, the groups not shown (suppressed, or the unknown
    label, which is never shown) that rest on at least one respondent are
    what the subtraction reveals, together. If that is a single group of
    fewer than ``k`` respondents, its number is recoverable. (With no group
    published the "remainder" is the total itself, judged by its own n.)
    """
    year = int(recomputed["year"].iloc[0]) if len(recomputed) else 0
    is_shown = published.loc[published["value_text"] != "", KEYS]
    totals = set(map(tuple, is_shown.loc[is_shown["group"] == ALL, ["unit_id", "measure"]].values))
    groups = recomputed[
        (recomputed["group"] != ALL)
        & ~recomputed["unit_id"].str.startswith(MANAGER_PREFIX)
        & (recomputed["n"] > 0)
    ]
    groups = groups.merge(is_shown.assign(shown=True), on=KEYS, how="left")
    groups["shown"] = groups["shown"].notna()
    groups["variable"] = groups["group"].str.split("=", n=1).str[0]
    counted = (
        groups.assign(hidden=~groups["shown"])
        .sort_values("hidden", ascending=False, kind="stable")
        .groupby(["unit_id", "variable", "measure"], sort=False)
        .agg(
            shown=("shown", "sum"),
            hidden=("hidden", "sum"),
            group=("group", "first"),  # the first hidden group, hidden rows sorted first
            n=("n", "first"),
        )
    )
    single = counted[(counted["shown"] > 0) & (counted["hidden"] == 1) & (counted["n"] < k)]
    found = []
    for (unit, _variable, measure), group, n in zip(
        single.index, single["group"], single["n"], strict=True
    ):
        if (unit, measure) in totals:
            label = group + ("(unknown)" if group.endswith("=") else "")
            found.append(
                Mismatch(
                    year,
                    unit,
                    group,
                    measure,
                    "recoverable",
                    "total and the other groups published",
                    f"{label} (n = {n} < {k}) recoverable by subtraction",
                )
            )
    return found


# ---------------------------------------------------------------------------
# Auditing drivers.csv
# ---------------------------------------------------------------------------


def expected_quadrants(
    question_ids: list[str], importance: list[float], score: list[float]
) -> list[str]:
    """The priority-matrix quadrant of each driver of one unit (contract §4).

    Split at the median importance and the median score (≥ median = high).
    Styrkor: up to 5 high-importance, high-score questions, highest score
    first; fokusområden: up to 5 high-importance, low-score ones, lowest score
    first; ties go to the higher importance, then to the question id.
    """
    mid_importance, mid_score = float(np.median(importance)), float(np.median(score))
    labels = [OVRIGT] * len(question_ids)
    for label, high_score, sign in ((STYRKA, True, -1.0), (FOKUS, False, 1.0)):
        chosen = [
            i
            for i in range(len(question_ids))
            if importance[i] >= mid_importance and (score[i] >= mid_score) == high_score
        ]
        chosen.sort(key=lambda i: (sign * score[i], -importance[i], question_ids[i]))
        for i in chosen[:MAX_LISTED_QUADRANT]:
            labels[i] = label
    return labels


@dataclass
class _DriverContext:
    """What every unit's driver rows are checked against, for one year."""

    year: int
    k: int
    recomputation: Recomputation
    drivers: list[str]
    score_of: dict[tuple[str, str], tuple[int, float]]
    figure_shown: dict[tuple[str, str], bool] | None
    recon: Reconciliation
    bad_rows: set[int] = field(default_factory=set)

    def add(self, row: int | None, unit: str, question: str, name: str, pub: str, rec: str):
        measure = question_measure(question) if question else ""
        self.recon.mismatches.append(Mismatch(self.year, unit, ALL, measure, name, pub, rec))
        if row is not None:
            self.bad_rows.add(row)


def audit_drivers(
    published: pd.DataFrame,
    year: int,
    recomputation: Recomputation,
    figures: pd.DataFrame | None,
    path: str,
) -> Reconciliation:
    """Audit one drivers.csv against the recomputation (and the published figures.csv)."""
    recon = Reconciliation(path, year, kind="drivers")
    recon.rows_checked = len(published)
    org = recomputation.organisation(year)
    scores = recomputation.figures(year)
    scores = scores[(scores["group"] == ALL) & scores["measure"].str.startswith("q:")]
    figure_shown = None
    if figures is not None:
        rows = figures[(figures["year"] == year) & (figures["group"] == ALL)]
        keys = zip(rows["unit_id"].tolist(), rows["measure"].tolist(), strict=True)
        figure_shown = dict(zip(keys, (rows["value_text"] != "").tolist(), strict=True))
    context = _DriverContext(
        year=year,
        k=recomputation.params.privacy.min_group_size,
        recomputation=recomputation,
        drivers=list(recomputation.drivers_of(year)),
        score_of={
            (u, m): (int(n), float(v))
            for u, m, n, v in scores[["unit_id", "measure", "n", "value"]].itertuples(index=False)
        },
        figure_shown=figure_shown,
        recon=recon,
    )
    known_units = set(org.chains) | {MANAGER_PREFIX + m for m in org.managers}
    records = published.to_dict("records")
    by_unit: dict[str, list[int]] = {}
    for i, r in enumerate(records):
        by_unit.setdefault(r["unit_id"], []).append(i)
    for unit, positions in by_unit.items():
        _audit_driver_unit(unit, [(i, records[i]) for i in positions], known_units, context)

    if figure_shown is not None:
        root = next(u for u, chain in org.chains.items() if len(chain) == 1)
        for unit in sorted(known_units - set(by_unit)):
            # rows are due where a score is shown for every driver, and the unit or the
            # förvaltning (everyone's last lender) can be analysed at all
            can = context.drivers and any(recomputation.analysable(year, u) for u in (unit, root))
            shown_all = all(
                figure_shown.get((unit, question_measure(q)), False) for q in context.drivers
            )
            if can and shown_all:
                context.add(
                    None,
                    unit,
                    "",
                    "row",
                    "missing",
                    "rows for every driver: all its scores are in figures.csv",
                )
    recon.rows_matched = recon.rows_checked - len(context.bad_rows)
    recon.notes.append(_interval_note(recomputation.with_intervals))
    return recon


def _interval_note(asked: bool) -> str:
    if not asked:
        return "confidence intervals not recomputed (--no-intervals): ci_low ≤ ci_high only"
    try:
        from analysis.drivers.compute import bootstrap_importance, sample_seed  # noqa: F401
    except ImportError:
        return (
            "confidence intervals NOT recomputed: the package exposes no bootstrap function; "
            "checked ci_low ≤ ci_high only"
        )
    return (
        "confidence intervals recomputed with the package's seeded bootstrap "
        "(analysis.drivers.compute.bootstrap_importance)"
    )


def _audit_driver_unit(
    unit: str, rows: list[tuple[int, dict]], known_units: set[str], c: _DriverContext
) -> None:
    """One unit's (or manager's) rows: complete, from an allowed source, and recomputed."""
    if unit not in known_units:
        for i, r in rows:
            c.add(i, unit, r["question_id"], "unit_id", unit, "no such unit or manager")
        return
    seen: set[str] = set()
    kept = []
    for i, r in rows:
        q = r["question_id"]
        if r["year"] != c.year:
            c.add(i, unit, q, "year", r["year_text"], str(c.year))
        if q in seen:
            c.add(i, unit, q, "row", "repeated", "one row per driver")
        elif q not in c.drivers:
            c.add(i, unit, q, "row", "present", "not a driver this year")
        else:
            kept.append((i, r))
        seen.add(q)
    for q in c.drivers:
        if q not in seen:
            c.add(None, unit, q, "row", "missing", "present")

    org = c.recomputation.organisation(c.year)
    allowed = {unit, *org.chains} if unit.startswith(MANAGER_PREFIX) else set(org.chains[unit])
    sources = {r["importance_from"] for _, r in kept}
    for i, r in kept:
        if r["importance_from"] not in allowed or len(sources) > 1:
            c.add(
                i,
                unit,
                r["question_id"],
                "importance_from",
                r["importance_from"],
                "the unit itself or an ancestor, the same on every row",
            )
    if len(sources) != 1 or not sources <= allowed:
        return
    source = sources.pop()
    analysis = c.recomputation.drivers_analysis(c.year, source)
    min_n = c.recomputation.params.drivers.min_n
    if source != unit:
        basis = "borrowed"
    else:
        basis = "own" if analysis.n_used >= min_n else "own_below_min_n"
    for i, r in kept:
        if r["basis"] != basis:
            c.add(i, unit, r["question_id"], "basis", r["basis"], basis)
    position = {q: j for j, q in enumerate(analysis.question_ids)}
    for i, r in kept:
        _check_driver_row(i, unit, r, analysis, position[r["question_id"]], c)
    quadrants = expected_quadrants(
        [r["question_id"] for _, r in kept],
        [r["importance"] for _, r in kept],
        [r["score"] for _, r in kept],
    )
    for (i, r), expected in zip(kept, quadrants, strict=True):
        if r["quadrant"] != expected:
            c.add(i, unit, r["question_id"], "quadrant", r["quadrant"], expected)


def _check_driver_row(
    i: int, unit: str, r: dict, analysis: DriverRecomputation, j: int, c: _DriverContext
) -> None:
    q = r["question_id"]
    if r["n_used"] is None or r["n_used"] != analysis.n_used:
        c.add(i, unit, q, "n_used", r["n_used_text"], str(analysis.n_used))
    expected = {"weight": analysis.weights[j], "importance": analysis.importance[j]}
    if analysis.ci_low is not None and analysis.ci_high is not None:
        expected |= {"ci_low": analysis.ci_low[j], "ci_high": analysis.ci_high[j]}
    for name, value in expected.items():
        if _differs(r[name], value):
            c.add(i, unit, q, name, r[f"{name}_text"], _fmt(value))
    if not r["ci_low"] <= r["ci_high"]:
        c.add(i, unit, q, "ci", f"{r['ci_low_text']} > {r['ci_high_text']}", "ci_low ≤ ci_high")
    n, score = c.score_of.get((unit, question_measure(q)), (0, math.nan))
    if n < c.k:
        c.add(i, unit, q, "score", r["score_text"], f"empty (n = {n} < {c.k})")
    elif c.figure_shown is not None and not c.figure_shown.get((unit, question_measure(q))):
        c.add(i, unit, q, "score", r["score_text"], "empty, as in figures.csv")
    elif _differs(r["score"], score):
        c.add(i, unit, q, "score", r["score_text"], _fmt(score))


# ---------------------------------------------------------------------------
# The whole audit and its command line
# ---------------------------------------------------------------------------


def audit_reports(
    data: SurveyData,
    params: Params,
    reports: str | Path,
    years: list[int] | None = None,
    with_intervals: bool = True,
) -> list[Reconciliation]:
    """Audit ``reports/<year>/figures.csv`` and ``drivers.csv`` for each report year."""
    reports = Path(reports)
    recomputation = Recomputation(data, params, with_intervals=with_intervals)
    out: list[Reconciliation] = []
    for year in years if years is not None else list(params.report.years):
        if year not in data.years:
            raise AuditError(
                f"report.years names {year}, but the input has survey years {data.years}"
            )
        figures_path = reports / str(year) / "figures.csv"
        figures = None
        if figures_path.exists():
            figures = read_published_figures(figures_path)
            out += audit_figures(figures, year, recomputation, str(figures_path))
        else:
            out.append(_missing_file(figures_path, year, "figures"))
        drivers_path = reports / str(year) / "drivers.csv"
        if drivers_path.exists():
            drivers = read_published_drivers(drivers_path)
            out.append(audit_drivers(drivers, year, recomputation, figures, str(drivers_path)))
        else:
            out.append(_missing_file(drivers_path, year, "drivers"))
    return out


def _missing_file(path: Path, year: int, kind: str) -> Reconciliation:
    recon = Reconciliation(str(path), year, kind=kind)
    recon.mismatches.append(Mismatch(year, "", "", "", "file", "missing", "present"))
    return recon


def reconciliation_text(reconciliations: list[Reconciliation]) -> str:
    """The printed reconciliation: one paragraph per file and year, then the verdict."""
    lines = []
    for recon in reconciliations:
        lines.append(recon.summary())
        lines += [f"  note: {note}" for note in recon.notes]
        if recon.mismatches:
            count = len(recon.mismatches)
            lines.append(f"  mismatches (first {min(count, MAX_PRINTED)} of {count}):")
            for m in recon.mismatches[:MAX_PRINTED]:
                lines.append(
                    f"    unit {m.unit_id} | group {m.group} | measure {m.measure} | "
                    f"{m.field}: published {m.published or '(empty)'} | "
                    f"recomputed {m.recomputed or '(empty)'}"
                )
    total = sum(len(r.mismatches) for r in reconciliations)
    lines.append(
        "AUDIT PASSED: no mismatches" if total == 0 else f"AUDIT FAILED: {total} mismatches"
    )
    return "\n".join(lines) + "\n"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis.audit.reconcile",
        description="Recompute every published figure from the input tables and reconcile.",
    )
    parser.add_argument("--params", default="params.yaml", help="parameter file")
    parser.add_argument("--reports", default="reports", help="directory holding <year>/")
    parser.add_argument(
        "--no-intervals",
        action="store_true",
        help="skip re-running the bootstrap (check ci_low ≤ ci_high only)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Exit 0 when everything reconciles, 1 on any mismatch, 2 when the audit cannot run."""
    args = _parser().parse_args(argv)
    from analysis.ingest.problems import InputError
    from analysis.ingest.read import read_input

    try:
        params = load_params(args.params)
        data = read_input(params.input.dir, params).data
        reconciliations = audit_reports(
            data, params, args.reports, with_intervals=not args.no_intervals
        )
    except (AuditError, InputError, ParamsError, FileNotFoundError) as error:
        print(f"audit: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(reconciliation_text(reconciliations))
    return 0 if all(not r.mismatches for r in reconciliations) else 1


if __name__ == "__main__":
    sys.exit(main())
