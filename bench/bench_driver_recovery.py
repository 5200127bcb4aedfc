"""Benchmark: how right is each school's priority matrix? (``make bench``)

On organisations whose schools have drivers of their own
(:func:`analysis.drivers.planted_truth.unit_specific_drivers`: two locally
strong drivers per school on top of its område's, 10-200 respondents,
informative "vet ej"), each school's top three drivers by importance are
compared with its population's true top three (recall: the share found),
by school size, for:

- **published**: what the drivers stage publishes with the parameters'
  ``drivers.shrinkage`` -- by default each school's correlations shrunk
  towards its område's, the område's towards the organisation's
  (:func:`analysis.drivers.shrunk_year.shrink_targets`, the stage's own
  function, run on the planted answers);
- **område**: always the område's relative weights (the vendors' "use the
  organisation's matrix");
- **Pearson**: the school's own correlation of each driver with the outcome
  (the vendors' driver method);
- **own listwise**: the school's own relative weights on its complete
  answers (the område's when it has too few);
- **no shrinkage**: for reference, ``drivers.shrinkage: none`` -- the
  school's own pairwise weights at ``drivers.min_n`` respondents, else its
  område's.

Target (the issue on each unit's own priority matrix: "must beat, overall by
at least 0.05 and in each size band ..., all three alternatives"): the
published importances' recall beats every alternative (område, Pearson, own
listwise) overall by at least 0.05, and beats each of them in each size band
(10-24, 25-74, 75+). The sentence puts the margin with "overall"; the
stricter reading -- the margin in every band as well -- is printed beside it
for information (it is missed in the 25-74 band, where no method measured
reaches it: docs/assumptions.md). And a
guard: on the same organisations with no school-specific drivers at all,
the published importances may not find the truth less often than the
område's (within 0.02) -- shrinkage that trusts noise would. The process
exits 1 when either is missed.

Run: ``make bench``, or ``PYTHONPATH=src .venv/bin/python
bench/bench_driver_recovery.py [--params params.yaml] [--seeds 6] [--drivers 12]``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

import numpy as np

from analysis.core.params import DriverParams, load_params
from analysis.drivers.correlations import (
    pair_features,
    pairwise_from_sums,
    repair_positive_definite,
)
from analysis.drivers.planted_truth import published_importances, unit_specific_drivers
from analysis.drivers.relweights import johnson_weights

#: size bands the target applies to (respondents of the school)
BANDS = ((10, 25), (25, 75), (75, None))
#: how much better than every alternative the published importances must recall
MARGIN = 0.05
METHODS = ("published", "område", "Pearson", "own listwise", "no shrinkage")
#: resamples behind the published intervals here: they do not move the importances
INTERVAL_RESAMPLES = 20
#: with no school-specific drivers, how much worse than the område's the published may be
NULL_TOLERANCE = 0.02
#: the methods the target compares the published importances with
ALTERNATIVES = ("område", "Pearson", "own listwise")


def pairwise_matrix(outcome: np.ndarray, drivers: np.ndarray) -> np.ndarray:
    """Outcome-first pairwise correlation matrix, repaired; a pair without data counts 0."""
    values = np.column_stack([outcome, drivers])
    corr, _, _ = pairwise_from_sums(pair_features(values).sum(axis=0), values.shape[1])
    corr = np.nan_to_num(corr, nan=0.0)
    np.fill_diagonal(corr, 1.0)
    return repair_positive_definite(corr)


def weights(corr: np.ndarray) -> np.ndarray:
    return johnson_weights(corr[1:, 1:], corr[0, 1:])


def top3(values: np.ndarray) -> set[int]:
    return set(np.argsort(-values, kind="stable")[:3].tolist())


def recalls(
    seed: int, p: int, settings: DriverParams, local: bool = True
) -> list[tuple[int, dict[str, float]]]:
    """(school size, recall per method) for every school of one planted organisation."""
    units = (
        unit_specific_drivers(seed, p=p)
        if local
        else unit_specific_drivers(seed, p=p, local_effect=0.0, area_spread=0.0)
    )
    area = {}
    for parent in sorted({u.parent_id for u in units}):
        mine = [u for u in units if u.parent_id == parent]
        pooled = pairwise_matrix(
            np.concatenate([u.outcome for u in mine]), np.vstack([u.drivers for u in mine])
        )
        area[parent] = weights(pooled)
    published = published_importances(units, replace(settings, bootstrap=INTERVAL_RESAMPLES))
    out = []
    for unit, shown in zip(units, published, strict=True):
        own = pairwise_matrix(unit.outcome, unit.drivers)
        borrowed = area[unit.parent_id]
        answered = int(np.isfinite(unit.drivers).any(axis=1).sum())
        complete = np.isfinite(unit.drivers).all(axis=1)
        if complete.sum() > p + 1:
            listwise = np.corrcoef(np.column_stack([unit.outcome, unit.drivers])[complete].T)
            own_listwise = weights(listwise) if np.isfinite(listwise).all() else borrowed
        else:
            own_listwise = borrowed
        estimates = {
            "published": shown,
            "område": borrowed,
            "Pearson": own[0, 1:],
            "own listwise": own_listwise,
            "no shrinkage": weights(own) if answered >= settings.min_n else borrowed,
        }
        truth = top3(unit.importance)
        out.append((len(unit.outcome), {m: len(top3(e) & truth) / 3 for m, e in estimates.items()}))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--drivers", type=int, default=12)
    args = parser.parse_args(argv)
    settings = load_params(args.params).drivers
    rows = [r for seed in range(args.seeds) for r in recalls(seed, args.drivers, settings)]
    size = np.array([n for n, _ in rows])
    recall = {m: np.array([r[m] for _, r in rows]) for m in METHODS}
    print(
        f"driver recovery: top-3 recall of each school's true top three drivers, "
        f"{args.seeds} planted organisations, {args.drivers} drivers, "
        f"drivers.shrinkage = {settings.shrinkage}, drivers.min_n = {settings.min_n}"
    )
    print(f"  {'school size':<12} {'schools':>7} " + " ".join(f"{m:>13}" for m in METHODS))
    ok = strict = True
    for low, high in (*BANDS, (0, None)):
        where = (size >= low) & (size < (high if high else np.inf))
        label = "all" if low == 0 else f"{low}-{high - 1}" if high else f"{low}+"
        means = {m: float(recall[m][where].mean()) for m in METHODS}
        print(f"  {label:<12} {where.sum():>7} " + " ".join(f"{means[m]:>13.3f}" for m in METHODS))
        best_other = max(means[m] for m in ALTERNATIVES)
        ok &= (
            means["published"] >= best_other + MARGIN
            if low == 0
            else means["published"] > best_other
        )
        strict &= means["published"] >= best_other + MARGIN
    print(
        f"  {'PASS' if ok else 'FAIL'}: published beats every alternative overall by >= "
        f"{MARGIN}, and in each size band"
    )
    print(
        f"  (for information, {'met' if strict else 'not met'}: a margin of {MARGIN} in "
        "every band as well)"
    )
    # schools exactly like their område: shrinkage must find nothing to trust, not noise
    alike = [r for seed in range(args.seeds) for r in recalls(seed, args.drivers, settings, False)]
    published = float(np.mean([r["published"] for _, r in alike]))
    borrowed = float(np.mean([r["område"] for _, r in alike]))
    alike_ok = published >= borrowed - NULL_TOLERANCE
    print(
        f"  schools without drivers of their own ({len(alike)}): published {published:.3f}, "
        f"område {borrowed:.3f} -- {'PASS' if alike_ok else 'FAIL'}: no worse than the "
        f"område's by more than {NULL_TOLERANCE}"
    )
    return 0 if ok and alike_ok else 1


if __name__ == "__main__":
    sys.exit(main())
