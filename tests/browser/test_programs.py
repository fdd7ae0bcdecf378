"""Programs in the browser (768 px): the coordinator delivers a kit, an incident follows the item's life,
site staff see only their site; axe-core on the program, site and equipment pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from terreau.programs.kits import kit_assemble, kit_deliver
from tests.browser.conftest import assert_accessible, login
from tests.programs.test_programs_support import make_items, make_program, people

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world():
    program, site_a, site_b, kit_model = make_program()
    users = people(program, site_a)
    items = make_items(program)
    kit = kit_assemble(kit_model=kit_model, items=items, code="SG-01", by=users["coordinator"])
    return program, site_a, site_b, kit, items, users


def test_coordinator_delivers_a_kit_and_follows_an_incident(page, world):
    program, site_a, _site_b, kit, items, users = world
    login(page, users["coordinator"].email)
    page.goto(program.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_contain_text(program.name)
    assert_accessible(page)
    page.get_by_role("link", name="Kits", exact=True).click()
    page.get_by_role("link", name="SG-01").click()
    page.get_by_label("Site d'accueil").select_option(label=site_a.name)
    page.get_by_role("button", name="Livrer le kit").click()
    expect(page.get_by_text("Kit livré")).to_be_visible()
    link = page.get_by_role("link", name="Bon de livraison (PDF)")
    response = page.request.get(link.get_attribute("href"))
    assert response.ok and response.body().startswith(b"%PDF")

    # An incident, then a swap, a repair and its return: all in the item's history.
    tablet = items[0]
    page.goto(f"/programmes/{program.slug}/materiel/{tablet.pk}/")
    page.get_by_label("Type d'incident").select_option("broken")
    page.get_by_label("Que s'est-il passé ?").fill("Écran fêlé")
    page.get_by_role("button", name="Signaler l'incident").click()
    expect(page.get_by_text("Incident enregistré")).to_be_visible()
    page.get_by_role("button", name="Envoyer en réparation").click()
    expect(page.locator(".item-state")).to_have_text("En réparation")
    page.get_by_label("Résultat").select_option("repaired")
    page.get_by_role("button", name="Enregistrer le retour").click()
    expect(page.locator(".item-state")).to_have_text("En stock")
    history = page.locator(".history")
    for step in (
        "Mis dans un kit",
        "Livré sur un site",
        "Incident",
        "Envoyé en réparation",
        "Retour de réparation",
    ):
        expect(history).to_contain_text(step)

    page.goto(f"/programmes/{program.slug}/materiel/")
    expect(page.get_by_role("heading", name="Où est chaque équipement")).to_be_visible()
    assert_accessible(page)


def test_site_staff_see_only_their_site(page, world):
    program, site_a, site_b, kit, _items, users = world
    kit_deliver(kit=kit, site=site_a, by=users["coordinator"])
    login(page, users["staff_a"].email)
    page.goto("/programmes/")
    expect(page.get_by_role("link", name=site_a.name)).to_be_visible()
    expect(page.get_by_role("link", name=site_b.name)).to_have_count(0)
    page.get_by_role("link", name=site_a.name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(site_a.name)
    expect(page.get_by_role("link", name="Matériel")).to_have_count(0)
    assert_accessible(page)
    response = page.goto(f"/programmes/{program.slug}/sites/{site_b.pk}/")
    assert response.status == 404
    response = page.goto(f"/programmes/{program.slug}/materiel/")
    assert response.status == 404
