"""The map in a real browser, offline (no tile server): clustered markers, popups, the department view."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.factories import CommuneFactory, DepartmentFactory, OrganisationFactory, RegionFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def territory():
    poitiers = [
        OrganisationFactory(name=f"Centre socioculturel {n}", latitude=46.58 + n * 0.004, longitude=0.34)
        for n in range(3)
    ]
    alsace = DepartmentFactory(code="67", name="Bas-Rhin", region=RegionFactory(code="44", name="Grand Est"))
    strasbourg = CommuneFactory(
        code="67482", name="Strasbourg", department=alsace, latitude=48.57, longitude=7.75
    )
    rhenane = OrganisationFactory(name="Fondation Rhénane", kind="foundation", commune=strasbourg)
    OrganisationFactory(name="Structure réservée", private=True, latitude=46.6, longitude=0.35)
    return poitiers, rhenane


def open_map(page, url="/carte/"):
    page.goto(url)
    expect(page.locator("#carte-acteurs")).to_have_attribute("data-state", "ready")


def test_map_shows_clustered_markers_without_tiles(page, territory):
    _poitiers, rhenane = territory
    open_map(page)
    status = page.locator("#map-status")
    expect(status).to_have_text("4 organisations placées sur la carte.")
    assert page.locator(".leaflet-tile").count() == 0  # offline: no tile layer at all
    # The three organisations of Poitiers form one cluster; Strasbourg's is a marker of its own.
    cluster = page.locator(".marker-cluster")
    expect(cluster).to_have_count(1)
    expect(cluster).to_have_text("3")
    marker = page.get_by_role("button", name="Fondation Rhénane")
    expect(marker).to_be_visible()
    # The private organisation of another branch is not on the map.
    assert page.locator('.leaflet-marker-icon[alt="Structure réservée"]').count() == 0

    # A popup names the organisation, links to its profile, and gives its kind and commune.
    marker.click()
    popup = page.locator(".leaflet-popup-content")
    expect(popup.get_by_role("link", name="Fondation Rhénane")).to_have_attribute(
        "href", rhenane.get_absolute_url()
    )
    expect(popup).to_contain_text("Fondation · Strasbourg")
    # Leaflet fades popups in: axe measures colours, so wait for the end of the fade (else a blended,
    # half-transparent link fails the contrast rule at random).
    page.wait_for_function("() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'")

    assert_accessible(page)


def test_clusters_open_from_the_keyboard(page, territory):
    open_map(page)
    page.locator(".marker-cluster").focus()
    page.keyboard.press("Enter")  # zooms in on the cluster
    for n in range(3):
        expect(page.get_by_role("button", name=f"Centre socioculturel {n}")).to_be_visible()
    marker = page.get_by_role("button", name="Centre socioculturel 1")
    marker.focus()
    page.keyboard.press("Enter")  # opens the popup
    expect(page.locator(".leaflet-popup-content").get_by_role("link")).to_have_text("Centre socioculturel 1")


def test_department_view_filters_the_map(page, territory):
    open_map(page)
    vienne = page.locator('svg.dept-map a[data-department="86"]')
    expect(vienne).to_have_attribute("aria-label", "Vienne (86) : 3 organisations")
    expect(page.locator('svg.dept-map a[data-department="67"]')).to_have_attribute(
        "aria-label", "Bas-Rhin (67) : 1 organisation"
    )
    table = page.get_by_role("table", name="Nombre d’organisations par département")
    expect(table.get_by_role("row")).to_have_count(3)  # header + 2 departments

    vienne.click()
    expect(page).to_have_url(re.compile(r"/carte/\?department=86#departements$"))
    expect(page.locator("#carte-acteurs")).to_have_attribute("data-state", "ready")
    expect(page.locator("#map-status")).to_have_text("3 organisations placées sur la carte.")
    expect(page.get_by_label("Département", exact=True)).to_have_value("86")
    expect(page.locator('svg.dept-map a[data-department="86"]')).to_have_attribute("aria-current", "true")
    assert page.locator('.leaflet-marker-icon[alt="Fondation Rhénane"]').count() == 0
    # The list link keeps the filter.
    expect(page.get_by_role("link", name="Voir ces organisations en liste")).to_have_attribute(
        "href", "/?department=86"
    )
    assert_accessible(page)


def test_filter_form_narrows_the_markers(page, territory):
    open_map(page)
    page.get_by_label("Type de structure").select_option("foundation")
    page.get_by_role("button", name="Filtrer la carte").click()
    expect(page).to_have_url(re.compile(r"kind=foundation"))
    expect(page.locator("#carte-acteurs")).to_have_attribute("data-state", "ready")
    expect(page.locator("#map-status")).to_have_text("1 organisation placée sur la carte.")
    expect(page.get_by_role("button", name="Fondation Rhénane")).to_be_visible()
