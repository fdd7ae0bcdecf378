"""The commune field in the browser: suggestions as one types, the chosen suggestion saved (event form)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from terreau.territories.models import PostalCode
from tests.browser.conftest import assert_accessible, login
from tests.factories import BranchRoleFactory, CommuneFactory, EventFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [1280, 768])
def test_event_commune_is_suggested_by_name_and_postal_code_and_saved(page, width):
    page.set_viewport_size({"width": width, "height": 900})
    poitiers = CommuneFactory()
    PostalCode.objects.create(code="86000", commune=poitiers)
    CommuneFactory(code="86062", name="Poitiers-Ouest", population=10)  # shares the typed prefix
    event = EventFactory(title="Forum des associations", commune=None)
    login(page, BranchRoleFactory(branch=event.branch).user.email)
    page.goto(event.get_absolute_url() + "modifier/")
    field = page.get_by_role("combobox", name="Commune")
    field.press_sequentially("poit", delay=30)
    options = page.locator("#id_commune-suggestions option")
    expect(options.first).to_have_attribute("value", "Poitiers (86)")
    expect(page.locator("[data-commune-status]")).to_have_text("2 communes proposées.")
    field.fill("")
    field.press_sequentially("86000", delay=30)
    expect(options).to_have_count(1)
    assert "86000" in (options.first.get_attribute("label") or "")
    assert_accessible(page)
    field.fill("Poitiers (86)")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Forum des associations")
    event.refresh_from_db()
    assert event.commune_id == "86194"
