"""REST API for working groups and charters: read only, through terreau.core.access, in the OpenAPI document."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from terreau.alliances import charter as services
from tests.alliances.groups_world import GroupWorld, build_world


@pytest.fixture
def gw(db) -> GroupWorld:
    cache.clear()
    return build_world()


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def names(response) -> set[str]:
    return {row["name"] for row in response.json()["results"]}


def test_groups_are_listed_to_whom_may_see_them(gw):
    assert names(api(gw.member_a).get("/api/working-groups/")) == {"Bien vieillir"}
    assert names(api(gw.member_b).get("/api/working-groups/")) == {"Bien vieillir", "Inclusion numérique"}
    assert names(api(gw.facilitator).get("/api/working-groups/")) == {"Bien vieillir", "Inclusion numérique"}
    assert names(api(gw.other_facilitator).get("/api/working-groups/")) == set()
    assert names(api().get("/api/working-groups/")) == set()
    assert api(gw.member_c).get(f"/api/working-groups/{gw.g1.pk}/").status_code == 404
    detail = api(gw.member_a).get(f"/api/working-groups/{gw.g1.pk}/").json()
    assert {m["organisation"] for m in detail["members"]} == {gw.a.slug, gw.b.slug}
    assert detail["key_issues"] == [gw.ageing.pk]


def test_an_open_group_is_public_without_its_members(gw):
    gw.g1.is_open = True
    gw.g1.save()
    detail = api().get(f"/api/working-groups/{gw.g1.pk}/").json()
    assert detail["name"] == "Bien vieillir" and detail["members"] == []
    assert api().post("/api/working-groups/", {}).status_code in (401, 405)


def test_charters_are_seen_by_the_group_and_its_partners(gw):
    charter = services.charter_create(group=gw.g2, title="Numérique pour tous", by=gw.member_c)
    version = services.charter_version_create(
        charter=charter,
        data={"purpose": "Objet"},
        partners=[{"organisation": gw.a, "roles": ["funder"]}, {"organisation": gw.c, "roles": ["pilot"]}],
        by=gw.member_c,
    )
    services.charter_submit(version=version, by=gw.member_c)
    services.charter_approve(version=version, organisation=gw.a, by=gw.member_a)
    # A is no member of the group but a partner of the version: it sees the charter.
    row = api(gw.member_a).get(f"/api/charters/{charter.pk}/").json()
    partners = {p["organisation"]: p for p in row["versions"][0]["partners"]}
    assert partners[gw.a.slug]["approved_at"] and partners[gw.c.slug]["approved_at"] is None
    assert partners[gw.a.slug]["roles"] == ["funder"]
    assert api(gw.other_facilitator).get(f"/api/charters/{charter.pk}/").status_code == 404
    assert api().get(f"/api/charters/{charter.pk}/").status_code == 404
    assert [r["title"] for r in api(gw.facilitator).get("/api/charters/").json()["results"]] == [
        "Numérique pour tous"
    ]


def test_endpoints_are_in_the_openapi_document(gw):
    schema = api().get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in (
        "/api/working-groups/",
        "/api/working-groups/{id}/",
        "/api/charters/",
        "/api/charters/{id}/",
    ):
        assert path in schema
