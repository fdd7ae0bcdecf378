"""A changed item's entries in other items' lists beyond the first ENTRIES_AT_ONCE: written afterwards by
follow-up blocks (terreau.matching.incremental.propagate_next), between the changes that keep coming."""

from __future__ import annotations

import pytest
from django.db.models import F

from terreau.directory.models import Direction, NeedOfferStatus
from terreau.matching import incremental, store, thresholds
from terreau.matching.models import MatchingChange, MatchingPropagation, StoredSuggestion
from tests.factories import BranchFactory, NeedOfferFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

COLUMNS = [c for c in store.COLUMNS if c not in ("generation", "computed_at")]

NEEDS = [
    "Tablettes pour des ateliers numériques avec les seniors",
    "Des tablettes pour l'initiation numérique des résidents",
    "Ateliers numériques : tablettes et accompagnement des aînés",
    "Tablettes pour le club numérique du foyer",
    "Initiation aux tablettes pour les seniors du quartier",
    "Des ordinateurs et tablettes pour nos ateliers numériques",
    "Tablettes pour les résidents de l'Ehpad",
    "Accompagnement des seniors à l'usage des tablettes",
    "Ateliers d'initiation numérique pour les aînés",
    "Tablettes pour la médiathèque et ses ateliers",
]
OFFERS = [
    "Dons de tablettes reconditionnées pour des ateliers numériques",
    "Prêt de tablettes pour des ateliers d'initiation",
    "Tablettes et formation au numérique pour les seniors",
    "Ordinateurs reconditionnés pour les associations",
]
# A new offer that enters the lists of most needs at once.
BROAD = "Dons de tablettes, ateliers numériques et initiation des seniors et des résidents"


@pytest.fixture
def crowd(monkeypatch):
    monkeypatch.setattr(store, "PER_ITEM", 2)  # lists fill up on a small territory
    branch = BranchFactory()
    orgs = [
        OrganisationFactory(branch=branch, name=f"Structure {i}") for i in range(len(NEEDS) + len(OFFERS))
    ]
    texts = [(Direction.NEED, t) for t in NEEDS] + [(Direction.OFFER, t) for t in OFFERS]
    items = [
        NeedOfferFactory(organisation=org, direction=direction, title=title, description="")
        for org, (direction, title) in zip(orgs, texts, strict=True)
    ]
    return {"orgs": orgs, "items": items, "offer": items[-1]}


def _dump(generation: int) -> list[tuple]:
    return list(
        StoredSuggestion.objects.filter(generation=generation)
        .order_by("need_id", "offer_id")
        .values_list(*COLUMNS)
    )


def _restore(generation: int, rows: list[tuple], since: int) -> None:
    """The stored rows as they were, the changes logged since `since` pending again, the copy reloaded."""
    StoredSuggestion.objects.filter(generation=generation).delete()
    StoredSuggestion.objects.bulk_create(
        StoredSuggestion(generation=generation, **dict(zip(COLUMNS, row, strict=True))) for row in rows
    )
    MatchingChange.objects.filter(id__gt=since).update(done=False)
    MatchingPropagation.objects.all().delete()
    thresholds.drop()
    store.warm_worker_index()


def _broad_change(crowd, monkeypatch):
    """A full build, then the offer's text made broad and its change handled with one entry at once: (the
    build, the offer), its propagation pending."""
    build = store.rebuild_all()
    monkeypatch.setattr(incremental, "ENTRIES_AT_ONCE", 1)
    offer = crowd["offer"]
    offer.title = BROAD
    offer.save()
    incremental.refresh_pending(propagate=False)
    return build, offer


def _last_change() -> int:
    return MatchingChange.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _assert_copy_equals_database(generation: int) -> None:
    copy = thresholds.current(generation=generation)
    assert copy is not None
    for field in thresholds.FIELDS:
        ids = sorted(
            set(StoredSuggestion.objects.filter(generation=generation).values_list(field, flat=True))
        )
        assert copy.kth(field, ids) == incremental._kth_scores(field, ids, generation=generation)


def test_follow_up_blocks_write_the_same_rows_as_writing_every_entry_with_the_change(
    crowd, no_worker, monkeypatch
):
    build = store.rebuild_all()
    start, since = _dump(build.pk), _last_change()
    offer = crowd["offer"]
    offer.title = BROAD
    offer.save()
    incremental.refresh_pending()  # every entry at once (ENTRIES_AT_ONCE is far above this territory's)
    at_once = _dump(build.pk)
    assert not MatchingPropagation.objects.exists()
    entering = len([r for r in at_once if r[1] == offer.pk]) - store.PER_ITEM
    assert entering >= 3, at_once  # the new text enters several needs' lists

    _restore(build.pk, start, since)
    monkeypatch.setattr(incremental, "ENTRIES_AT_ONCE", 1)
    monkeypatch.setattr(incremental, "PROPAGATE_ROWS", 1)
    incremental.refresh_pending(propagate=False)
    # The change itself: the offer's own best and its best entry; the rest is pending.
    first = _dump(build.pk)
    assert len([r for r in first if r[1] == offer.pk]) == store.PER_ITEM + 1
    marker = MatchingPropagation.objects.get()
    assert (marker.generation, marker.need_offer_id, marker.done) == (build.pk, offer.pk, False)
    assert thresholds.current(generation=build.pk) is not None

    blocks = []

    def block_done(rows):
        blocks.append(rows)
        _assert_copy_equals_database(build.pk)  # each block counted once in the worker's copy

    assert incremental.propagate_next(build=build, block_done=block_done) == entering - 1
    assert incremental.propagate_next(build=build) is None
    assert blocks == [1] * (entering - 1)
    assert _dump(build.pk) == at_once
    marker.refresh_from_db()
    assert marker.done and marker.written == entering - 1


def test_a_change_logged_meanwhile_is_handled_before_the_next_block(crowd, no_worker, monkeypatch):
    build = store.rebuild_all()
    monkeypatch.setattr(incremental, "ENTRIES_AT_ONCE", 1)
    monkeypatch.setattr(incremental, "PROPAGATE_ROWS", 1)
    offer = crowd["offer"]
    offer.title = BROAD
    offer.save()
    events: list[str] = []
    real_batch, real_next = incremental._refresh_batch, incremental.propagate_next
    edited = crowd["items"][0]

    def batch(b):
        handled = real_batch(b)
        events.append(f"changes {handled}")
        return handled

    def edit_once(rows):
        if not edited.title.endswith("mercredi"):  # a person edits a need while the first block is written
            edited.title = "Tablettes pour nos ateliers numériques du mercredi"
            edited.save()

    def next_block(*, build):
        rows = real_next(build=build, block_done=edit_once)
        events.append(f"block {rows}")
        return rows

    monkeypatch.setattr(incremental, "_refresh_batch", batch)
    monkeypatch.setattr(incremental, "propagate_next", next_block)
    assert incremental.refresh_pending() == 2
    # The run stops after its first block: the change goes first, then the rest of the propagation.
    assert events[:5] == ["changes 1", "changes 0", "block 1", "changes 1", "changes 0"]
    assert events[-1] == "block None" and not MatchingPropagation.objects.filter(done=False).exists()
    _assert_copy_equals_database(build.pk)


def test_a_propagation_closes_when_its_item_changes_again_or_leaves(crowd, no_worker, monkeypatch):
    build, offer = _broad_change(crowd, monkeypatch)
    first = MatchingPropagation.objects.get()
    offer.title = BROAD + " du territoire"
    offer.save()
    incremental.refresh_pending(propagate=False)
    first.refresh_from_db()
    assert first.done and first.written == 0  # its rows were deleted with the item's: moot
    second = MatchingPropagation.objects.get(done=False)
    offer.status = NeedOfferStatus.WITHDRAWN
    offer.save()
    incremental.refresh_pending(propagate=False)
    second.refresh_from_db()
    assert second.done
    assert not StoredSuggestion.objects.filter(generation=build.pk, offer_id=offer.pk).exists()
    assert incremental.propagate_next(build=build) is None


def test_a_propagation_whose_item_is_gone_is_closed_by_its_block(crowd, no_worker, monkeypatch):
    build, offer = _broad_change(crowd, monkeypatch)
    marker = MatchingPropagation.objects.get()
    # Closed before the change job saw it (its change still pending): the block finds no such item.
    offer.status = NeedOfferStatus.WITHDRAWN
    offer.save()
    assert incremental.propagate_next(build=build) == 0
    marker.refresh_from_db()
    assert marker.done


def test_a_rebuild_drops_the_previous_generations_propagations(crowd, no_worker, monkeypatch):
    build, offer = _broad_change(crowd, monkeypatch)
    assert MatchingPropagation.objects.filter(generation=build.pk, done=False).exists()
    second = store.rebuild_all()
    assert not MatchingPropagation.objects.exists()
    assert incremental.propagate_next(build=second) is None


def test_rows_written_by_another_worker_make_the_copy_stale(crowd, no_worker, monkeypatch):
    build, offer = _broad_change(crowd, monkeypatch)
    assert incremental.propagate_next(build=build) is not None
    assert thresholds.current(generation=build.pk) is not None  # its own blocks: counted
    MatchingPropagation.objects.update(written=F("written") + 1)  # another worker's block
    assert thresholds.current(generation=build.pk) is None


def test_items_forgotten_by_a_change_are_looked_up_between_changes_not_by_the_next_one(
    crowd, no_worker, monkeypatch
):
    build, offer = _broad_change(crowd, monkeypatch)
    assert incremental.propagate_next(build=build) > 0  # its entries in the needs' full lists
    offer.status = NeedOfferStatus.WITHDRAWN  # its rows leave those lists: their next best is not known here
    offer.save()
    incremental.refresh_pending(propagate=False)
    copy = thresholds.current(generation=build.pk)
    forgotten = set(copy.sides["need_id"].unknown)
    assert len(forgotten) >= 2
    monkeypatch.setattr(thresholds, "RESOLVE_AT_ONCE", 1)
    crowd["items"][0].title += " du mercredi"  # a change logged: the look-ups stop for it after one
    crowd["items"][0].save()
    incremental.propagate_next(build=build)
    assert len(copy.sides["need_id"].unknown) == len(forgotten) - 1
    incremental.refresh_pending(propagate=False)
    assert incremental.propagate_next(build=build) is None  # nothing pending: every item looked up
    assert not copy.sides["need_id"].unknown and not copy.sides["offer_id"].unknown
    assert thresholds.current(generation=build.pk) is copy
    _assert_copy_equals_database(build.pk)
