"""Which scored pairs people are shown: one quality and feasibility rule for the organisations'
complementarities (services.suggestions_for) and the facilitators' alliances (services.territory_overview).

A pair is shown when
- its score is at least MIN_SCORE (ALLIANCE_MIN_SCORE, the same for both pages);
- its kinds of help fit together (kinds_compatible(): a room asked for is not answered by equipment);
- its help can reach the other side (is_physical(): rooms, equipment, vehicles and volunteers on site are
  not proposed beyond PHYSICAL_MAX_KM; skills, training, money, contacts, visibility and any help said to be
  possible remotely are not limited by distance).
feasible() checks the last two on the engine's PairDetails; pick_alliances() adds the variety of the
alliances (every need first, then the rest, within per-need and per-organisation quotas).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from terreau.matching import engine

# Threshold chosen on the hand-labelled set (data/matching_eval, every pair of the set scored): at 0.2 two
# thirds of the pairs judged good stay and 43 % of the pairs above are judged good (the rest is mostly
# unjudged); at 0.1 the list would be 20 % good, at 0.3 it would lose 60 % of the good pairs. Pairs of
# 3-16 % read as absurd to facilitators and members alike.
ALLIANCE_MIN_SCORE = 0.2
ALLIANCES_PER_NEED = 2  # a need shows at most this many offers, so that the list covers several needs
ALLIANCES_PER_ORGANISATION = 3  # an organisation, on either side, appears in at most this many pairs
# Help that has to travel: rooms, equipment and goods, vehicles, volunteers on site (type codes of the
# help given, i.e. the offer's, else the need's).
PHYSICAL_TYPES = frozenset({"locaux", "materiel", "mobilite", "benevolat"})
PHYSICAL_MAX_KM = 80.0  # about an hour's drive: beyond it physical help is not proposed
# Kinds of help given by both sides (codes chosen by the organisations) whose compatibility in the engine's
# table is below this never pair, whatever their words share: a room asked for and equipment offered (0.2).
# Kinds only read from the text are guesses: they lower a score in the engine but never exclude a pair.
MIN_TYPE_COMPATIBILITY = 0.3


def is_physical(*, need_type: str | None, offer_type: str | None, remote: bool = False) -> bool:
    """Whether the help of a pair has to travel (PHYSICAL_TYPES), unless it is said possible remotely."""
    given = offer_type if offer_type and offer_type != "autre" else need_type
    return not remote and given in PHYSICAL_TYPES


def kinds_compatible(*, need_type: str | None, offer_type: str | None) -> bool:
    """Whether the kinds of help asked for and offered can meet (always, when one of them is not given)."""
    if not need_type or not offer_type:
        return True
    return engine.TYPE_COMPATIBILITY.get((need_type, offer_type), 0.0) >= MIN_TYPE_COMPATIBILITY


def feasible(details: engine.PairDetails, i: int) -> bool:
    """Whether pair i of `details` makes sense and can happen: compatible kinds of help, and no physical
    help between organisations over PHYSICAL_MAX_KM apart (an unknown distance is not held against it)."""
    need_type, offer_type = details.need_type[i], details.offer_type[i]
    if not kinds_compatible(need_type=need_type, offer_type=offer_type):
        return False
    distance = details.distance_km[i]
    return not (
        distance is not None
        and distance > PHYSICAL_MAX_KM
        and is_physical(need_type=need_type, offer_type=offer_type, remote=details.remote[i])
    )


def pick_alliances(
    *,
    order: list[int],
    details: engine.PairDetails,
    top: int,
    eligible: Callable[[int], bool] = lambda i: True,
) -> list[int]:
    """Positions (in details) of the alliances shown, in the order of `order` (best first).

    A pair is skipped when it is not eligible or not feasible(), or when its need or one of its
    organisations already fills its quota (ALLIANCES_PER_NEED, ALLIANCES_PER_ORGANISATION). Needs not yet
    covered come first: a first pass takes the best pair of each need, a second fills the remaining places
    with the other pairs, so a need's second offer never takes the place of another need's only one."""
    per_need: dict[str, int] = defaultdict(int)
    per_org: dict[str, int] = defaultdict(int)
    candidates = [i for i in order if eligible(i) and feasible(details, i)]
    picked: list[int] = []
    taken: set[int] = set()
    for first_pass in (True, False):
        for i in candidates:
            if len(picked) == top:
                break
            need, orgs = details.need_id[i], {details.need_org[i], details.offer_org[i]}
            if (
                per_need[need] >= (1 if first_pass else ALLIANCES_PER_NEED)
                or any(per_org[o] >= ALLIANCES_PER_ORGANISATION for o in orgs)
                or i in taken
            ):
                continue
            picked.append(i)
            taken.add(i)
            per_need[need] += 1
            for o in orgs:
                per_org[o] += 1
    rank = {i: r for r, i in enumerate(order)}
    return sorted(picked, key=rank.__getitem__)
