"""Stored suggestions: what the jobs write equals what the engine computes; incremental updates; the pages."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import transaction
from django.urls import reverse

from terreau.directory.models import Direction
from terreau.matching import engine, incremental, indexing, services, store, tasks
from terreau.matching.models import MatchingChange, StoredSuggestion, SuggestionBuild
from terreau.matching.selection import ALLIANCE_MIN_SCORE
from tests.factories import (
    BranchFactory,
    MembershipFactory,
    NeedOfferFactory,
    OrganisationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TEXTS = [
    ("need", "Tablettes pour des ateliers numériques avec les seniors"),
    ("offer", "Dons de tablettes reconditionnées pour des ateliers numériques"),
    ("need", "Un minibus pour les sorties des résidents"),
    ("offer", "Prêt d'un minibus pour les sorties"),
    ("need", "Des bénévoles pour l'aide aux devoirs des collégiens"),
    ("offer", "Bénévoles étudiants pour l'accompagnement scolaire et l'aide aux devoirs"),
    ("offer", "Prêt de salles pour des ateliers et des réunions"),
    ("need", "Une salle pour nos ateliers numériques du samedi"),
]


@pytest.fixture
def territory():
    branch = BranchFactory()
    orgs = [OrganisationFactory(branch=branch, name=f"Structure {i}") for i in range(5)]
    items = []
    for i, (direction, title) in enumerate(TEXTS):
        items.append(
            NeedOfferFactory(
                organisation=orgs[i % len(orgs)],
                direction=Direction.NEED if direction == "need" else Direction.OFFER,
                title=title,
                description="",
            )
        )
    private_org = OrganisationFactory(branch=branch, name="Structure discrète")
    private_need = NeedOfferFactory(
        organisation=private_org,
        direction=Direction.NEED,
        title="Des tablettes pour les ateliers de nos seniors",
        description="",
        private=True,
    )
    return {"branch": branch, "orgs": orgs, "items": items, "private_need": private_need}


def _stored(generation: int) -> dict[tuple[int, int], tuple[float, list[str]]]:
    return {
        (r.need_id, r.offer_id): (r.score, r.reasons)
        for r in StoredSuggestion.objects.filter(generation=generation)
    }


def test_full_rebuild_stores_every_pair_the_engine_scores(territory, no_worker):
    build = store.rebuild_all()
    index = indexing.build_index()
    needs, offers = index.item_slots(index.org_ids_alive())
    ns, os_, sc = index.pairs_for_items(needs, (), distinct=True)
    expected = {}
    for n, o, s in zip(ns.tolist(), os_.tolist(), sc.tolist(), strict=True):
        if s >= store.STORE_MIN_SCORE:
            key = (int(index.need_ids([n])[0]), int(index.offer_ids([o])[0]))
            expected[key] = (float(np.float32(s)), index.explain(n, o))  # stored as the engine's float32
    # Few items: every pair above the threshold is within each item's PER_ITEM best, so all are stored.
    assert expected
    for side in (0, 1):
        per_item = [k[side] for k in expected]
        assert max(per_item.count(x) for x in per_item) < store.PER_ITEM
    assert _stored(build.pk) == expected
    assert build.pairs == len(expected) and build.finished_at is not None


def test_suggestions_read_from_the_store_equal_the_engines_partners(territory, no_worker):
    store.rebuild_all()
    index = indexing.build_index()
    superuser = UserFactory(is_superuser=True)
    for org in territory["orgs"]:
        key = str(org.pk)
        ns, os_, sc = index.pairs_for_items(*index.item_slots([key]))
        keep = sc >= ALLIANCE_MIN_SCORE
        pairs = engine.ScoredPairs(ns[keep], os_[keep], sc[keep])
        expected = index.partners_from_pairs(key, pairs)
        found = services.suggestions_for(organisation=org, user=superuser)
        assert [(s.partner.pk, s.score) for s in found] == [(int(p.id), p.score) for p in expected]
        for s, p in zip(found, expected, strict=True):
            assert [(x.need.pk, x.offer.pk, x.direction, x.score) for x in s.pairs] == [
                (int(x.need), int(x.offer), x.direction, x.score) for x in p.pairs
            ]
            assert s.why == engine.reason_sentences(p.why, pairs_shown=len(s.pairs))


def test_incremental_update_equals_a_full_rebuild_for_the_changed_need(
    territory, no_worker, django_capture_on_commit_callbacks
):
    store.rebuild_all()
    need = territory["private_need"]  # private: its words do not move the vocabulary's weights
    with django_capture_on_commit_callbacks(execute=True):
        need.title = "Un minibus pour emmener nos seniors aux ateliers de tablettes"
        need.save()
    build = store.current_build()
    incremental = {k: v for k, v in _stored(build.pk).items() if need.pk in k}
    assert incremental  # it meets the minibus offer now
    rebuilt = store.rebuild_all()
    assert {k: v for k, v in _stored(rebuilt.pk).items() if need.pk in k} == incremental
    assert not StoredSuggestion.objects.filter(generation=build.pk).exists()  # the old generation is gone


def test_a_rolled_back_change_queues_nothing(territory, no_worker, django_capture_on_commit_callbacks):
    store.rebuild_all()
    need = territory["items"][0]
    logged = MatchingChange.objects.count()
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        need.title = "Autre chose"
        need.save()
        raise RuntimeError
    assert callbacks == []
    assert MatchingChange.objects.count() == logged


def test_a_burst_of_edits_is_handled_by_the_first_job(
    territory, no_worker, django_capture_on_commit_callbacks
):
    store.rebuild_all()
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for item in territory["items"]:
            item.description = "mis à jour"
            item.save()
    assert MatchingChange.objects.filter(done=False).count() == len(territory["items"])
    assert callbacks
    callbacks[0]()  # the first job takes every pending change
    assert not MatchingChange.objects.filter(done=False).exists()
    assert incremental.refresh_pending() == 0  # the other jobs of the burst find nothing to do


def test_readers_keep_the_previous_generation_until_the_new_one_is_complete(
    territory, no_worker, monkeypatch
):
    first = store.rebuild_all()
    superuser = UserFactory(is_superuser=True)
    org = territory["orgs"][0]
    before = [(s.partner.pk, s.score) for s in services.suggestions_for(organisation=org, user=superuser)]
    assert before
    seen_during = []
    real_insert = store._write_new

    def insert_and_read(rows, *args):
        real_insert(rows, *args)
        seen_during.append(
            (
                store.current_build().pk,
                [(s.partner.pk, s.score) for s in services.suggestions_for(organisation=org, user=superuser)],
            )
        )

    monkeypatch.setattr(store, "ROWS_PER_BLOCK", 2)
    monkeypatch.setattr(store, "_write_new", insert_and_read)
    second = store.rebuild_all()
    assert len(seen_during) > 1 and all(seen == (first.pk, before) for seen in seen_during)
    assert store.current_build() == second
    assert list(SuggestionBuild.objects.all()) == [second]


def test_pages_say_suggestions_are_being_computed_before_the_first_build(
    client, territory, no_worker, django_capture_on_commit_callbacks
):
    org = territory["orgs"][0]
    member = MembershipFactory(organisation=org).user
    client.force_login(member)
    html = client.get(reverse("matching:suggestions", args=[org.slug])).content.decode()
    assert "en cours de calcul" in html
    # The demo loader's job (inline after the commit here) computes them.
    with django_capture_on_commit_callbacks(execute=True):
        from terreau.core.jobs import defer

        defer(tasks.rebuild_suggestions)
    html = client.get(reverse("matching:suggestions", args=[org.slug])).content.decode()
    assert "en cours de calcul" not in html and 'class="suggestion"' in html


def test_the_first_change_with_nothing_built_computes_everything(territory, no_worker):
    assert store.current_build() is None
    store.record_change(organisation_id=territory["orgs"][0].pk)
    tasks.refresh_suggestions.func()
    assert store.current_build() is not None and StoredSuggestion.objects.exists()
    assert not MatchingChange.objects.filter(done=False).exists()


def test_rebuild_command(territory, no_worker):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("rebuild-suggestions", stdout=out)
    assert "Suggestions recalculées" in out.getvalue()
    assert StoredSuggestion.objects.exists()
