"""The matching index in the application: engine input read from the database, and the process's warm index.

Warm index
    One engine.Index per process holds every active need and offer of the directory (all branches). It is
    built lazily on first use, then kept up to date incrementally: the signals of terreau.matching.signals
    call index_organisation() / index_need_offer() / index_remove_*() after each commit (a need added or
    edited is one upsert_item, never a rebuild). Other processes of a deployment do not see those signals:
    when the index is older than settings.TERREAU_MATCHING_MAX_AGE seconds it is rebuilt in a background
    thread while the old one keeps answering. Index operations are serialised by a lock: readers go through
    locked_index().

The vocabulary's IDF weights come from public needs and offers only (build_index); private ones are added as
incremental rows, so a private text never changes the weights of what another branch sees.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import close_old_connections

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


def _engine_organisation(org: Organisation, items: list[NeedOffer], themes: list[str]) -> engine.Organisation:
    xy = coordinates(org)
    return engine.Organisation(
        id=str(org.pk),
        kind=_kind(org),
        name=org.name,
        commune=org.commune_id or None,
        themes=tuple(themes),
        needs=tuple(_item(i) for i in items if i.direction == Direction.NEED),
        offers=tuple(_item(i) for i in items if i.direction == Direction.OFFER),
        lat=xy[0] if xy else None,
        lon=xy[1] if xy else None,
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


@contextmanager
def locked_index() -> Iterator[engine.Index]:
    """The warm index with its lock held: read it inside the `with` block only."""
    with _WARM.lock:
        yield warm_index()


def index_organisation(org_id: int) -> None:
    """Re-reads one organisation with its needs and offers into the warm index (if it is built)."""
    with _WARM.lock:
        if _WARM.index is None:
            return
        found = engine_input([org_id])
        if found:
            _WARM.index.upsert_organisation(found[0])
        elif _WARM.index.has_organisation(str(org_id)):
            _WARM.index.remove_organisation(str(org_id))


def index_remove_organisation(org_id: int) -> None:
    with _WARM.lock:
        if _WARM.index is not None and _WARM.index.has_organisation(str(org_id)):
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
        if not index.has_organisation(str(no.organisation_id)):
            index_organisation(no.organisation_id)
            return
        if no.status in ACTIVE_STATUSES:
            index.upsert_item(str(no.organisation_id), no.direction, _item(no))
        else:
            index.remove_item(str(no.organisation_id), no.direction, str(no.pk), missing_ok=True)


def index_remove_need_offer(*, organisation_id: int, direction: str, pk: int) -> None:
    with _WARM.lock:
        index = _WARM.index
        if index is not None and index.has_organisation(str(organisation_id)):
            index.remove_item(str(organisation_id), direction, str(pk), missing_ok=True)
