"""The search page in a browser: results update as one types, filters, shareable URL, accessibility."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from terreau.directory.models import OrganisationKind
from tests.browser.conftest import assert_accessible
from tests.factories import CommuneFactory, DepartmentFactory, NeedOfferFactory, OrganisationFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def directory():
    niort = CommuneFactory(
        code="79191", name="Niort", department=DepartmentFactory(code="79", name="Deux-Sèvres")
    )
    seniors = OrganisationFactory(
        name="Résidence autonomie Les Tilleuls", kind=OrganisationKind.HOST_STRUCTURE
    )
    NeedOfferFactory(organisation=seniors, title="Tablettes pour les résidents âgés")
    company = OrganisationFactory(
        name="Futurolan", kind=OrganisationKind.COMPANY, commune=niort, is_demo=True
    )
    NeedOfferFactory(organisation=company, offer=True, title="Prêt de consoles et de tablettes")
    OrganisationFactory(name="Club de football", description="Sport pour les jeunes.")


def test_search_updates_as_one_types_with_filters_and_is_accessible(page, directory):
    page.goto("/")
    expect(page.get_by_role("heading", name="Annuaire des acteurs")).to_be_visible()
    count = page.locator("#result-count")
    expect(count).to_have_text("3 structures trouvées")
    assert_accessible(page)

    page.get_by_label("Rechercher une structure, un besoin ou une ressource").press_sequentially(
        "tablet", delay=30
    )
    expect(count).to_have_text("2 structures trouvées")
    results = page.locator("#results")
    expect(results).to_contain_text("Résidence autonomie Les Tilleuls")
    expect(results).not_to_contain_text("Club de football")
    expect(page).to_have_url(re.compile(r"/\?q=tablet$"))

    page.get_by_label("Type de structure").select_option("company")
    expect(count).to_have_text("1 structure trouvée")
    expect(results).to_contain_text("Futurolan")
    expect(results.locator(".demo-badge")).to_have_text("démo")
    expect(page).to_have_url(re.compile(r"q=tablet&kind=company"))
    export = page.get_by_role("link", name=re.compile("CSV"))
    expect(export).to_have_attribute("href", "/export.csv?q=tablet&kind=company")
    assert_accessible(page)

    # The URL is shareable: opening it shows the same filtered page.
    page.goto(page.url)
    expect(page.get_by_label("Type de structure")).to_have_value("company")
    expect(count).to_have_text("1 structure trouvée")

    page.get_by_label("Département").select_option("79")
    expect(count).to_have_text("1 structure trouvée")
    page.get_by_label("Rechercher une structure, un besoin ou une ressource").fill("football")
    expect(count).to_have_text("Aucune structure trouvée")
    expect(results).to_contain_text("Aucune structure ne correspond")


@pytest.mark.parametrize("width", [1280, 768])
def test_results_say_why_they_matched(page, directory, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/?q=tablettes")
    result = page.locator(".result").filter(has_text="Résidence autonomie Les Tilleuls")
    reasons = result.locator(".match-reasons")
    expect(reasons).to_contain_text("Correspond à :")
    expect(reasons).to_contain_text("besoin « Tablettes pour les résidents âgés »")
    expect(reasons.locator("mark")).to_have_text("Tablettes")
    assert_accessible(page)
    if Path("/tmp/shots/E").is_dir():
        page.screenshot(path=f"/tmp/shots/E/search-reasons-{width}.png", full_page=True)
