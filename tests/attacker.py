"""An independent attacker on one year's published figures (contract §3, "Anonymity").

Written apart from ``analysis.privacy`` on purpose: it shares none of its
code or its reasoning by equations, so it can catch what the suppression
rules miss. The attacker knows every published row (hidden rows keep their
key), the organisation table (tree, ``invited``, ``manager_id``), the
composite definitions and the scale, and solves linear programs (HiGHS via
``scipy.optimize.linprog``) over everything that is consistent with them.

Per measure the unknowns are *atoms* of three blocks over the same layout:
``r`` respondents, ``m`` the measure's count, ``s`` the measure's sum of
per-respondent indexes (questions only). An atom is a unit's own
respondents (``o[u]``) or those of them with one label of one background
variable (unknown label "" included); the labels of a variable add up to
``o[u]``. Every figure is a sum of atoms: a unit's subtree, or the units
whose nearest responsible manager leads a leader report. Published counts
and sums (n x value) are equalities; ``0 <= m <= r``, ``0 <= s <= 100 m``,
``o_r[u] <= invited[u]``; a group row that exists has a respondent, a
missing one has none -- unless every unit has a row for every label, when
existence tells nothing. Composite values are a separate system per cell:
composite x (its questions with an answer there) = the sum of their values.

A composite's value is a mean of question indexes, not of respondents, so it
is *not* additive over the tree: composites get counts but no sum block.

Breach (contract): a hidden figure resting on 1 .. k-1 respondents whose
count the attacker can bound below k, or whose value it can pin (min = max).
"Narrowed" below k: where the figure's units invite fewer than k people, the
org table alone says the count is small and no suppression can help, so such
figures are counted (``invited_below_k``) but only their value can breach.
"count < k (row layout)": the bound holds even with every number hidden --
which rows exist (a hidden row means someone has that label) and ``invited``
give it away, e.g. a unit of 5 invited with a row for men leaves <= 4 women.
Zero fact: a hidden figure with n = 0 in a group that has respondents, which
the attacker can pin to 0 ("all of them answered don't know").

Groups that are never published as rows are targets too (``hidden_groups``),
each the sum of its own atoms: a unit's own respondents (the unit minus its
children) in every group, for units with children -- spelt ``own:all``,
``own:gender=Kvinna``, ``own:gender=`` (unknown label) -- and every unit's
unknown-label group, ``gender=`` (its subtree's unknown-label atoms), in the
measures that break that variable down. Their true counts come from the
unsuppressed table, turned into atoms here (figure minus children, unit minus
its labels). The rule is the rows': 1 .. k-1 respondents must keep an upper
bound of min(k, cap), cap being the unit's own ``invited`` (own staff) or its
subtree's (unknown label), never below the truth -- and where the cap is below
k the count must not be pinned either (its lower bound below the truth,
"count pinned"); n = 0 while the same group has respondents in another measure
must not be pinned to 0. Their values are not attacked.

Speed: a target is cleared without its own LP when some feasible point the
attacker has already found shows the opposite (count >= k, another value,
count > 0); batches of targets are cleared at once by maximising
``sum(min(f_i, cap))``. Only what survives gets exact LPs.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import linprog

from analysis.core.catalogue import RESPONSE_RATE
from analysis.core.contract import MANAGER_PREFIX
from analysis.core.dataset import BACKGROUND, SurveyData
from analysis.core.params import Params
from analysis.indexes.figures import published_figures
from analysis.indexes.unsuppressed import compute_unsuppressed

KEYS = ["unit_id", "group", "measure"]
OWN = "own:"  # a never-published group: the unit's own respondents (unit minus children)
COUNT_TOL = 1e-6
VALUE_TOL = 1e-6


@dataclass
class Breach:
    unit_id: str
    group: str
    measure: str
    true_n: int
    count: tuple[float, float] | None = None  # the attacker's [min, max] of n
    value: tuple[float, float] | None = None  # [min, max] of value, where a value system has it
    reason: str = ""  # "; "-joined: count < k, value pinned (sums|composites), zero


@dataclass
class AttackReport:
    year: int
    k: int
    targets: int  # hidden figures on 1 .. k-1 respondents, plus zero-fact candidates
    invited_below_k: int = 0  # of them, figures whose units invite fewer than k: no count breach
    never_published: int = 0  # of them, groups without a row (own staff, unknown label)
    breaches: list[Breach] = field(default_factory=list)
    lps: int = 0
    seconds: float = 0.0

    def by_reason(self) -> dict[str, int]:
        return dict(Counter(b.reason for b in self.breaches))

    def lines(self) -> list[str]:
        return [
            f"{b.unit_id} {b.group} {b.measure}: n={b.true_n}, count {b.count}, "
            f"value {b.value}: {b.reason}"
            for b in self.breaches
        ]


class Org:
    """The organisation table as atoms: which atoms make up which figure."""

    def __init__(self, units: pd.DataFrame, groups: set[str]) -> None:
        self.unit_ids = list(units["unit_id"].astype(str))
        self.index = {u: i for i, u in enumerate(self.unit_ids)}
        parent = [self.index.get(p, -1) for p in units["parent_id"].fillna("").astype(str)]
        self.parent = np.array(parent, dtype=np.int64)
        manager = list(units["manager_id"].fillna("").astype(str))
        given = units["invited"].astype("Float64").to_numpy(np.float64, na_value=np.nan)
        self.given = given  # NaN where the org table gives no invited
        self.invited = np.nan_to_num(given, nan=0.0)
        n = len(self.unit_ids)
        self.subtree: list[list[int]] = [[i] for i in range(n)]
        self.led: dict[str, list[int]] = {}
        for i in range(n):
            cursor, nearest = parent[i], manager[i]
            while cursor >= 0:
                self.subtree[cursor].append(i)
                nearest = nearest or manager[cursor]
                cursor = parent[cursor]
            if nearest:  # the first unit walking up with a manager (the unit itself first)
                self.led.setdefault(MANAGER_PREFIX + nearest, []).append(i)
        self.labels = {
            v: [*sorted({g.split("=", 1)[1] for g in groups if g.startswith(v + "=")}), ""]
            for v in BACKGROUND
        }
        self.offset, size = {}, n
        for v in BACKGROUND:
            self.offset[v] = size
            size += n * len(self.labels[v])
        self.size = size

    def atoms(self, unit_id: str, group: str) -> np.ndarray:
        """Atom positions (within a block) whose sum is the figure of (unit_id, group).

        ``own:<group>`` is the unit's own respondents in that group: one atom.
        """
        if unit_id.startswith(MANAGER_PREFIX):
            return np.array(self.led.get(unit_id, []), dtype=np.int64)
        own = group.startswith(OWN)
        group = group.removeprefix(OWN)
        unit = [self.index[unit_id]] if own else self.subtree[self.index[unit_id]]
        sub = np.array(unit, dtype=np.int64)
        if group == "all":
            return sub
        v, label = group.split("=", 1)
        width = len(self.labels[v])
        return self.offset[v] + sub * width + self.labels[v].index(label)

    def invited_of(self, unit_id: str) -> float:
        """Everyone invited to the figure's units: the most respondents the org table allows."""
        units = self.led.get(unit_id, []) if unit_id.startswith(MANAGER_PREFIX) else None
        units = self.subtree[self.index[unit_id]] if units is None else units
        return float(self.invited[units].sum())

    def structure(self) -> sp.csr_matrix:
        """Rows ``sum_l x_v[u, l] - o[u] = 0``: every variable splits the same respondents."""
        rows, cols, vals, r = [], [], [], 0
        for v in BACKGROUND:
            width = len(self.labels[v])
            for u in range(len(self.unit_ids)):
                start = self.offset[v] + u * width
                rows += [r] * (width + 1)
                cols += [u, *range(start, start + width)]
                vals += [-1.0, *([1.0] * width)]
                r += 1
        return sp.csr_matrix((vals, (rows, cols)), shape=(r, self.size))

    def absent(self, rows: set[tuple[str, str]]) -> np.ndarray:
        """Atoms that must be 0: a unit without a (unit, v=l) row has nobody labelled l."""
        out = []
        for v in BACKGROUND:
            width = len(self.labels[v])
            for j, label in enumerate(self.labels[v][:-1]):
                for u, unit_id in enumerate(self.unit_ids):
                    if (unit_id, f"{v}={label}") not in rows:
                        out.append(self.offset[v] + u * width + j)
        return np.array(out, dtype=np.int64)


def _row(atoms: np.ndarray, width: int, shift: int = 0, coef: float = 1.0) -> sp.csr_matrix:
    return sp.csr_matrix(
        (np.full(len(atoms), coef), (np.zeros(len(atoms)), atoms + shift)), shape=(1, width)
    )


class LP:
    """``A_eq z = b_eq, A_ub z <= b_ub, 0 <= z <= ub``, with the optimisations the attack needs."""

    def __init__(self, a_eq, b_eq, a_ub, b_ub, ub, counter: list[int]) -> None:
        self.a_eq, self.b_eq = sp.csr_matrix(a_eq), np.asarray(b_eq, float)
        self.a_ub, self.b_ub = sp.csr_matrix(a_ub), np.asarray(b_ub, float)
        self.ub, self.counter = np.asarray(ub, float), counter

    @property
    def width(self) -> int:
        return len(self.ub)

    def _solve(self, c, a_eq, b_eq, a_ub, b_ub, bounds) -> np.ndarray:
        self.counter[0] += 1
        res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        if res.status != 0:
            raise RuntimeError(
                f"attacker LP failed ({res.message}): the model contradicts the truth"
            )
        return res.x

    def extremes(self, expr: sp.csr_matrix) -> tuple[float, float, np.ndarray, np.ndarray]:
        """min and max of a linear expression, with the two optimal points."""
        c = expr.toarray().ravel()
        bounds = np.column_stack([np.zeros(self.width), self.ub])
        lo = self._solve(c, self.a_eq, self.b_eq, self.a_ub, self.b_ub, bounds)
        hi = self._solve(-c, self.a_eq, self.b_eq, self.a_ub, self.b_ub, bounds)
        return float(c @ lo), float(c @ hi), lo, hi

    def ratio_extremes(self, num: sp.csr_matrix, den: sp.csr_matrix) -> tuple[float, float]:
        """min and max of num/den where den > 0 (Charnes-Cooper: z = y/t, den(y) = 1)."""
        a_eq = sp.vstack(
            [sp.hstack([self.a_eq, -self.b_eq[:, None]]), sp.hstack([den, sp.csr_matrix((1, 1))])]
        )
        b_eq = np.r_[np.zeros(len(self.b_eq)), 1.0]
        a_ub = sp.hstack([self.a_ub, -self.b_ub[:, None]])
        b_ub = np.zeros(len(self.b_ub))
        bounds = np.column_stack([np.zeros(self.width + 1), np.r_[self.ub, np.inf]])
        c = np.r_[num.toarray().ravel(), 0.0]
        lo = self._solve(c, a_eq, b_eq, a_ub, b_ub, bounds)
        hi = self._solve(-c, a_eq, b_eq, a_ub, b_ub, bounds)
        return float(c @ lo), float(c @ hi)

    def batch(self, exprs: sp.csr_matrix, caps: np.ndarray) -> np.ndarray:
        """A feasible point maximising ``sum_i min(exprs_i z, caps_i)`` (clears many targets)."""
        t = exprs.shape[0]
        a_ub = sp.vstack(
            [
                sp.hstack([self.a_ub, sp.csr_matrix((self.a_ub.shape[0], t))]),
                sp.hstack([-exprs, sp.identity(t)]),
            ]
        )
        b_ub = np.r_[self.b_ub, np.zeros(t)]
        a_eq = sp.hstack([self.a_eq, sp.csr_matrix((self.a_eq.shape[0], t))])
        bounds = np.r_[
            np.column_stack([np.zeros(self.width), self.ub]),
            np.column_stack([np.full(t, -np.inf), caps]),
        ]
        c = np.r_[np.zeros(self.width), -np.ones(t)]
        return self._solve(c, a_eq, self.b_eq, a_ub, b_ub, bounds)[: self.width]


def _clear(lp: LP, exprs: sp.csr_matrix, caps: np.ndarray, cleared) -> np.ndarray:
    """Targets cleared by batch LPs; ``cleared(z, idx)`` says which of idx a point clears."""
    done = np.zeros(exprs.shape[0], bool)
    while not done.all():
        todo = np.flatnonzero(~done)
        z = lp.batch(exprs[todo], caps[todo])
        newly = cleared(z, todo)
        done[todo[newly]] = True
        if newly.sum() < max(1, len(todo) // 20):  # diminishing returns: exact LPs for the rest
            break
    return done


def _measure_lp(
    org: Org,
    measure: str,
    rows: pd.DataFrame,
    rr: pd.DataFrame,
    present: set[tuple[str, str]],
    zero: np.ndarray,
    counter: list[int],
    sums: bool = True,
) -> LP:
    """The count (and, for a question, sum) system of one measure: blocks r, m, s."""
    b = org.size
    blocks = 1 if measure == RESPONSE_RATE else (3 if measure.startswith("q:") and sums else 2)
    width = blocks * b
    g = org.structure()
    eq = [sp.block_diag([g] * blocks)]
    rhs = [np.zeros(g.shape[0] * blocks)]
    for frame, block in ((rr, 0), (rows, blocks - 1 if blocks < 3 else 1)):
        if frame is rows and blocks == 1:
            continue
        shown = frame[frame["pub_n"].notna()]
        for unit_id, group, n, value in shown[
            ["unit_id", "group", "pub_n", "pub_value"]
        ].itertuples(index=False):
            atoms = org.atoms(unit_id, group)
            eq.append(_row(atoms, width, block * b))
            rhs.append([float(n)])
            if blocks == 3 and block == 1:
                eq.append(_row(atoms, width, 2 * b))
                rhs.append([float(n) * float(value)])
    units = np.arange(len(org.unit_ids))
    ub_rows = [sp.csr_matrix((np.ones(len(units)), (units, units)), shape=(len(units), width))]
    ub_rhs = [org.invited]
    ident = sp.identity(b, format="csr")
    for blk in range(1, blocks):  # m <= r, s <= 100 m
        coupling = [sp.csr_matrix((b, b))] * blocks
        coupling[blk], coupling[blk - 1] = ident, -ident * (100.0 if blk == 2 else 1.0)
        ub_rows.append(sp.hstack(coupling))
        ub_rhs.append(np.zeros(b))
    for unit_id, group in present:  # an existing group row has a respondent
        ub_rows.append(_row(org.atoms(unit_id, group), width, 0, -1.0))
        ub_rhs.append([-1.0])
    ub = np.full(width, np.inf)
    for blk in range(blocks):
        ub[zero + blk * b] = 0.0
    return LP(
        sp.vstack(eq),
        np.concatenate([np.ravel(x) for x in rhs]),
        sp.vstack(ub_rows),
        np.concatenate([np.ravel(x) for x in ub_rhs]),
        ub,
        counter,
    )


def attack(
    data: SurveyData,
    params: Params,
    year: int,
    *,
    published: pd.DataFrame | None = None,
    measures: Collection[str] | None = None,
    log: Callable[[str], None] | None = None,
    sums: bool = True,
    hidden_groups: bool = True,
) -> AttackReport:
    """Every breach an LP attacker finds in ``year``'s published figures.

    ``published`` defaults to :func:`analysis.indexes.figures.published_figures`; tests
    pass a hand-made (deliberately leaky) table to check the attacker itself.
    ``measures`` limits the targets to those measures (every published figure
    is still used); ``log`` gets one line per measure attacked; ``sums=False``
    leaves out the questions' sums (n x value within 0 .. 100 per respondent),
    the one part of this attacker the pipeline's audit does not model yet;
    ``hidden_groups=False`` attacks only the table's hidden rows, not the groups
    that are never published (own staff, unknown label: module docstring).
    """
    start, counter = time.perf_counter(), [0]
    k = params.privacy.min_group_size
    raw = compute_unsuppressed(data, params, year)
    if published is None:
        published = published_figures(data, params, year)
    pub = published[[*KEYS, "n", "value"]].rename(columns={"n": "pub_n", "value": "pub_value"})
    table = raw.table[[*KEYS, "n", "value"]].merge(pub, on=KEYS, how="left", validate="1:1")
    table["n"] = table["n"].astype("Int64").fillna(0).astype(np.int64)
    hidden = table["pub_n"].isna()
    org = Org(data.units_in(year), set(table["group"]))
    unit_rows = table[~table["unit_id"].str.startswith(MANAGER_PREFIX)]
    present = set(zip(unit_rows["unit_id"], unit_rows["group"], strict=True))
    zero = org.absent(present)
    present_groups = {(u, g) for u, g in present if g != "all"}
    layout = unit_rows.groupby("unit_id")["group"].agg(frozenset)
    if layout.nunique() <= 1:  # every unit has every label's row: existence tells nothing
        present_groups = set()
    # whether the unit's group has respondents at all (its largest n over the measures)
    group_n = table.groupby(["unit_id", "group"])["n"].transform("max")
    small = hidden & table["n"].between(1, k - 1)
    zero_candidates = hidden & (table["n"] == 0) & (group_n > 0)
    if measures is not None:
        small &= table["measure"].isin(measures)
        zero_candidates &= table["measure"].isin(measures)
    extra = _never_published(org, table, k) if hidden_groups else _no_groups()
    if measures is not None:
        extra = extra[extra["measure"].isin(measures)]
    report = AttackReport(year, k, int(small.sum() + zero_candidates.sum()) + len(extra))
    report.never_published = len(extra)
    found: dict[tuple[str, str, str], Breach] = {}
    pinned: dict[tuple[str, str, str], float] = {}  # question values pinned by the sums
    lps: dict[str, tuple[LP, int]] = {}
    rr = table[table["measure"] == RESPONSE_RATE]

    for measure, rows in table.groupby("measure", sort=False):
        count_t = rows[small[rows.index]]
        zero_t = rows[zero_candidates[rows.index]]
        groups_t = extra[extra["measure"] == measure]
        with_sums = sums and measure.startswith("q:")
        value_t = rows[hidden[rows.index] & (rows["n"] > 0)] if with_sums else None
        if measures is not None and measure not in measures:
            continue
        if count_t.empty and zero_t.empty and groups_t.empty and (value_t is None or value_t.empty):
            continue
        lp = _measure_lp(org, measure, rows, rr, present_groups, zero, counter, sums)
        b, mblock = org.size, 0 if measure == RESPONSE_RATE else org.size
        lps[measure] = (lp, mblock)

        exprs = partial(_exprs, org, lp.width)

        prior = count_t["unit_id"].map(org.invited_of)
        report.invited_below_k += int((prior < k).sum())
        # the org table alone tells those are small
        count_t = count_t[prior >= k].assign(required=float(k), pin=False)
        count_t = _stack(count_t, groups_t[groups_t["n"] > 0])
        zero_t = _stack(zero_t, groups_t[groups_t["n"] == 0])
        if not count_t.empty:  # count: can it reach min(k, what the org table allows)?
            ns = exprs(count_t, mblock)
            need = count_t["required"].to_numpy(np.float64)
            ok = _clear(
                lp, ns, need, lambda z, idx, ns=ns, need=need: ns[idx] @ z >= need[idx] - COUNT_TOL
            )
            layout = None  # the same system without any published number
            for i in np.flatnonzero(~ok):
                lo, hi, _, _ = lp.extremes(ns[i])
                if hi < need[i] - COUNT_TOL:
                    if layout is None:
                        blank = {"pub_n": pd.NA, "pub_value": np.nan}
                        layout = _measure_lp(
                            org,
                            measure,
                            rows.assign(**blank),
                            rr.assign(**blank),
                            present_groups,
                            zero,
                            counter,
                            sums,
                        )
                    alone = layout.extremes(ns[i])[1] < need[i] - COUNT_TOL
                    reason = "count < k" if need[i] >= k else "count < invited"
                    reason += " (row layout)" if alone else ""
                    _note(found, count_t.iloc[i], reason, count=(lo, hi))
            # capped below k by the org table: some point must hold it below the truth
            pin = np.flatnonzero(count_t["pin"].to_numpy(bool))
            if len(pin):
                truth = count_t["n"].to_numpy(np.float64)[pin]
                below = _clear(
                    lp,
                    -ns[pin],
                    1.0 - truth,  # maximise min(-count, 1 - truth): push each down to truth - 1
                    lambda z, idx, ns=ns[pin], t=truth: ns[idx] @ z < t[idx] - COUNT_TOL,
                )
                for i in pin[~below]:
                    lo, hi, _, _ = lp.extremes(ns[i])
                    if lo >= count_t["n"].iloc[i] - COUNT_TOL:
                        _note(found, count_t.iloc[i], "count pinned", count=(lo, hi))
        if not zero_t.empty:  # zero facts: can it be positive?
            ns = exprs(zero_t, mblock)
            ok = _clear(lp, ns, np.ones(len(zero_t)), lambda z, idx, ns=ns: ns[idx] @ z > COUNT_TOL)
            for i in np.flatnonzero(~ok):
                lo, hi, _, _ = lp.extremes(ns[i])
                if hi <= COUNT_TOL:
                    _note(found, zero_t.iloc[i], "zero", count=(lo, hi))
        if value_t is not None and not value_t.empty:  # value: another one possible?
            ns, ss = exprs(value_t, b), exprs(value_t, 2 * b)
            truth = value_t["value"].to_numpy()
            open_ = np.ones(len(value_t), bool)  # breached ones get their exact interval
            batch = np.array([_key(c) not in found for _, c in value_t.iterrows()], bool)
            for sign in (1.0, -1.0):
                idx = np.flatnonzero(open_ & batch)
                if len(idx):
                    dev = sign * (ss[idx] - sp.diags(truth[idx]) @ ns[idx])
                    ok = _clear(
                        lp,
                        dev,
                        np.ones(len(idx)),
                        lambda z, j, idx=idx, ns=ns, ss=ss, truth=truth: _moved(
                            ns[idx[j]] @ z, ss[idx[j]] @ z, truth[idx[j]]
                        ),
                    )
                    open_[idx[ok]] = False
            for i in np.flatnonzero(open_):
                lo, hi = lp.ratio_extremes(ss[i], ns[i])
                cell = value_t.iloc[i]
                if hi - lo <= VALUE_TOL:
                    pinned[_key(cell)] = hi
                if hi - lo <= VALUE_TOL and 1 <= cell["n"] < k:
                    _note(found, cell, "value pinned (sums)", value=(lo, hi))
                elif _key(cell) in found:
                    found[_key(cell)].value = (lo, hi)

        if log is not None:
            log(
                f"{measure}: {len(found)} breaches so far, {counter[0]} LPs, "
                f"{time.perf_counter() - start:.1f} s"
            )
    _composite_attack(table, hidden, small, raw.composites, pinned, found, counter)
    for breach in found.values():  # count intervals of breaches found by their value
        if breach.count is None:
            lp, shift = lps[breach.measure]
            lo, hi, _, _ = lp.extremes(
                _row(org.atoms(breach.unit_id, breach.group), lp.width, shift)
            )
            breach.count = (lo, hi)
    report.breaches = sorted(found.values(), key=lambda x: (x.unit_id, x.group, x.measure))
    report.lps, report.seconds = counter[0], time.perf_counter() - start
    return report


def _never_published(org: Org, table: pd.DataFrame, k: int) -> pd.DataFrame:
    """The groups without a row of their own that are targets: ``KEYS``, n, required, pin.

    Their true counts are the atoms' (module docstring), from the table's
    true n: a figure minus its children's, then the unknown label as the
    unit's own respondents minus its labels.
    """
    rows = table[~table["unit_id"].str.startswith(MANAGER_PREFIX)]
    measures = pd.Index(pd.unique(table["measure"]))
    n_units = len(org.unit_ids)
    # every (unit, group) figure at the position of its unit's own atom
    slot = {"all": (0, 1, 0)}
    for v in BACKGROUND:
        width = len(org.labels[v])
        slot |= {f"{v}={label}": (org.offset[v], width, j) for j, label in enumerate(org.labels[v])}
    code, groups = pd.factorize(rows["group"])
    start, width, j = (
        np.array(x, dtype=np.int64)[code] for x in zip(*(slot[g] for g in groups), strict=True)
    )
    unit = rows["unit_id"].map(org.index).to_numpy(np.int64)
    figure = np.zeros((len(measures), org.size))
    figure[measures.get_indexer(rows["measure"]), start + unit * width + j] = rows["n"]
    # own atoms: a figure minus its children's figures, label by label
    child = np.flatnonzero(org.parent >= 0)
    parent = org.parent[child]
    at_child, at_parent = [child], [parent]
    for v in BACKGROUND:
        w = len(org.labels[v])
        for label in range(w - 1):
            at_child.append(org.offset[v] + child * w + label)
            at_parent.append(org.offset[v] + parent * w + label)
    own = figure.copy()
    np.subtract.at(own.T, np.concatenate(at_parent), figure.T[np.concatenate(at_child)])
    everyone = np.arange(n_units)
    for v in BACKGROUND:  # the unknown label: own respondents minus those with a label
        w = len(org.labels[v])
        labelled = sum(own[:, org.offset[v] + everyone * w + label] for label in range(w - 1))
        own[:, org.offset[v] + everyone * w + w - 1] = own[:, :n_units] - labelled
    if (own < -COUNT_TOL).any():
        raise RuntimeError("the table's true counts are not sums of respondents")

    # which measures break each variable down (a group's count means nothing elsewhere)
    variable = rows["group"].str.split("=").str[0]
    shown = pd.crosstab(variable, rows["measure"]).reindex(columns=measures, fill_value=0) > 0
    rr = measures.get_indexer([RESPONSE_RATE])[0]
    responding = own[rr, :n_units] if rr >= 0 else own[:, :n_units].max(axis=0)
    cap = np.where(np.isnan(org.given), np.where(responding > 0, np.inf, 0.0), org.given)
    cap = np.maximum(cap, responding)  # never below the truth
    heads = np.unique(parent)
    candidates = [(org.unit_ids[u], OWN + "all", cap[u], "all") for u in heads]
    for v in BACKGROUND:
        if len(org.labels[v]) == 1:  # no label at all: the unknown label is everyone
            continue
        for label in org.labels[v]:
            candidates += [(org.unit_ids[u], f"{OWN}{v}={label}", cap[u], v) for u in heads]
        candidates += [
            (unit_id, f"{v}=", cap[org.subtree[u]].sum(), v)
            for u, unit_id in enumerate(org.unit_ids)
        ]
    if not candidates:
        return _no_groups()
    unit_ids, names, caps, by = (list(x) for x in zip(*candidates, strict=True))
    pick = sp.vstack(
        [_row(org.atoms(u, g), org.size) for u, g in zip(unit_ids, names, strict=True)]
    )
    count = np.asarray(pick @ own.T).T  # measures x candidates
    mask = np.array(
        [shown.loc[v].to_numpy() if v in shown.index else np.ones(len(measures), bool) for v in by]
    ).T
    count = np.where(mask, count.round(), np.nan)
    elsewhere = np.nanmax(np.where(mask, count, 0.0), axis=0) > 0
    small = ((count >= 1) & (count < k)) | ((count == 0) & elsewhere)
    m_at, c_at = np.nonzero(small)
    held = count[m_at, c_at]
    required = np.minimum(k, np.maximum(np.array(caps)[c_at], held))
    return pd.DataFrame(
        {
            "unit_id": np.array(unit_ids, dtype=object)[c_at],
            "group": np.array(names, dtype=object)[c_at],
            "measure": measures.to_numpy()[m_at],
            "n": held.astype(np.int64),
            "required": required,
            "pin": (required < k) & (held > 0),
        }
    )


def _no_groups() -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in KEYS} | {"n": [], "required": [], "pin": []})


def _stack(*frames: pd.DataFrame) -> pd.DataFrame:
    """The non-empty frames one under the other (positions renumbered)."""
    full = [f for f in frames if not f.empty]
    return pd.concat(full, ignore_index=True) if full else frames[0].reset_index(drop=True)


def _exprs(org: Org, width: int, frame: pd.DataFrame, shift: int) -> sp.csr_matrix:
    """One row per cell of ``frame``: its figure as a sum of atoms of the block at ``shift``."""
    cells = zip(frame["unit_id"], frame["group"], strict=True)
    return sp.vstack([_row(org.atoms(u, g), width, shift) for u, g in cells]).tocsr()


def _moved(n: np.ndarray, s: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Points whose value s/n differs from the true value: that value is not pinned."""
    return (n > COUNT_TOL) & (np.abs(s / np.maximum(n, COUNT_TOL) - truth) > 10 * VALUE_TOL)


def _key(cell: pd.Series) -> tuple[str, str, str]:
    return (cell["unit_id"], cell["group"], cell["measure"])


def _note(found: dict, cell: pd.Series, reason: str, *, count=None, value=None) -> None:
    """Record a breach of ``cell`` (one entry per cell, its reasons joined)."""
    breach = found.setdefault(_key(cell), Breach(*_key(cell), int(cell["n"])))
    breach.reason = "; ".join(r for r in (breach.reason, reason) if r)
    breach.count = count if count is not None else breach.count
    breach.value = value if value is not None else breach.value


def _composite_attack(
    table: pd.DataFrame,
    hidden: pd.Series,
    small: pd.Series,
    composites: dict[str, list[str]],
    pinned: dict[tuple[str, str, str], float],
    found: dict,
    counter: list[int],
) -> None:
    """Values per cell: composite x (its questions answered there) = the sum of their values.

    Hidden values with n > 0 are unknowns in [0, 100] (question values the sums
    pinned count as known); one block-diagonal LP holds every cell.
    """
    cells = table[(table["n"] > 0) & (table["measure"] != RESPONSE_RATE)]
    known = cells["pub_value"].where(~hidden[cells.index])
    keys = list(zip(cells["unit_id"], cells["group"], cells["measure"], strict=True))
    known_of = {key: pinned.get(key, v) for key, v in zip(keys, known, strict=True)}
    var_of = {key: i for i, key in enumerate(key for key in keys if pd.isna(known_of[key]))}
    truth = {key: v for key, v in zip(keys, cells["value"], strict=True)}
    rows, cols, vals, rhs = [], [], [], []
    for unit_id, group in dict.fromkeys((u, g) for u, g, _ in keys):
        for name, questions in composites.items():
            if (unit_id, group, name) not in known_of:
                continue
            members = [(unit_id, group, f"q:{q}") for q in questions]
            members = [m for m in members if m in known_of]
            terms = [((unit_id, group, name), float(len(members))), *((m, -1.0) for m in members)]
            if all(key not in var_of for key, _ in terms):
                continue
            rhs.append(-sum(c * known_of[key] for key, c in terms if key not in var_of))
            for key, c in terms:
                if key in var_of:
                    rows.append(len(rhs) - 1)
                    cols.append(var_of[key])
                    vals.append(c)
    if not rhs:
        return
    width = len(var_of)
    lp = LP(
        sp.csr_matrix((vals, (rows, cols)), shape=(len(rhs), width)),
        rhs,
        sp.csr_matrix((0, width)),
        np.zeros(0),
        np.full(width, 100.0),
        counter,
    )
    in_eq = set(cols)
    small_n = dict(
        zip(
            zip(*(table.loc[small, c] for c in KEYS), strict=True),
            table.loc[small, "n"],
            strict=True,
        )
    )
    targets = [key for key, i in var_of.items() if i in in_eq and key in small_n]
    if not targets:
        return
    pick = sp.csr_matrix(
        (np.ones(len(targets)), (range(len(targets)), [var_of[t] for t in targets])),
        shape=(len(targets), width),
    )
    base = np.array([truth[t] for t in targets])
    open_ = np.ones(len(targets), bool)  # breached ones get their exact interval
    batch = np.array([t not in found for t in targets], bool)
    for sign in (1.0, -1.0):
        idx = np.flatnonzero(open_ & batch)
        if len(idx):
            dev = sign * pick[idx]
            b = sign * base[idx]  # maximise min(sign (v - truth), 1): shift the cap by the truth
            ok = _clear(
                lp, dev, b + 1.0, lambda z, j, dev=dev, b=b: dev[j] @ z - b[j] > VALUE_TOL * 10
            )
            open_[idx[ok]] = False
    for i in np.flatnonzero(open_):
        lo, hi, _, _ = lp.extremes(pick[i])
        cell = pd.Series(dict(zip(KEYS, targets[i], strict=True)) | {"n": small_n[targets[i]]})
        if hi - lo <= VALUE_TOL:
            _note(found, cell, "value pinned (composites)", value=(lo, hi))
        elif targets[i] in found and found[targets[i]].value is None:
            found[targets[i]].value = (lo, hi)
