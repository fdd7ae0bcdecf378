"""The contributions API: read through terreau.core.access, create through the services (French 400s, 403s),
listed in the OpenAPI document."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from terreau.contributions.models import Contribution
from tests.contributions.factories import ContributionFactory, InstalmentFactory
from tests.factories import BranchFactory, BranchRoleFactory, MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db
URL = "/api/contributions/"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def world():
    branch = BranchFactory()
    staff = BranchRoleFactory(branch=branch).user
    company = OrganisationFactory(company=True, branch=branch)
    association = OrganisationFactory(branch=branch)
    c = ContributionFactory(branch=branch, donor=company, recipient=association)
    InstalmentFactory(contribution=c, amount=Decimal("250.00"))
    return {"branch": branch, "staff": staff, "company": company, "association": association, "c": c}


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_who_sees_what(world):
    other = ContributionFactory()  # another branch
    c = world["c"]
    assert _ids(client_for(world["staff"]).get(URL)) == {c.pk}
    assert _ids(client_for(MembershipFactory(organisation=world["company"]).user).get(URL)) == {c.pk}
    assert _ids(client_for(MembershipFactory(organisation=world["association"]).user).get(URL)) == {c.pk}
    assert _ids(client_for(BranchRoleFactory().user).get(URL)) == set()
    assert _ids(client_for().get(URL)) == set()
    assert client_for(world["staff"]).get(f"{URL}{other.pk}/").status_code == 404
    detail = client_for(world["staff"]).get(f"{URL}{c.pk}/").json()
    assert detail["value"] == "1000.00" and detail["instalments"][0]["amount"] == "250.00"
    assert detail["donor"] == world["company"].slug


def test_list_filters_and_bad_filters(world, django_assert_max_num_queries):
    for _ in range(5):
        ContributionFactory(branch=world["branch"], recipient=world["association"], kind="grant")
    client = client_for(world["staff"])
    with django_assert_max_num_queries(12):
        assert len(_ids(client.get(URL, {"kind": "grant"}))) == 5
    assert _ids(client.get(URL, {"donor": world["company"].pk})) == {world["c"].pk}
    for bad in ({"year": "x"}, {"kind": "nope"}, {"program": "-3"}, {"donor": "99999999999999999999"}):
        response = client.get(URL, bad)
        assert response.status_code == 400, bad


def _payload(world, **kw):
    data = {
        "kind": "gift",
        "donor": world["company"].slug,
        "recipient": world["association"].slug,
        "description": "Don par l'API",
        "pledged_on": timezone.localdate().isoformat(),
        "amount": "1500.00",
    }
    data.update(kw)
    return data


def test_create_goes_through_the_services(world):
    response = client_for(world["staff"]).post(URL, _payload(world), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["value"] == "1500.00" and body["state"] == "pledged" and body["value_basis"]
    created = Contribution.objects.get(pk=body["id"])
    assert created.history.count() == 1 and created.branch == world["branch"]


@pytest.mark.parametrize(
    ("changes", "part"),
    [
        ({"amount": "-3"}, "supérieur à zéro"),
        ({"amount": "0"}, "supérieur à zéro"),
        ({"pledged_on": "2999-01-01"}, "futur"),
        ({"donor": None}, "donateur"),
        ({"kind": "skills_sponsorship", "amount": None, "hours": "10"}, "salaire"),
    ],
)
def test_bad_payloads_answer_400_in_french_and_write_nothing(world, changes, part):
    response = client_for(world["staff"]).post(URL, _payload(world, **changes), format="json")
    assert response.status_code == 400
    assert part in response.content.decode()
    assert Contribution.objects.count() == 1


def test_create_is_refused_to_outsiders(world):
    assert client_for().post(URL, _payload(world), format="json").status_code in (401, 403)
    stranger = MembershipFactory().user
    response = client_for(stranger).post(URL, _payload(world), format="json")
    assert response.status_code == 403
    outsider_staff = BranchRoleFactory().user
    assert client_for(outsider_staff).post(URL, _payload(world), format="json").status_code == 403
    assert Contribution.objects.count() == 1


def test_in_the_openapi_document(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert "/api/contributions/" in schema["paths"]
    assert "post" in schema["paths"]["/api/contributions/"]
    assert "/api/contributions/{id}/" in schema["paths"]
