"""Complementarities in the application: suggestions, feedback, and the territory seen by facilitators.

They read the suggestions stored by the matching jobs (terreau.matching.store: scored need-offer pairs,
recomputed when a need or an offer changes, and every night); a web process builds no index.

Visibility
    Stored pairs are global, so every read is filtered for the person asking, in the query: the other
    side's need or offer must be in terreau.core.access.visible() for them (a subquery), and both must still
    be active. A private need of another branch therefore neither appears nor raises a score. The
    vocabulary's IDF weights come from public needs and offers only (indexing.build_index).

Learned adjustment (feedback), applied when the pairs are read
    Each pair's score is multiplied by
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

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _

from terreau.core import jobs
from terreau.core.access import actor_for, visible
from terreau.core.french import sort_key
from terreau.directory.models import Direction, NeedOffer, Organisation
from terreau.matching import engine, indexing, ranking, store
from terreau.matching.indexing import ACTIVE_STATUSES, coordinates
from terreau.matching.models import MatchingChange, StoredSuggestion, SuggestionFeedback
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
    "reset_index",  # forgets this process's worker index (tests)
]

reset_index = indexing.reset_worker_index

VISIBLE_CHUNK = 5000  # ids per visibility query (SQLite's variable limit is 32,766)
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


# The stored row's columns the pages read: all of store.COLUMNS but the bookkeeping ones.
ROW_FIELDS = tuple(c for c in store.COLUMNS if c not in ("generation", "engine_version", "computed_at"))


def suggestions_ready() -> bool:
    """Whether the suggestions were computed at least once (else the pages say they are being computed).
    When they never were and a queue runs the jobs, asks for a full computation (one waits at a time)."""
    if store.current_build() is not None:
        return True
    if not jobs.inline():  # inline (the SQLite demo) would compute inside the request: the loader does it
        from terreau.matching import tasks

        jobs.defer(tasks.rebuild_suggestions)
    return False


def suggestions_updating(organisation: Organisation) -> bool:
    """Whether changes of the organisation's needs, offers or profile are waiting to be taken into account."""
    return MatchingChange.objects.filter(organisation_id=organisation.pk, done=False).exists()


def _stored(actor, generation: int):
    """Stored pairs of the current generation whose need and offer are active and visible to the actor."""
    seen = visible(actor, NeedOffer.objects.filter(status__in=ACTIVE_STATUSES)).values("pk")
    return StoredSuggestion.objects.filter(generation=generation, need__in=seen, offer__in=seen)


def _visible_active(actor, rows: list[dict]) -> list[dict]:
    """The rows whose need and offer are active and visible to the actor: one query on their ids (the
    candidate rows are few and found through the organisation's index first)."""
    ids = sorted({r["need_id"] for r in rows} | {r["offer_id"] for r in rows})
    seen: set[int] = set()
    for start in range(0, len(ids), VISIBLE_CHUNK):
        chunk = ids[start : start + VISIBLE_CHUNK]
        seen.update(
            visible(actor, NeedOffer.objects.filter(pk__in=chunk, status__in=ACTIVE_STATUSES)).values_list(
                "pk", flat=True
            )
        )
    return [r for r in rows if r["need_id"] in seen and r["offer_id"] in seen]


def _details(rows: list[dict]) -> engine.PairDetails:
    """The engine's PairDetails of stored rows (for selection.feasible and pick_alliances)."""
    return engine.PairDetails(
        need_id=[str(r["need_id"]) for r in rows],
        offer_id=[str(r["offer_id"]) for r in rows],
        need_org=[str(r["need_organisation_id"]) for r in rows],
        offer_org=[str(r["offer_organisation_id"]) for r in rows],
        need_type=[r["need_type"] or None for r in rows],
        offer_type=[r["offer_type"] or None for r in rows],
        distance_km=[r["distance_km"] for r in rows],
        remote=[r["remote"] for r in rows],
    )


def suggestions_for(*, organisation: Organisation, user, top: int = 10) -> list[Suggestion]:
    """Suggested partners of an organisation for a user who may act for it (the caller checks that).

    Only the pairs the facilitators' alliances would show count (terreau.matching.selection): compatible
    kinds of help, no physical help from too far, a score (after the learned adjustment) of at least
    ALLIANCE_MIN_SCORE. The same rule holds for both sides of a pair, so the organisation suggested sees the
    same pairs. A constant number of queries whatever the number of suggestions."""
    actor = actor_for(user)
    build = store.current_build()
    if build is None:
        return []
    feedback = list(
        SuggestionFeedback.objects.filter(
            organisation=organisation, verdict=SuggestionFeedback.Verdict.DISMISSED
        ).values_list("need_id", "offer_id", "partner_id", "reason")
    )
    dismissed_pairs = {(n, o) for n, o, _p, _r in feedback}
    hidden_partners = {p for _n, _o, p, r in feedback if r == SuggestionFeedback.Reason.ALREADY_PARTNERS}
    per_partner: dict[int, int] = defaultdict(int)
    for _n, _o, p, _r in feedback:
        per_partner[p] += 1
    learned = type_factors()
    candidates = (
        StoredSuggestion.objects.filter(generation=build.pk)
        .filter(Q(need_organisation=organisation) | Q(offer_organisation=organisation))
        .exclude(need_organisation=organisation, offer_organisation=organisation)
        .order_by("-score", "need_id", "offer_id")
        .values(*ROW_FIELDS)[:CANDIDATE_LIMIT]
    )
    rows = _visible_active(actor, list(candidates))
    details = _details(rows)
    kept = []
    for i, r in enumerate(rows):
        mine = r["need_organisation_id"] == organisation.pk
        other_org = r["offer_organisation_id"] if mine else r["need_organisation_id"]
        if (
            (r["need_id"], r["offer_id"]) in dismissed_pairs
            or other_org in hidden_partners
            or not feasible(details, i)
        ):
            continue
        learned_factor = learned.get((r["need_type"] or None, r["offer_type"] or None), 1.0)
        score = min(
            1.0, max(0.0, r["score"] * learned_factor * partner_factor(per_partner.get(other_org, 0)))
        )
        if score < ALLIANCE_MIN_SCORE:  # the alliances' threshold, on the score shown
            continue
        kept.append(
            ranking.ScoredRow(
                need=details.need_id[i],
                offer=details.offer_id[i],
                need_org=details.need_org[i],
                offer_org=details.offer_org[i],
                score=score,
                reasons=tuple(r["reasons"]),
            )
        )
    partners = ranking.partners(str(organisation.pk), kept, top=top)
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
    ready: bool = True  # False until the suggestions were computed once


def territory_overview(
    *, branch, user, top: int = 20, threshold: float = UNMET_THRESHOLD
) -> TerritoryOverview:
    """Strongest potential alliances involving the branch's organisations, and its unmet open needs.

    Read from the stored pairs visible to the user (branch staff). Alliances are the best pairs above
    ALLIANCE_MIN_SCORE, best first, varied (pick_alliances()); a need is unmet when its best visible offer
    scores below `threshold` (or it has none)."""
    actor = actor_for(user)
    build = store.current_build()
    branch_orgs = visible(actor, Organisation.objects.filter(branch=branch)).values("pk")
    explained: list[tuple[int, int, float, list[str]]] = []
    unmet_ids: list[int] = []
    if build is not None:
        stored = _stored(actor, build.pk)
        rows = _visible_active(
            actor,
            list(
                StoredSuggestion.objects.filter(generation=build.pk, score__gte=ALLIANCE_MIN_SCORE)
                .filter(Q(need_organisation__in=branch_orgs) | Q(offer_organisation__in=branch_orgs))
                .order_by("-score", "need_id", "offer_id")
                .values(*ROW_FIELDS)[:CANDIDATE_LIMIT]
            ),
        )
        details = _details(rows)
        chosen = pick_alliances(order=list(range(len(rows))), details=details, top=top)
        explained = [
            (
                rows[i]["need_id"],
                rows[i]["offer_id"],
                float(rows[i]["score"]),
                engine.reason_sentences(rows[i]["reasons"]),
            )
            for i in chosen
        ]
        branch_needs = visible(
            actor,
            NeedOffer.objects.filter(
                organisation__in=branch_orgs, direction=Direction.NEED, status__in=ACTIVE_STATUSES
            ),
        ).values_list("pk", flat=True)
        best = dict(
            stored.filter(need__in=branch_needs.values("pk"))
            .values("need_id")
            .annotate(best=Max("score"))
            .values_list("need_id", "best")
        )
        unmet_ids = [pk for pk in branch_needs if best.get(pk, 0.0) < threshold]

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
    return TerritoryOverview(
        alliances=alliances,
        unmet=unmet,
        unmet_count=sum(len(g.needs) for g in unmet),
        ready=build is not None,
    )
