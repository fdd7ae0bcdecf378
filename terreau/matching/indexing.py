"""The matching index of a job process: engine input read from the database, and the worker's index.

Only the matching jobs (terreau.matching.tasks), the CLI and the benchmarks build an engine.Index; web
processes read the stored suggestions (terreau.matching.store) and never hold one.

Worker index
    A worker keeps one engine.Index of every active need and offer between jobs (worker_index()). It is built
    by the full rebuild, or on the first incremental job, then brought up to date at the start of each job
    from the change log (MatchingChange): every change logged since its position is re-read from the
    database (sync_changes()), whichever worker processed it. It is built again when a newer full rebuild
    exists (that one has a fresh vocabulary) or when it is older than WORKER_INDEX_MAX_AGE.

The vocabulary's IDF weights come from public needs and offers only (build_index); private ones are added as
incremental rows, so a private text never changes the weights of what another branch sees.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from terreau.core.models import Visibility
from terreau.directory.models import Direction, NeedOffer, NeedOfferStatus, Organisation
from terreau.matching import engine
from terreau.vocabulary import CONTRACT_KINDS

logger = logging.getLogger(__name__)

ACTIVE_STATUSES = (NeedOfferStatus.OPEN, NeedOfferStatus.IN_DISCUSSION)

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


def coordinates(org: Organisation) -> tuple[float, float] | None:
    """(latitude, longitude) of an organisation, else of its commune; None when neither is known."""
    if org.latitude is not None and org.longitude is not None:
        return org.latitude, org.longitude
    commune = org.commune if org.commune_id else None
    if commune is not None and commune.latitude is not None and commune.longitude is not None:
        return commune.latitude, commune.longitude
    return None


def _engine_organisation(
    org: Organisation, items: list[tuple[str, bool, engine.Item]], themes: list[str]
) -> engine.Organisation:
    """items: (direction, public, engine item) of the organisation's active needs and offers."""
    xy = coordinates(org)
    return engine.Organisation(
        id=str(org.pk),
        kind=_kind(org),
        name=org.name,
        commune=org.commune_id or None,
        themes=tuple(themes),
        needs=tuple(item for direction, _public, item in items if direction == Direction.NEED),
        offers=tuple(item for direction, _public, item in items if direction == Direction.OFFER),
        lat=xy[0] if xy else None,
        lon=xy[1] if xy else None,
    )


def _inputs(org_ids: list[int] | None = None) -> list[tuple[engine.Organisation, engine.Organisation | None]]:
    """(everything, public part or None) per organisation, active needs and offers only (see _iter_inputs)."""
    return list(_iter_inputs(org_ids))


def _iter_inputs(
    org_ids: list[int] | None = None,
) -> Iterator[tuple[engine.Organisation, engine.Organisation | None]]:
    """(everything, public part or None) per organisation in id order, active needs and offers only, streamed.

    Three queries whatever the number of organisations (organisations, their items, their themes), each read
    in organisation order and joined as they go: only one organisation's rows are held at a time (a national
    rebuild held every engine item first: 2.7 GB at a million organisations before the index was built)."""
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
    # Items as value tuples turned into engine items at once: no model instance per need or offer.
    items = NeedOffer.objects.filter(status__in=ACTIVE_STATUSES).values_list(
        "organisation_id",
        "pk",
        "direction",
        "type",
        "theme_id",
        "title",
        "description",
        "status",
        "visibility",
        "updated_at",
    )
    themes = Organisation.themes.through.objects.values_list("organisation_id", "theme_id")
    if org_ids is not None:
        orgs = orgs.filter(pk__in=org_ids)
        items = items.filter(organisation_id__in=org_ids)
        themes = themes.filter(organisation_id__in=org_ids)
    item_rows = _grouped(items.order_by("organisation_id", "pk"))
    theme_rows = _grouped(themes.order_by("organisation_id", "pk"))
    public = Visibility.PUBLIC
    for org in orgs.order_by("pk").iterator(chunk_size=5000):
        mine = [
            (
                direction,
                visibility == public,
                engine.Item(
                    id=str(pk),
                    text=f"{title}. {description}".strip(),
                    type=type_ or None,
                    theme=theme or None,
                    status=status,
                    updated=updated.date() if updated else None,
                ),
            )
            for pk, direction, type_, theme, title, description, status, visibility, updated in item_rows(
                org.pk
            )
        ]
        themes_here = [theme_id for (theme_id,) in theme_rows(org.pk)]
        full = _engine_organisation(org, mine, themes_here)
        shown = None
        if org.visibility == Visibility.PUBLIC:
            visible = [i for i in mine if i[1]]
            shown = full if len(visible) == len(mine) else _engine_organisation(org, visible, themes_here)
        yield full, shown


def _grouped(rows) -> Callable[[int], list[tuple]]:
    """Over value rows ordered by their first column (an organisation id): a function that, called with ids in
    increasing order, returns the rest of each row of that id (rows of ids never asked for are skipped)."""
    stream = iter(rows.iterator(chunk_size=5000))
    ahead = [next(stream, None)]

    def rows_of(wanted: int) -> list[tuple]:
        row = ahead[0]
        while row is not None and row[0] < wanted:
            row = next(stream, None)
        found = []
        while row is not None and row[0] == wanted:
            found.append(row[1:])
            row = next(stream, None)
        ahead[0] = row
        return found

    return rows_of


def engine_input(org_ids: list[int] | None = None) -> list[engine.Organisation]:
    """Engine organisations with all their active needs and offers (for the given ids, or all)."""
    return [full for full, _public in _inputs(org_ids)]


def build_index() -> engine.Index:
    """An index of every active need and offer whose vocabulary (IDF weights) comes from public data only:
    built on the public part, then the private needs and offers are added as incremental rows. So a
    private text never changes the weights of what another branch sees."""
    # Organisations with a private side (everything, public part or None), added after the build.
    private: list[tuple[engine.Organisation, engine.Organisation | None]] = []

    def public_parts() -> Iterator[engine.Organisation]:
        for full, public in _iter_inputs():
            if public is not full:
                private.append((full, public))
            if public is not None:
                yield public

    index = engine.Index.build(public_parts())  # streamed: one organisation's rows at a time
    for full, public in private:
        if public is None:  # a private organisation: not in the build at all
            index.upsert_organisation(full)
            continue
        # Only its private needs and offers: its public ones are in the build already (adding the whole
        # organisation again analysed them twice: a third of the private step at a million organisations).
        shown = {item.id for item in public.needs} | {item.id for item in public.offers}
        for side, items in (("need", full.needs), ("offer", full.offers)):
            for item in items:
                if item.id not in shown:
                    index.upsert_item(full.id, side, item)
    index.compact()
    return index


# --- the worker's index ------------------------------------------------------------------------------

WORKER_INDEX_MAX_AGE = 6 * 3600  # seconds: a worker's index is built again at least this often
# The periodic warm-up (matching.warm) builds a fresh index before a change job would have to: building it
# takes seconds to minutes at scale, and a change job that builds it first shows its suggestions that late.
WORKER_INDEX_WARM_AGE = 4 * 3600
# Change ids are given when a change is written, but become visible when its transaction commits: a change
# may appear below the position already read. Changes logged this recently are looked at again (once).
LATE_COMMIT_SECONDS = 300


@dataclass
class _Worker:
    index: engine.Index | None = None
    position: int = 0  # last MatchingChange id applied to the index
    build_id: int = 0  # the SuggestionBuild the index was built for (0: built by an incremental job)
    built_at: float = 0.0
    recent: dict[int, float] = field(default_factory=dict)  # change id -> when applied (LATE_COMMIT window)
    lock: threading.RLock = field(default_factory=threading.RLock)


_WORKER = _Worker()


def reset_worker_index() -> None:
    """Forget this process's index and its copy of the stored scores (tests; the next job builds it again)."""
    from terreau.matching import thresholds

    with _WORKER.lock:
        _WORKER.index = None
        _WORKER.position = 0
        _WORKER.build_id = 0
    thresholds.drop()


def set_worker_index(index: engine.Index, *, position: int, build_id: int) -> None:
    with _WORKER.lock:
        _WORKER.index, _WORKER.position, _WORKER.build_id = index, position, build_id
        _WORKER.built_at = time.monotonic()
        _WORKER.recent = {}


def last_change_id() -> int:
    from terreau.matching.models import MatchingChange

    return MatchingChange.objects.order_by("-id").values_list("id", flat=True).first() or 0


@contextmanager
def worker_index(*, current_build_id: int) -> Iterator[engine.Index]:
    """This process's index, up to date with every logged change, its lock held inside the `with` block."""
    with _WORKER.lock:
        too_old = time.monotonic() - _WORKER.built_at > WORKER_INDEX_MAX_AGE
        if _WORKER.index is None or too_old or current_build_id > _WORKER.build_id:
            position = last_change_id()  # changes up to here are in the data read next
            set_worker_index(build_index(), position=position, build_id=current_build_id)
        else:
            sync_changes()
        yield _WORKER.index


def warm_worker_index(*, current_build_id: int, older_than: float = WORKER_INDEX_WARM_AGE) -> bool:
    """Builds this process's index ahead of the change jobs (at worker start, then periodically), when it
    has none, is older than ``older_than`` seconds or predates the current build. The index is built
    outside the lock, so change jobs go on with the previous one meanwhile (two indexes in memory for that
    time), then swapped in and brought up to date. Returns whether it built one."""
    with _WORKER.lock:
        age = time.monotonic() - _WORKER.built_at
        if _WORKER.index is not None and age < older_than and current_build_id <= _WORKER.build_id:
            return False
        started = time.monotonic()
    position = last_change_id()  # changes up to here are in the data read next
    index = build_index()
    with _WORKER.lock:
        if _WORKER.index is not None and _WORKER.built_at > started:  # a job built one meanwhile
            return False
        set_worker_index(index, position=position, build_id=max(current_build_id, _WORKER.build_id))
        sync_changes()
    return True


def sync_changes() -> None:
    """Applies to this process's index every change logged since its position (state read from the
    database: organisations re-read whole, needs and offers one by one)."""
    from terreau.matching.models import MatchingChange

    index = _WORKER.index
    if index is None:
        return
    now = time.monotonic()
    _WORKER.recent = {k: t for k, t in _WORKER.recent.items() if now - t < 2 * LATE_COMMIT_SECONDS}
    since = timezone.now() - dt.timedelta(seconds=LATE_COMMIT_SECONDS)
    changes = [
        c
        for c in MatchingChange.objects.filter(Q(id__gt=_WORKER.position) | Q(at__gte=since))
        .order_by("id")
        .values_list("id", "organisation_id", "need_offer_id")
        if c[0] not in _WORKER.recent
    ]
    if not changes:
        return
    apply_changes(index, [(org, item) for _id, org, item in changes])
    for change_id, _org, _item in changes:
        _WORKER.recent[change_id] = now
    _WORKER.position = max(_WORKER.position, changes[-1][0])


def apply_changes(index: engine.Index, changes: list[tuple[int, int | None]]) -> None:
    """(organisation id, need/offer id or None for the whole organisation) as the database has them now."""
    orgs = {org for org, item in changes if item is None}
    items = [(org, item) for org, item in changes if item is not None and org not in orgs]
    for org_id in sorted(orgs):
        index_organisation(index, org_id)
    found = {no.pk: no for no in NeedOffer.objects.filter(pk__in={item for _o, item in items})}
    for org_id, item_id in items:
        apply_need_offer(index, organisation_id=org_id, pk=item_id, found=found.get(item_id))


def index_organisation(index: engine.Index, org_id: int) -> None:
    """Re-reads one organisation with its needs and offers into the index (removes it when gone)."""
    found = engine_input([org_id])
    if found:
        index.upsert_organisation(found[0])
    elif index.has_organisation(str(org_id)):
        index.remove_organisation(str(org_id))


def apply_need_offer(index: engine.Index, *, organisation_id: int, pk: int, found: NeedOffer | None) -> None:
    """One need or offer as the database has it now: added, edited, moved, or removed when no longer
    active or deleted (`found` is its row, None when deleted)."""
    key = str(pk)
    for org in {str(organisation_id), *([str(found.organisation_id)] if found else [])}:
        if index.has_organisation(org):
            for side in ("need", "offer"):
                if index.item_slot(org, side, key) is not None and (
                    found is None or (org, side) != (str(found.organisation_id), found.direction)
                ):
                    index.remove_item(org, side, key, missing_ok=True)
    if found is None:
        return
    if not index.has_organisation(str(found.organisation_id)):
        index_organisation(index, found.organisation_id)
    elif found.status in ACTIVE_STATUSES:
        index.upsert_item(str(found.organisation_id), found.direction, _item(found))
    else:
        index.remove_item(str(found.organisation_id), found.direction, key, missing_ok=True)
