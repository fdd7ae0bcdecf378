"""The Borda count of key issues: checked by hand on small cases and by properties on random ones."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terreau.alliances.ranking import InvalidBallot, borda

CANDIDATES = ["vieillir", "numerique", "emploi"]


def test_points_firsts_and_ballots_by_hand():
    ballots = [
        ["numerique", "vieillir", "emploi"],  # 2, 1, 0
        ["vieillir", "numerique"],  # 2, 1 (emploi unranked: 0)
        ["numerique"],  # 2
    ]
    table = borda(CANDIDATES, ballots)
    assert [(t.candidate, t.points, t.firsts, t.ballots, t.rank) for t in table] == [
        ("numerique", 5, 2, 3, 1),
        ("vieillir", 3, 1, 2, 2),
        ("emploi", 0, 0, 1, 3),
    ]


def test_ties_broken_by_first_places_then_shared():
    # vieillir and numerique both have 2 points; vieillir has a first place, numerique none.
    ballots = [["vieillir"], ["emploi", "numerique"], ["emploi", "numerique"]]
    table = borda(CANDIDATES, ballots)
    assert [(t.candidate, t.points, t.firsts, t.rank) for t in table] == [
        ("emploi", 4, 2, 1),
        ("vieillir", 2, 1, 2),
        ("numerique", 2, 0, 3),
    ]
    # Equal on points and first places: the rank is shared and the next one skipped.
    shared = borda(CANDIDATES, [["vieillir"], ["numerique"]])
    assert [t.rank for t in shared] == [1, 1, 3]


@pytest.mark.parametrize(
    "ballot", [[], ["inconnu"], ["vieillir", "vieillir"]], ids=["empty", "unknown", "twice"]
)
def test_invalid_ballots_are_refused(ballot):
    with pytest.raises(InvalidBallot):
        borda(CANDIDATES, [ballot])


ballots_strategy = st.lists(
    st.permutations(CANDIDATES).flatmap(lambda p: st.integers(1, 3).map(lambda k: p[:k]))
)


@given(ballots_strategy)
def test_properties(ballots):
    table = borda(CANDIDATES, ballots)
    n = len(CANDIDATES)
    # Every ballot hands out (n-1) + (n-2) + ... for the places it fills; nothing else is counted.
    assert sum(t.points for t in table) == sum(sum(n - 1 - i for i in range(len(b))) for b in ballots)
    assert sum(t.firsts for t in table) == len(ballots)
    # Ordered by points; ranks never decrease and start at 1.
    assert [t.points for t in table] == sorted((t.points for t in table), reverse=True)
    assert table[0].rank == 1
    assert all(a.rank <= b.rank for a, b in zip(table, table[1:], strict=False))
    # A candidate first on every ballot wins alone.
    if ballots and all(b[0] == ballots[0][0] for b in ballots):
        assert table[0].candidate == ballots[0][0] and table[1].rank == 2
