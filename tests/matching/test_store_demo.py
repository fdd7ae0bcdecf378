"""The demo loader ends with the suggestions stored (its job runs inline after the commit on SQLite)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from terreau.directory.models import Organisation
from terreau.matching import services, store
from terreau.matching.models import MatchingChange, StoredSuggestion
from terreau.territories.loader import load_territories
from tests.demo.test_demo import DEMO_DEPARTMENTS
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_demo_ends_with_suggestions_stored(db, no_worker, django_capture_on_commit_callbacks):
    load_territories(departments=DEMO_DEPARTMENTS)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load-demo", stdout=io.StringIO())
    build = store.current_build()
    assert build is not None and build.pairs > 0
    assert StoredSuggestion.objects.filter(generation=build.pk).count() == build.pairs
    assert not MatchingChange.objects.filter(done=False).exists()
    # An organisation of the demo has partners to show, read from the stored rows.
    org = Organisation.objects.get(
        pk=StoredSuggestion.objects.order_by("-score").first().need_organisation_id
    )
    assert services.suggestions_for(organisation=org, user=UserFactory(is_superuser=True))
