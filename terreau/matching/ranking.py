"""Partners from stored pairs: the engine's aggregation (engine.Index.partners_from_pairs) on plain rows.

The web reads scored pairs from the database (terreau.matching.store) and has no index; this module groups
them into partners by the engine's rules, so that a page shows what the engine would: a partner scores
best + SECOND_PAIR * (1 - best) * second best of its pairs (rounded to 3 decimals), partners are ranked by
that score then by id (as text), each lists its MAX_PAIRS_SHOWN best pairs (score rounded, then "receives"
before "gives", then need id and offer id as text) and the reasons of its best pair, plus "N paires
complémentaires" and "échange dans les deux sens" when they hold.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from terreau.matching import engine


@dataclass(frozen=True)
class ScoredRow:
    """One stored pair as seen from an organisation (its score possibly re-weighted by the caller)."""

    need: str
    offer: str
    need_org: str
    offer_org: str
    score: float
    reasons: tuple[str, ...]


def partners(org_id: str, rows: list[ScoredRow], *, top: int = 10) -> list[engine.Partner]:
    """The best `top` partners of organisation `org_id` from these pairs (pairs under MIN_PAIR_SCORE and
    pairs not involving it are ignored)."""
    groups: dict[str, list[tuple[float, int, ScoredRow]]] = defaultdict(list)
    for row in rows:
        if row.score < engine.MIN_PAIR_SCORE or row.need_org == row.offer_org:
            continue
        if row.need_org == org_id:
            groups[row.offer_org].append((row.score, 0, row))
        elif row.offer_org == org_id:
            groups[row.need_org].append((row.score, 1, row))
    scored = []
    for partner, entries in groups.items():
        values = sorted((s for s, _d, _r in entries), reverse=True)
        best, second = values[0], values[1] if len(values) > 1 else 0.0
        score = round(min(1.0, max(0.0, best + engine.SECOND_PAIR * (1 - best) * second)), 3)
        scored.append((-round(score * 1000), partner, score))
    scored.sort()
    out = []
    for _key, partner, score in scored[:top]:
        entries = sorted(groups[partner], key=lambda e: (-round(e[0], 3), e[1], e[2].need, e[2].offer))
        why = list(entries[0][2].reasons)
        if len(entries) > 1:
            why.append(f"{len(entries)} paires complémentaires")
        if len({d for _s, d, _r in entries}) > 1:
            why.append("échange dans les deux sens")
        pairs = tuple(
            engine.Pair(need=r.need, offer=r.offer, direction="gives" if d else "receives", score=round(s, 3))
            for s, d, r in entries[: engine.MAX_PAIRS_SHOWN]
        )
        out.append(engine.Partner(id=partner, score=score, pairs=pairs, why=tuple(why)))
    return out
