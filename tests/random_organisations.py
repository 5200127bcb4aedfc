"""Random small organisations for the anonymity property tests (hypothesis).

Shared by tests/test_privacy.py (the first-order checker) and
tests/test_attack.py (the LP attacker): trees of depth 1-3, respondents on
any level, some managers, labels that may be unknown (""), answers that may
be don't-know (0) or blank (None), k 3 or 5. The previous year (2022) has
the same units and a subset of the respondents, so that changes are computed.
"""

from __future__ import annotations

from builders import question, respondents, survey, unit
from hypothesis import strategies as st

from analysis.core.dataset import SurveyData

LABELS = {
    "gender": ["Kvinna", "Man", ""],
    "age_group": ["-39", "40-", ""],
    "role": ["Chef", "Medarbetare", ""],
}
ANSWERS = st.sampled_from([1, 2, 3, 4, 5, 5, 4, 0, None])  # about 1 in 4 don't-know or blank
QUESTIONS = [
    question("q1", area="A", dimension="Motivation"),
    question("q2", area="A", leadership=True),
    question("q3", area="B", dimension="Ledarskap", leadership=True),
]


@st.composite
def organisations(draw, max_units: int = 15) -> tuple[SurveyData, int]:
    """2 .. ``max_units`` units of 2022 and 2023 (module docstring), and k."""
    n_units = draw(st.integers(2, max_units))
    max_depth = draw(st.integers(1, 3))
    depth, tree = [0], [("u0", "", draw(st.sampled_from(["", "m0"])))]
    for i in range(1, n_units):
        parent = draw(st.sampled_from([j for j in range(i) if depth[j] < max_depth]))
        depth.append(depth[parent] + 1)
        tree.append((f"u{i}", f"u{parent}", draw(st.sampled_from(["", "", "m1", "m2", "m3"]))))
    rows = {2022: [], 2023: []}
    invited = {}
    for unit_id, _, _ in tree:
        for labels in draw(st.lists(st.tuples(*map(st.sampled_from, LABELS.values())), max_size=3)):
            count = draw(st.integers(1, 7))
            answers = [draw(st.lists(ANSWERS, min_size=count, max_size=count)) for _ in "123"]
            kept = count - draw(st.integers(0, count))  # of them, in 2022
            for year, size in ((2023, count), (2022, kept)):
                if size:
                    rows[year] += respondents(
                        year,
                        unit_id,
                        **dict(zip(LABELS, labels, strict=True)),
                        **{f"q{j + 1}": answers[j][:size] for j in range(3)},
                    )
        mine = sum(1 for r in rows[2023] if r["unit_id"] == unit_id)
        invited[unit_id] = mine + draw(st.integers(0, 2)) if mine else None
    for year in rows:
        if not rows[year]:
            rows[year] = respondents(year, "u0", q1=[3])
            invited["u0"] = invited["u0"] or 1  # invited is given where respondents belong
    units = [
        unit(year, unit_id, parent=parent, manager=manager, invited=invited[unit_id])
        for year in (2022, 2023)
        for unit_id, parent, manager in tree
    ]
    k = draw(st.sampled_from([5, 5, 3]))
    return survey(QUESTIONS, units, rows[2022] + rows[2023]), k
