"""Totals anonymous visitors share for a short while (map counts, API list counts); never a signed-in person's."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from terreau.core.models import Visibility
from terreau.directory import mapping
from terreau.directory.queries import DirectoryParams
from tests.factories import (
    BranchRoleFactory,
    CommuneFactory,
    DepartmentFactory,
    NeedOfferFactory,
    OrganisationFactory,
    RegionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(settings):
    settings.TERREAU_PUBLIC_TOTALS_SECONDS = 60
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def strasbourg():
    alsace = DepartmentFactory(code="67", name="Bas-Rhin", region=RegionFactory(code="44", name="Grand Est"))
    return CommuneFactory(code="67482", name="Strasbourg", department=alsace)


def _counts(user):
    return mapping.department_counts(user=user, params=DirectoryParams())


def test_anonymous_map_counts_are_shared_until_they_expire(shared, strasbourg, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    OrganisationFactory(commune=strasbourg)
    assert _counts(AnonymousUser())["67"][1] == 1
    OrganisationFactory(commune=strasbourg)
    assert _counts(AnonymousUser())["67"][1] == 1  # shared: the new one counts after the delay
    cache.clear()  # the delay has passed
    assert _counts(AnonymousUser())["67"][1] == 2


def test_signed_in_counts_are_never_shared_nor_taken_from_the_shared_ones(shared, strasbourg):
    from django.contrib.auth.models import AnonymousUser

    public = OrganisationFactory(commune=strasbourg)
    assert _counts(AnonymousUser())["67"][1] == 1
    hidden = OrganisationFactory(commune=strasbourg, branch=public.branch, visibility=Visibility.BRANCH)
    staff = BranchRoleFactory(branch=hidden.branch).user
    assert _counts(staff)["67"][1] == 2  # counted for them, with what their role shows
    assert _counts(AnonymousUser())["67"][1] == 1  # the shared total never holds what they saw


def test_nothing_is_shared_when_the_delay_is_zero(settings, strasbourg):
    from django.contrib.auth.models import AnonymousUser

    settings.TERREAU_PUBLIC_TOTALS_SECONDS = 0
    OrganisationFactory(commune=strasbourg)
    assert _counts(AnonymousUser())["67"][1] == 1
    OrganisationFactory(commune=strasbourg)
    assert _counts(AnonymousUser())["67"][1] == 2


def test_api_list_totals_are_shared_for_anonymous_requests_only(shared, client, strasbourg):
    org = OrganisationFactory(commune=strasbourg)
    NeedOfferFactory(organisation=org, direction="need")
    url = reverse("api:need-list") if _has("api:need-list") else "/api/needs/"
    assert client.get(url).json()["count"] == 1
    NeedOfferFactory(organisation=org, direction="need")
    listed = client.get(url).json()
    assert listed["count"] == 1 and len(listed["results"]) == 2  # the rows at once, the total later
    staff = BranchRoleFactory(branch=org.branch).user
    client.force_login(staff)
    assert client.get(url).json()["count"] == 2
    # Other filters are other totals.
    assert client.get(url, {"page_size": 1}).json()["count"] == 2


def _has(name: str) -> bool:
    from django.urls import NoReverseMatch

    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True
