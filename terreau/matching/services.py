"""Complementarities in the application: the Django side of the engine (terreau.matching.engine).

Warm index
    One engine.Index per process holds every active need and offer of the directory (all branches). It is
    built lazily on first use, then kept up to date incrementally: the signals of terreau.matching.signals
    call index_organisation() / index_need_offer() / index_remove_*() after each commit (a need added or
    edited is one upsert_item, never a rebuild). Other processes of a deployment do not see those signals:
    when the index is older than settings.TERREAU_MATCHING_MAX_AGE seconds it is rebuilt in a background
    thread while the old one keeps answering. Index operations are serialised by a lock.

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

import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import close_old_connections, transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from terreau.core.access import actor_for, visible
from terreau.core.models import Visibility
from terreau.directory.models import Direction, NeedOffer, NeedOfferStatus, Organisation
from terreau.matching import engine
from terreau.matching.models import SuggestionFeedback
from terreau.partnerships.models import ContactRequest
from terreau.territories.geo import haversine_km
from terreau.vocabulary import CONTRACT_KINDS

logger = logging.getLogger(__name__)

CANDIDATE_LIMIT = 3000  # best candidate pairs checked for visibility per request (one query)
LEARNING_PRIOR = 5.0
TYPE_FACTOR_RANGE = (0.6, 1.3)
PARTNER_PENALTY = 0.8
PARTNER_FLOOR = 0.5
UNMET_THRESHOLD = 0.3  # an open need whose best visible offer scores below this is "unmet"
ACTIVE_STATUSES = (NeedOfferStatus.OPEN, NeedOfferStatus.IN_DISCUSSION)
RELEVANCE_REASONS = (SuggestionFeedback.Reason.NOT_RELEVANT, SuggestionFeedback.Reason.OTHER)


# --- engine input from the database -----------------------------------------------------------------


def _kind(org: Organisation) -> str:
    return org.kind if org.kind in CONTRACT_KINDS else "other"  # host structures are "other" for the engine


def _item(no: NeedOffer) -> engine.Item:
    return engine.Item(
        id=str(no.pk),
        text=f"{no.title}. {no.description}".strip(),
        type=no.type or None,
        theme=no.theme_id or None,
        status=no.status,
        updated=no.updated_at.date() if no.updated_at else None,
    )


def _engine_organisation(org: Organisation, items: list[NeedOffer], themes: list[str]) -> engine.Organisation:
    lat, lon = org.latitude, org.longitude
    if (lat is None or lon is None) and org.commune_id and org.commune is not None:
        lat, lon = org.commune.latitude, org.commune.longitude
    has_xy = lat is not None and lon is not None
    return engine.Organisation(
        id=str(org.pk),
        kind=_kind(org),
        name=org.name,
        commune=org.commune_id or None,
        themes=tuple(themes),
        needs=tuple(_item(i) for i in items if i.direction == Direction.NEED),
        offers=tuple(_item(i) for i in items if i.direction == Direction.OFFER),
        lat=lat if has_xy else None,
        lon=lon if has_xy else None,
    )


def _inputs(org_ids: list[int] | None = None) -> list[tuple[engine.Organisation, engine.Organisation | None]]:
    """(everything, public part or None) per organisation, active needs and offers only.

    Three queries whatever the number of organisations (organisations, their items, their themes)."""
    orgs = Organisation.objects.select_related("commune").only(
        "pk",
        "kind",
        "name",
        "visibility",
        "commune",
        "latitude",
        "longitude",
        "commune__latitude",
        "commune__longitude",
    )
    items = NeedOffer.objects.filter(status__in=ACTIVE_STATUSES).only(
        "pk",
        "organisation_id",
        "direction",
        "type",
        "theme_id",
        "title",
        "description",
        "status",
        "visibility",
        "updated_at",
    )
    themes = Organisation.themes.through.objects.all()
    if org_ids is not None:
        orgs = orgs.filter(pk__in=org_ids)
        items = items.filter(organisation_id__in=org_ids)
        themes = themes.filter(organisation_id__in=org_ids)
    by_org: dict[int, list[NeedOffer]] = defaultdict(list)
    for item in items.order_by("pk").iterator(chunk_size=5000):
        by_org[item.organisation_id].append(item)
    themes_of: dict[int, list[str]] = defaultdict(list)
    for org_id, theme_id in themes.values_list("organisation_id", "theme_id"):
        themes_of[org_id].append(theme_id)
    out = []
    for org in orgs.order_by("pk").iterator(chunk_size=5000):
        mine, themes_here = by_org.get(org.pk, []), themes_of.get(org.pk, [])
        full = _engine_organisation(org, mine, themes_here)
        public = None
        if org.visibility == Visibility.PUBLIC:
            shown = [i for i in mine if i.visibility == Visibility.PUBLIC]
            public = full if len(shown) == len(mine) else _engine_organisation(org, shown, themes_here)
        out.append((full, public))
    return out


def engine_input(org_ids: list[int] | None = None) -> list[engine.Organisation]:
    """Engine organisations with all their active needs and offers (for the given ids, or all)."""
    return [full for full, _public in _inputs(org_ids)]


def build_index() -> engine.Index:
    """An index of every active need and offer whose vocabulary (IDF weights) comes from public data only:
    built on the public part, then the private needs and offers are added as incremental rows. So a
    private text never changes the weights of what another branch sees."""
    inputs = _inputs()
    index = engine.Index.build([public for _full, public in inputs if public is not None])
    for full, public in inputs:
        if public is not full:
            index.upsert_organisation(full)
    index.compact()
    return index


# --- the warm index ----------------------------------------------------------------------------------


@dataclass
class _Warm:
    index: engine.Index | None = None
    built_at: float = 0.0
    rebuilding: bool = False
    lock: threading.RLock = field(default_factory=threading.RLock)


_WARM = _Warm()


def _max_age() -> int:
    return settings.TERREAU_MATCHING_MAX_AGE


def reset_index() -> None:
    """Forget the warm index (tests; after a bulk import). The next use builds it again."""
    with _WARM.lock:
        _WARM.index = None
        _WARM.built_at = 0.0


def index_is_warm() -> bool:
    return _WARM.index is not None


def rebuild_index() -> engine.Index:
    """Builds a fresh index from the database and makes it the warm one."""
    index = build_index()
    with _WARM.lock:
        _WARM.index = index
        _WARM.built_at = time.monotonic()
    return index


def _background_rebuild() -> None:
    try:
        rebuild_index()
    except Exception:  # pragma: no cover - logged, the old index keeps answering
        logger.exception("matching index rebuild failed")
    finally:
        _WARM.rebuilding = False
        close_old_connections()


def warm_index() -> engine.Index:
    """The process's index: built on first use, refreshed in the background when too old."""
    with _WARM.lock:
        if _WARM.index is None:
            return rebuild_index()
        max_age = _max_age()
        if max_age and not _WARM.rebuilding and time.monotonic() - _WARM.built_at > max_age:
            _WARM.rebuilding = True
            threading.Thread(target=_background_rebuild, name="terreau-matching-index", daemon=True).start()
        return _WARM.index


def index_organisation(org_id: int) -> None:
    """Re-reads one organisation with its needs and offers into the warm index (if it is built)."""
    with _WARM.lock:
        if _WARM.index is None:
            return
        found = engine_input([org_id])
        if found:
            _WARM.index.upsert_organisation(found[0])
        elif str(org_id) in _WARM.index.org_slot:
            _WARM.index.remove_organisation(str(org_id))


def index_remove_organisation(org_id: int) -> None:
    with _WARM.lock:
        if _WARM.index is not None and str(org_id) in _WARM.index.org_slot:
            _WARM.index.remove_organisation(str(org_id))


def index_need_offer(pk: int) -> None:
    """Adds, edits or (when no longer active) removes one need or offer: one incremental update."""
    with _WARM.lock:
        index = _WARM.index
        if index is None:
            return
        no = NeedOffer.objects.filter(pk=pk).first()
        if no is None:
            return
        if str(no.organisation_id) not in index.org_slot:
            index_organisation(no.organisation_id)
            return
        if no.status in ACTIVE_STATUSES:
            index.upsert_item(str(no.organisation_id), no.direction, _item(no))
        else:
            index.remove_item(str(no.organisation_id), no.direction, str(no.pk), missing_ok=True)


def index_remove_need_offer(*, organisation_id: int, direction: str, pk: int) -> None:
    with _WARM.lock:
        index = _WARM.index
        if index is not None and str(organisation_id) in index.org_slot:
            index.remove_item(str(organisation_id), direction, str(pk), missing_ok=True)


# --- learned adjustment ------------------------------------------------------------------------------


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

    A constant number of queries whatever the number of suggestions."""
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

    with _WARM.lock:
        index = warm_index()
        key = str(organisation.pk)
        if key not in index.org_slot:
            return []
        slot = index.org_slot[key]
        items = index.org_items[slot]
        ns, os_, sc = index.pairs_for_items(items["need"], items["offer"])
        cand = _best(sc, CANDIDATE_LIMIT)
        ns, os_, sc = ns[cand], os_[cand], sc[cand].astype(np.float64)
        is_mine = index.needs.org.a[ns] == slot
        other_items = np.where(is_mine, os_, ns)
        other_ids = [
            int(index.offers.ids[s] if mine else index.needs.ids[s])
            for s, mine in zip(other_items.tolist(), is_mine.tolist(), strict=True)
        ]
        seen = _visible_item_ids(actor, set(other_ids))
        keep = np.zeros(len(ns), dtype=np.bool_)
        for i, (n, o) in enumerate(zip(ns.tolist(), os_.tolist(), strict=True)):
            need_id, offer_id = index.needs.ids[n], index.offers.ids[o]
            other_org = index.org_ids[int(index.offers.org.a[o] if is_mine[i] else index.needs.org.a[n])]
            if (
                other_ids[i] not in seen
                or (need_id, offer_id) in dismissed_pairs
                or other_org in hidden_partners
            ):
                continue
            keep[i] = True
            tn, to = index.needs.type_code[n], index.offers.type_code[o]
            sc[i] *= learned.get((tn, to), 1.0) * partner_factor(per_partner.get(other_org, 0))
        ns, os_, sc = ns[keep], os_[keep], np.clip(sc[keep], 0.0, 1.0)
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
    here = _coordinates(organisation)
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
        there = _coordinates(partner)
        distance = None
        if here and there:
            distance = round(haversine_km(here[0], here[1], there[0], there[1]))
        out.append(
            Suggestion(partner=partner, score=p.score, why=list(p.why), pairs=pairs, distance_km=distance)
        )
    return out


def _coordinates(org: Organisation) -> tuple[float, float] | None:
    if org.latitude is not None and org.longitude is not None:
        return org.latitude, org.longitude
    commune = org.commune if org.commune_id else None
    if commune is not None and commune.latitude is not None and commune.longitude is not None:
        return commune.latitude, commune.longitude
    return None


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

    Pairs are computed on the warm index and filtered through visible() for the user (branch staff)."""
    actor = actor_for(user)
    branch_org_ids = list(
        visible(actor, Organisation.objects.filter(branch=branch)).values_list("pk", flat=True)
    )
    with _WARM.lock:
        index = warm_index()
        slots = [index.org_slot[str(pk)] for pk in branch_org_ids if str(pk) in index.org_slot]
        need_slots = [s for slot in slots for s in index.org_items[slot]["need"]]
        offer_slots = [s for slot in slots for s in index.org_items[slot]["offer"]]
        ns, os_, sc = index.pairs_for_items(need_slots, offer_slots, distinct=True)
        # Alliances: the best pairs whose both sides the user may see.
        cand = _best(sc, CANDIDATE_LIMIT)
        # Unmet needs: each branch need's best few offers, then the best visible one.
        branch_needs = set(need_slots)
        best_offers: dict[int, list[tuple[float, int]]] = defaultdict(list)
        order = np.argsort(-sc, kind="stable")
        for i in order.tolist():
            n = int(ns[i])
            if n in branch_needs and len(best_offers[n]) < 5:
                best_offers[n].append((float(sc[i]), int(os_[i])))
        ids = {int(index.needs.ids[ns[i]]) for i in cand} | {int(index.offers.ids[os_[i]]) for i in cand}
        ids |= {int(index.offers.ids[o]) for offers in best_offers.values() for _s, o in offers}
        ids |= {int(index.needs.ids[n]) for n in branch_needs}
        seen = _visible_item_ids(actor, ids)
        picked: list[tuple[int, int, float]] = []
        for i in cand.tolist():
            n_id, o_id = int(index.needs.ids[ns[i]]), int(index.offers.ids[os_[i]])
            if n_id in seen and o_id in seen:
                picked.append((int(ns[i]), int(os_[i]), float(sc[i])))
            if len(picked) == top:
                break
        explained = [(index.needs.ids[n], index.offers.ids[o], s, index.explain(n, o)) for n, o, s in picked]
        unmet_ids = []
        for n in branch_needs:
            n_id = int(index.needs.ids[n])
            if n_id not in seen:
                continue
            best = max(
                (s for s, o in best_offers.get(n, []) if int(index.offers.ids[o]) in seen), default=0.0
            )
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
        UnmetGroup(theme=t, department=d, needs=sorted(v, key=lambda x: (x.organisation.name, x.title)))
        for (t, d), v in sorted(groups.items())
    ]
    return TerritoryOverview(alliances=alliances, unmet=unmet, unmet_count=sum(len(g.needs) for g in unmet))
