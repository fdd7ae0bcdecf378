"""The map page and its JSON markers: same filters as the search, same access rules, fixed query count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from terreau.directory import mapping
from terreau.directory.models import OrganisationKind
from terreau.directory.queries import DirectoryParams, directory_queryset
from terreau.territories.models import Commune
from tests.factories import (
    BranchRoleFactory,
    CommuneFactory,
    DepartmentFactory,
    MembershipFactory,
    NeedOfferFactory,
    OrganisationFactory,
    RegionFactory,
)

pytestmark = pytest.mark.django_db

DATA_URL = reverse("directory:map_data")
PAGE_URL = reverse("directory:map")


@pytest.fixture
def strasbourg():
    alsace = DepartmentFactory(code="67", name="Bas-Rhin", region=RegionFactory(code="44", name="Grand Est"))
    return CommuneFactory(
        code="67482", name="Strasbourg", department=alsace, latitude=48.5734, longitude=7.7521
    )


@pytest.fixture
def nowhere():
    """A commune whose centre is unknown (organisations there need their own coordinates)."""
    return CommuneFactory(code="86066", name="Châtellerault", latitude=None, longitude=None)


def names(response) -> set[str]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return {m["name"] for m in response.json()["markers"]}


def test_markers_carry_what_the_popup_needs(client):
    org = OrganisationFactory(name="Les Ateliers du Lien", latitude=46.58, longitude=0.34)
    data = client.get(DATA_URL).json()
    assert data == {
        "count": 1,
        "truncated": False,
        "markers": [
            {
                "lat": 46.58,
                "lon": 0.34,
                "name": "Les Ateliers du Lien",
                "url": org.get_absolute_url(),
                "kind": "Association",
                "commune": "Poitiers",
                "approx": False,
            }
        ],
    }


def test_only_placed_organisations_become_markers(client, nowhere):
    OrganisationFactory(name="Placée", commune=nowhere, latitude=46.8, longitude=0.5)
    OrganisationFactory(name="Commune sans centre", commune=nowhere)
    OrganisationFactory(name="Sans commune", commune=None)
    at_centre = OrganisationFactory(name="Au centre de Poitiers")
    markers = {m["name"]: m for m in client.get(DATA_URL).json()["markers"]}
    assert set(markers) == {"Placée", "Au centre de Poitiers"}
    centre = markers["Au centre de Poitiers"]
    assert (centre["lat"], centre["lon"], centre["approx"]) == (
        at_centre.commune.latitude,
        at_centre.commune.longitude,
        True,
    )
    assert markers["Placée"]["approx"] is False


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"q": "Ateliers"},
        {"kind": "company"},
        {"kind": ["company", "foundation"]},
        {"department": "67"},
        {"department": "86", "kind": "association"},
        {"q": "lien", "department": "86"},
    ],
)
def test_map_data_applies_the_search_filters(client, strasbourg, query):
    OrganisationFactory(name="Les Ateliers du Lien", latitude=46.58, longitude=0.34)
    OrganisationFactory(company=True, name="Entreprise du Lien", latitude=46.6, longitude=0.35)
    OrganisationFactory(kind=OrganisationKind.FOUNDATION, name="Fondation Rhénane", commune=strasbourg)
    OrganisationFactory(
        company=True, name="Ateliers d'Alsace", commune=strasbourg, latitude=48.6, longitude=7.7
    )
    response = client.get(DATA_URL, query)
    from django.http import QueryDict

    qd = QueryDict(mutable=True)
    for key, value in query.items():
        qd.setlist(key, value if isinstance(value, list) else [value])
    expected = set(
        directory_queryset(user=None, params=DirectoryParams.from_query(qd)).values_list("name", flat=True)
    )
    assert names(response) == expected


def test_filters_narrow_the_markers(client, strasbourg):
    OrganisationFactory(name="Les Ateliers du Lien", latitude=46.58, longitude=0.34)
    OrganisationFactory(company=True, name="Ateliers d'Alsace", commune=strasbourg)
    assert names(client.get(DATA_URL, {"department": "67"})) == {"Ateliers d'Alsace"}
    assert names(client.get(DATA_URL, {"kind": "association"})) == {"Les Ateliers du Lien"}
    assert names(client.get(DATA_URL, {"q": "alsace"})) == {"Ateliers d'Alsace"}


def test_anonymous_visitors_get_public_organisations_only(client):
    OrganisationFactory(name="Publique", latitude=46.58, longitude=0.34)
    OrganisationFactory(name="Réservée", private=True, latitude=46.58, longitude=0.34)
    assert names(client.get(DATA_URL)) == {"Publique"}
    page = client.get(PAGE_URL).content.decode()
    assert "Vienne (86) : 1 organisation" in page


def test_private_organisations_of_another_branch_never_appear(client):
    role = BranchRoleFactory()
    OrganisationFactory(
        name="Privée chez nous", private=True, branch=role.branch, latitude=46.5, longitude=0.3
    )
    OrganisationFactory(name="Privée ailleurs", private=True, latitude=46.5, longitude=0.3)
    OrganisationFactory(name="Publique ailleurs", latitude=46.5, longitude=0.3)
    client.force_login(role.user)
    assert names(client.get(DATA_URL)) == {"Privée chez nous", "Publique ailleurs"}
    assert "Privée ailleurs" not in names(client.get(DATA_URL, {"q": "ailleurs"}))
    page = client.get(PAGE_URL).content.decode()
    assert "Vienne (86) : 2 organisations" in page


def test_members_see_their_own_private_organisation(client):
    membership = MembershipFactory(organisation__private=True, organisation__name="Ma structure")
    OrganisationFactory(name="Une autre privée", private=True)
    client.force_login(membership.user)
    assert names(client.get(DATA_URL)) == {"Ma structure"}


def test_map_data_query_count_does_not_grow_with_results(client, strasbourg):
    role = BranchRoleFactory()
    client.force_login(role.user)

    def count_queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(DATA_URL)
        return len(ctx.captured_queries), response.json()["count"]

    OrganisationFactory(branch=role.branch, latitude=46.5, longitude=0.3)
    few_queries, few = count_queries()
    for n in range(12):
        OrganisationFactory(branch=role.branch, private=n % 2 == 0, commune=strasbourg)
    many_queries, many = count_queries()
    assert (few, many) == (1, 13)
    assert many_queries == few_queries


def test_map_page_query_count_does_not_grow_with_results(client, strasbourg):
    OrganisationFactory()
    with CaptureQueriesContext(connection) as few:
        client.get(PAGE_URL)
    for _n in range(10):
        OrganisationFactory(commune=strasbourg)
        OrganisationFactory()
    with CaptureQueriesContext(connection) as many:
        client.get(PAGE_URL)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_markers_are_capped(client):
    for n in range(4):
        OrganisationFactory(name=f"Org {n}", latitude=46.5, longitude=0.3)
    markers, truncated = mapping.map_markers(user=None, params=DirectoryParams(), limit=3)
    assert (len(markers), truncated) == (3, True)
    markers, truncated = mapping.map_markers(user=None, params=DirectoryParams(), limit=4)
    assert (len(markers), truncated) == (4, False)


def test_map_page_shows_leaflet_settings_and_department_view(client, settings, strasbourg):
    settings.TERREAU_TILE_URL = "https://tuiles.test/{z}/{x}/{y}.png"
    settings.TERREAU_TILE_ATTRIBUTION = "© Contributeurs"
    for org in [*OrganisationFactory.create_batch(3), OrganisationFactory(commune=strasbourg)]:
        NeedOfferFactory(organisation=org, type="materiel")
    OrganisationFactory()  # no "matériel" need: filtered out
    response = client.get(PAGE_URL, {"kind": "association", "type": "materiel", "page": "2"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="region" aria-label="Carte des organisations"' in html
    assert 'data-tile-url="https://tuiles.test/{z}/{x}/{y}.png"' in html
    assert 'data-tile-attribution="© Contributeurs"' in html
    # The markers' URL and the list link keep the filters (not the list's page number).
    assert f'data-markers-url="{DATA_URL}?kind=association&amp;type=materiel"' in html
    assert 'href="/?kind=association&amp;type=materiel"' in html
    assert '<input type="hidden" name="type" value="materiel">' in html
    assert 'value="association" selected' in html
    # Offline department map: one clickable shape per metropolitan department, coloured by count.
    assert html.count('class="dept dept-') == 96
    assert 'data-department="86"' in html and 'data-department="2A"' in html
    assert "Vienne (86) : 3 organisations" in html
    assert "Bas-Rhin (67) : 1 organisation" in html
    assert 'href="/carte/?kind=association&amp;type=materiel&amp;department=86#departements"' in html
    assert "<caption>Nombre d’organisations par département</caption>" in html
    for asset in ("leaflet.js", "leaflet.css", "leaflet.markercluster.js", "MarkerCluster.css", "map.js"):
        assert asset in html
    assert "<script>" not in html  # no inline script (CSP)


def test_selected_department_is_marked_and_others_stay_clickable(client, strasbourg):
    OrganisationFactory()
    OrganisationFactory(commune=strasbourg)
    html = client.get(PAGE_URL, {"department": "67"}).content.decode()
    # Counts ignore the department filter so the other departments stay visible and clickable.
    assert "Vienne (86) : 1 organisation" in html
    assert 'class="dept dept-5 is-selected" data-department="67"' in html
    assert "Département choisi :" in html and "Bas-Rhin" in html
    assert 'href="/carte/#departements">Voir tous les départements' in html


def test_department_colours_follow_counts():
    assert mapping.colour_level(0, 10) == 0
    assert 1 <= mapping.colour_level(1, 10) < mapping.LEVELS
    assert mapping.colour_level(10, 10) == mapping.LEVELS
    levels = [mapping.colour_level(n, 500) for n in range(0, 501)]
    assert levels == sorted(levels)
    classes = mapping.legend_classes(500)
    assert classes[0][1] == 1 and classes[-1][2] == 500
    assert [c[0] for c in classes] == sorted({c[0] for c in classes})


def test_department_outlines_come_from_the_npm_package():
    shapes = mapping.department_shapes()
    assert shapes is not None
    assert len(shapes.shapes) == 96
    assert {s.code for s in shapes.shapes} >= {"16", "17", "79", "86", "67", "68", "2A", "2B"}
    assert all(s.path.startswith("m ") for s in shapes.shapes)


def test_page_works_without_the_outlines(client, monkeypatch, tmp_path):
    monkeypatch.setattr(mapping, "DEPARTMENTS_JS", tmp_path / "absent.js")
    mapping.department_shapes.cache_clear()
    try:
        OrganisationFactory()
        html = client.get(PAGE_URL).content.decode()
    finally:
        mapping.department_shapes.cache_clear()
    assert "Le fond de carte des départements n’est pas installé" in html
    assert "Vienne (86)" in html  # the table still works


@pytest.mark.parametrize(
    "query",
    [
        {"department": "<script>alert(1)</script>"},
        {"kind": "inconnu", "theme": "'; DROP TABLE x;--"},
        {"q": "x" * 5000},
        {"department": ["86", "86", "67"]},
        {"q": "\x00"},
    ],
)
def test_bad_filters_never_fail(client, query):
    OrganisationFactory(latitude=46.5, longitude=0.3)
    for url in (PAGE_URL, DATA_URL):
        response = client.get(url, query)
        assert response.status_code in (200, 400)
        assert b"<script>alert(1)</script>" not in response.content


def test_commune_centre_marker_follows_commune_updates(client):
    org = OrganisationFactory()
    Commune.objects.filter(pk=org.commune_id).update(latitude=None, longitude=None)
    assert names(client.get(DATA_URL)) == set()
