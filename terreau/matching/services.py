"""Complementarities in the application: suggestions, feedback, and the territory seen by facilitators.

They read the process's warm index (terreau.matching.indexing) through the engine's public API only.

Visibility
    The index is global, so every answer is filtered for the person asking before it is aggregated:
    the candidate pairs of an organisation are scored, the other side's needs/offers are checked through
    terreau.core.access.visible() (one query), and only the visible pairs feed the partner scores, the
    reasons and the display. A private need of another branch therefore neither appears nor raises a score.
    The vocabulary's IDF weights come from public needs and offers only (build_index). Only the freshness
    reference date (the newest "updated" date of all active items) is computed over everything.

Learned adjustment (feedback)
    Before aggregation each pair's score is multiplied by
    - a type factor for its (need type, offer type), learned over the whole platform:
      2 * (accepted + A) / (accepted + dismissed + 2A), A = LEARNING_PRIOR, clipped to [0.6, 1.3],
      where accepted counts contact requests accepted about such pairs and dismissed counts pairs marked
      "not relevant" (reason not_relevant or other); with no feedback the factor is 1;
    - a partner factor for the asking organisation: PARTNER_PENALTY ** (pairs with that partner it has
      dismissed), floored at 0.5.
    Dismissed pairs are removed; a partner dismissed as "already partners" is removed altogether.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from terreau.core.access import actor_for, visible
from terreau.core.french import sort_key
from terreau.directory.models import Direction, NeedOffer, Organisation
from terreau.matching import engine
from terreau.matching.indexing import coordinates, locked_index, reset_index, warm_index
from terreau.matching.models import SuggestionFeedback
from terreau.matching.selection import (
    ALLIANCE_MIN_SCORE,
    ALLIANCES_PER_NEED,
    ALLIANCES_PER_ORGANISATION,
    PHYSICAL_MAX_KM,
    PHYSICAL_TYPES,
    feasible,
    is_physical,
    kinds_compatible,
    pick_alliances,
)
from terreau.partnerships.models import ContactRequest
from terreau.territories.geo import haversine_km

__all__ = [
    # What is shown (terreau.matching.selection), re-exported for the views and templates.
    "ALLIANCES_PER_NEED",
    "ALLIANCES_PER_ORGANISATION",
    "ALLIANCE_MIN_SCORE",
    "PHYSICAL_MAX_KM",
    "PHYSICAL_TYPES",
    "is_physical",
    "kinds_compatible",
    "pick_alliances",
    "reset_index",  # the warm index, re-exported for callers of the services (tests, imports)
    "warm_index",
]

CANDIDATE_LIMIT = 3000  # best candidate pairs checked for visibility per request (one query)
LEARNING_PRIOR = 5.0
TYPE_FACTOR_RANGE = (0.6, 1.3)
PARTNER_PENALTY = 0.8
PARTNER_FLOOR = 0.5
UNMET_THRESHOLD = 0.3  # an open need whose best visible offer scores below this is "unmet"
RELEVANCE_REASONS = (SuggestionFeedback.Reason.NOT_RELEVANT, SuggestionFeedback.Reason.OTHER)


def type_factors() -> dict[tuple[str, str], float]:
    """(need type, offer type) -> factor learned from accepted requests and dismissed pairs (2 queries)."""
    accepted = {
        (r["need__type"], r["offer__type"]): r["n"]
        for r in ContactRequest.objects.filter(
            status=ContactRequest.Status.ACCEPTED, need__isnull=False, offer__isnull=False
        )
        .values("need__type", "offer__type")
        .annotate(n=Count("pk"))
    }
    dismissed = {
        (r["need__type"], r["offer__type"]): r["n"]
        for r in SuggestionFeedback.objects.filter(
            verdict=SuggestionFeedback.Verdict.DISMISSED, reason__in=RELEVANCE_REASONS
        )
        .values("need__type", "offer__type")
        .annotate(n=Count("pk"))
    }
    low, high = TYPE_FACTOR_RANGE
    out = {}
    for key in set(accepted) | set(dismissed):
        a, d = accepted.get(key, 0), dismissed.get(key, 0)
        out[key] = min(high, max(low, 2 * (a + LEARNING_PRIOR) / (a + d + 2 * LEARNING_PRIOR)))
    return out


def partner_factor(dismissed_pairs: int) -> float:
    return max(PARTNER_FLOOR, PARTNER_PENALTY**dismissed_pairs)


# --- suggestions for one organisation ----------------------------------------------------------------


@dataclass
class SuggestedPair:
    need: NeedOffer
    offer: NeedOffer
    direction: str  # "receives": our need meets their offer; "gives": our offer meets their need
    score: float
    already_proposed: bool = False


@dataclass
class Suggestion:
    partner: Organisation
    score: float
    why: list[str]
    pairs: list[SuggestedPair]
    distance_km: float | None = None

    @property
    def percent(self) -> int:
        return round(self.score * 100)

    @property
    def reasons_text(self) -> str:
        return "\n".join(self.why)

    @property
    def contact_pair(self) -> SuggestedPair | None:
        """The pair a contact proposal is about: the best one not proposed yet (None when all are)."""
        return next((p for p in self.pairs if not p.already_proposed), None)


def _best(sc: np.ndarray, limit: int) -> np.ndarray:
    keep = np.flatnonzero(sc >= engine.MIN_PAIR_SCORE)
    if len(keep) > limit:
        keep = keep[np.argsort(-sc[keep], kind="stable")[:limit]]
    return keep


def _visible_item_ids(user, ids: set[int]) -> set[int]:
    if not ids:
        return set()
    out: set[int] = set()
    ordered = sorted(ids)
    for start in range(0, len(ordered), 900):  # bounded IN lists (SQLite's variable limit)
        chunk = ordered[start : start + 900]
        out.update(visible(user, NeedOffer.objects.filter(pk__in=chunk)).values_list("pk", flat=True))
    return out


def suggestions_for(*, organisation: Organisation, user, top: int = 10) -> list[Suggestion]:
    """Suggested partners of an organisation for a user who may act for it (the caller checks that).

    Only the pairs the facilitators' alliances would show count (terreau.matching.selection): compatible
    kinds of help, no physical help from too far, a score (after the learned adjustment) of at least
    ALLIANCE_MIN_SCORE. The same rule holds for both sides of a pair, so the organisation suggested sees the
    same pairs. A constant number of queries whatever the number of suggestions."""
    actor = actor_for(user)
    feedback = list(
        SuggestionFeedback.objects.filter(
            organisation=organisation, verdict=SuggestionFeedback.Verdict.DISMISSED
        ).values_list("need_id", "offer_id", "partner_id", "reason")
    )
    dismissed_pairs = {(str(n), str(o)) for n, o, _p, _r in feedback}
    hidden_partners = {str(p) for _n, _o, p, r in feedback if r == SuggestionFeedback.Reason.ALREADY_PARTNERS}
    per_partner: dict[str, int] = defaultdict(int)
    for _n, _o, p, _r in feedback:
        per_partner[str(p)] += 1
    learned = type_factors()

    with locked_index() as index:
        key = str(organisation.pk)
        if not index.has_organisation(key):
            return []
        ns, os_, sc = index.pairs_for_items(*index.item_slots([key]))
        cand = _best(sc, CANDIDATE_LIMIT)
        ns, os_, sc = ns[cand], os_[cand], sc[cand].astype(np.float64)
        info = index.pair_details(ns, os_)
        is_mine = [org == key for org in info.need_org]
        other_ids = [
            int(offer_id if mine else need_id)
            for need_id, offer_id, mine in zip(info.need_id, info.offer_id, is_mine, strict=True)
        ]
        seen = _visible_item_ids(actor, set(other_ids))
        keep = np.zeros(len(ns), dtype=np.bool_)
        for i, mine in enumerate(is_mine):
            other_org = info.offer_org[i] if mine else info.need_org[i]
            if (
                other_ids[i] not in seen
                or (info.need_id[i], info.offer_id[i]) in dismissed_pairs
                or other_org in hidden_partners
                or not feasible(info, i)
            ):
                continue
            keep[i] = True
            learned_factor = learned.get((info.need_type[i], info.offer_type[i]), 1.0)
            sc[i] *= learned_factor * partner_factor(per_partner.get(other_org, 0))
        sc = np.clip(sc, 0.0, 1.0)
        keep &= sc >= ALLIANCE_MIN_SCORE  # the alliances' threshold, on the score shown
        ns, os_, sc = ns[keep], os_[keep], sc[keep]
        partners = index.partners_from_pairs(key, engine.ScoredPairs(ns, os_, sc), top=top)

    return _display(organisation=organisation, actor=actor, partners=partners)


def _display(*, organisation: Organisation, actor, partners: list[engine.Partner]) -> list[Suggestion]:
    """Loads the partners and items shown (through visible(): 3 queries) and builds the suggestions."""
    if not partners:
        return []
    org_ids = {int(p.id) for p in partners}
    item_ids = {int(x) for p in partners for pair in p.pairs for x in (pair.need, pair.offer)}
    orgs = {
        o.pk: o
        for o in visible(actor, Organisation.objects.filter(pk__in=org_ids)).select_related(
            "commune__department"
        )
    }
    items = {
        i.pk: i
        for i in visible(actor, NeedOffer.objects.filter(pk__in=item_ids)).select_related(
            "theme", "organisation"
        )
    }
    proposed = set(
        ContactRequest.objects.filter(
            Q(sender=organisation) | Q(recipient=organisation),
            status__in=[ContactRequest.Status.PENDING, ContactRequest.Status.ACCEPTED],
            need_id__in=item_ids,
        ).values_list("need_id", "offer_id")
    )
    here = coordinates(organisation)
    out = []
    for p in partners:
        partner = orgs.get(int(p.id))
        if partner is None:
            continue
        pairs = []
        for pair in p.pairs:
            need, offer = items.get(int(pair.need)), items.get(int(pair.offer))
            if need is None or offer is None:
                continue
            pairs.append(
                SuggestedPair(
                    need=need,
                    offer=offer,
                    direction=pair.direction,
                    score=pair.score,
                    already_proposed=(need.pk, offer.pk) in proposed,
                )
            )
        if not pairs:
            continue
        there = coordinates(partner)
        distance = None
        if here and there:
            distance = round(haversine_km(here[0], here[1], there[0], there[1]))
        out.append(
            Suggestion(
                partner=partner,
                score=p.score,
                why=engine.reason_sentences(p.why, pairs_shown=len(pairs)),
                pairs=pairs,
                distance_km=distance,
            )
        )
    return out


# --- feedback ----------------------------------------------------------------------------------------


def suggestion_dismiss(
    *,
    organisation: Organisation,
    need: NeedOffer,
    offer: NeedOffer,
    reason: str,
    note: str = "",
    by=None,
) -> SuggestionFeedback:
    """The organisation marks a suggested pair "not relevant": it disappears and is kept for ranking."""
    if reason not in SuggestionFeedback.Reason.values:
        raise ValidationError(_("Choisissez un motif dans la liste."))
    if need.direction != Direction.NEED or offer.direction != Direction.OFFER:
        raise ValidationError(_("Cette paire ne relie pas un besoin à une ressource."))
    owners = {need.organisation_id, offer.organisation_id}
    if organisation.pk not in owners or len(owners) != 2:
        raise ValidationError(_("Cette paire ne concerne pas votre structure et une autre structure."))
    partner_id = (owners - {organisation.pk}).pop()
    with transaction.atomic():
        feedback, _created = SuggestionFeedback.objects.update_or_create(
            organisation=organisation,
            need=need,
            offer=offer,
            verdict=SuggestionFeedback.Verdict.DISMISSED,
            defaults={"partner_id": partner_id, "reason": reason, "note": note.strip()[:500], "by": by},
        )
    return feedback


def suggestion_contacted(*, request: ContactRequest) -> SuggestionFeedback | None:
    """Records that the sender proposed a contact about a pair (called when a request is created)."""
    if request.need_id is None or request.offer_id is None:
        return None
    feedback, _created = SuggestionFeedback.objects.get_or_create(
        organisation_id=request.sender_id,
        need_id=request.need_id,
        offer_id=request.offer_id,
        verdict=SuggestionFeedback.Verdict.CONTACTED,
        defaults={"partner_id": request.recipient_id, "by_id": request.sent_by_id},
    )
    return feedback


# --- the territory, for facilitators -----------------------------------------------------------------


@dataclass
class Alliance:
    need: NeedOffer
    offer: NeedOffer
    score: float
    why: list[str]

    @property
    def percent(self) -> int:
        return round(self.score * 100)


@dataclass
class UnmetGroup:
    theme: str
    department: str
    needs: list[NeedOffer]


@dataclass
class TerritoryOverview:
    alliances: list[Alliance]
    unmet: list[UnmetGroup]
    unmet_count: int


def territory_overview(
    *, branch, user, top: int = 20, threshold: float = UNMET_THRESHOLD
) -> TerritoryOverview:
    """Strongest potential alliances involving the branch's organisations, and its unmet open needs.

    Pairs are computed on the warm index and filtered through visible() for the user (branch staff).
    Alliances are the best pairs above ALLIANCE_MIN_SCORE, best first, varied (pick_alliances())."""
    actor = actor_for(user)
    branch_org_ids = list(
        visible(actor, Organisation.objects.filter(branch=branch)).values_list("pk", flat=True)
    )
    with locked_index() as index:
        need_slots, offer_slots = index.item_slots(str(pk) for pk in branch_org_ids)
        ns, os_, sc = index.pairs_for_items(need_slots, offer_slots, distinct=True)
        # Alliances: the best pairs above the threshold, best first.
        strong = np.flatnonzero(sc >= ALLIANCE_MIN_SCORE)
        strong = strong[np.argsort(-sc[strong], kind="stable")][:CANDIDATE_LIMIT]
        details = index.pair_details(ns[strong], os_[strong])
        # Unmet needs: each branch need's best few offers, then the best visible one.
        offer_ids = index.offer_ids(os_)
        branch_needs = set(need_slots)
        best_offers: dict[int, list[tuple[float, str]]] = defaultdict(list)
        for i in np.argsort(-sc, kind="stable").tolist():
            n = int(ns[i])
            if n in branch_needs and len(best_offers[n]) < 5:
                best_offers[n].append((float(sc[i]), offer_ids[i]))
        branch_need_ids = dict(zip(branch_needs, index.need_ids(list(branch_needs)), strict=True))
        ids = {int(x) for x in details.need_id} | {int(x) for x in details.offer_id}
        ids |= {int(o_id) for offers in best_offers.values() for _s, o_id in offers}
        ids |= {int(n_id) for n_id in branch_need_ids.values()}
        seen = _visible_item_ids(actor, ids)
        chosen = pick_alliances(
            order=list(range(len(strong))),
            details=details,
            top=top,
            eligible=lambda i: int(details.need_id[i]) in seen and int(details.offer_id[i]) in seen,
        )
        explained = [
            (
                details.need_id[i],
                details.offer_id[i],
                float(sc[strong[i]]),
                engine.reason_sentences(index.explain(int(ns[strong[i]]), int(os_[strong[i]]))),
            )
            for i in chosen
        ]
        unmet_ids = []
        for n in branch_needs:
            n_id = int(branch_need_ids[n])
            if n_id not in seen:
                continue
            best = max((s for s, o_id in best_offers.get(n, []) if int(o_id) in seen), default=0.0)
            if best < threshold:
                unmet_ids.append(n_id)

    loaded = {
        i.pk: i
        for i in visible(
            actor,
            NeedOffer.objects.filter(pk__in=[int(x) for a in explained for x in a[:2]] + unmet_ids),
        ).select_related("organisation__commune__department", "theme")
    }
    alliances = [
        Alliance(need=loaded[int(n)], offer=loaded[int(o)], score=round(s, 3), why=why)
        for n, o, s, why in explained
        if int(n) in loaded and int(o) in loaded
    ]
    groups: dict[tuple[str, str], list[NeedOffer]] = defaultdict(list)
    for pk in unmet_ids:
        need = loaded.get(pk)
        if need is None:
            continue
        theme = need.theme.label if need.theme_id else _("Sans thème")
        commune = need.organisation.commune
        department = str(commune.department) if commune is not None else _("Sans département")
        groups[(theme, department)].append(need)
    unmet = [
        UnmetGroup(
            theme=t,
            department=d,
            needs=sorted(v, key=lambda x: (sort_key(x.organisation.name), sort_key(x.title))),
        )
        for (t, d), v in sorted(groups.items())
    ]
    return TerritoryOverview(alliances=alliances, unmet=unmet, unmet_count=sum(len(g.needs) for g in unmet))
