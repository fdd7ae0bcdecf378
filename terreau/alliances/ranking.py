"""Ranking candidate key issues from the consulted actors' ballots: the Borda count, shown in full.

With n candidates, a ballot gives n-1 points to its first choice, n-2 to its second, and so on; candidates a
ballot leaves out get nothing from it (an actor ranks what they know). The table keeps, for each candidate,
its points, how many ballots put it first and how many ranked it, so that anyone can recount. Ties on points
are broken by the number of first places; candidates still equal share their rank (1, 1, 3).

Pure Python, no Django: the services validate ballots against the diagnosis's candidates before counting.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass


class InvalidBallot(ValueError):
    pass


@dataclass(frozen=True)
class Tally:
    candidate: Hashable
    points: int
    firsts: int
    ballots: int
    rank: int


def check_ballot(candidates: Sequence[Hashable], ranking: Sequence[Hashable]) -> None:
    """A ballot ranks known candidates, each at most once, and at least one."""
    if not ranking:
        raise InvalidBallot("empty")
    unknown = [c for c in ranking if c not in set(candidates)]
    if unknown:
        raise InvalidBallot(f"unknown candidates {unknown}")
    if len(set(ranking)) != len(ranking):
        raise InvalidBallot("a candidate ranked twice")


def borda(candidates: Sequence[Hashable], ballots: Iterable[Sequence[Hashable]]) -> list[Tally]:
    """The table, best first. Raises InvalidBallot for a ballot that does not check."""
    n = len(candidates)
    points = dict.fromkeys(candidates, 0)
    firsts = dict.fromkeys(candidates, 0)
    ranked = dict.fromkeys(candidates, 0)
    for ranking in ballots:
        check_ballot(candidates, ranking)
        for position, candidate in enumerate(ranking):
            points[candidate] += n - 1 - position
            ranked[candidate] += 1
        firsts[ranking[0]] += 1
    order = sorted(candidates, key=lambda c: (-points[c], -firsts[c]))
    table: list[Tally] = []
    for index, candidate in enumerate(order):
        previous = table[-1] if table else None
        tied = previous is not None and (previous.points, previous.firsts) == (
            points[candidate],
            firsts[candidate],
        )
        rank = previous.rank if tied else index + 1
        table.append(Tally(candidate, points[candidate], firsts[candidate], ranked[candidate], rank))
    return table
