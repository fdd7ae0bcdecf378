"""The bell, the notifications page and the preferences page in the browser, at 1280 and 768 px."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from terreau.notifications.models import Notification, Preference
from tests.browser.conftest import assert_accessible, login
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [1280, 768])
def test_bell_notifications_and_preferences(page, width):
    page.set_viewport_size({"width": width, "height": 900})
    user = UserFactory(email="lea@example.org")
    for i in range(3):
        Notification.objects.create(
            recipient=user, kind="partnerships.message", title=f"Nouveau message {i}", link="/rencontres/"
        )
    login(page, "lea@example.org")
    bell = page.get_by_role("link", name="Notifications, 3 non lues")
    expect(bell).to_be_visible()  # beside the brand, outside the folded menu
    bell.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    assert_accessible(page)
    page.get_by_role("button", name="Marquer comme lue : Nouveau message 2").click()
    expect(page.get_by_role("link", name="Notifications, 2 non lues")).to_be_visible()
    page.get_by_role("button", name="Ouvrir : Nouveau message 1").click()
    expect(page).to_have_url(re.compile("/rencontres/$"))
    expect(page.get_by_role("link", name="Notifications, 1 non lue")).to_be_visible()
    page.goto("/notifications/")
    page.get_by_role("button", name="Tout marquer comme lu").click()
    expect(page.get_by_role("link", name="Notifications, aucune non lue")).to_be_visible()

    page.get_by_role("link", name="Choisir ce que je reçois et comment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Préférences de notification")
    assert_accessible(page)
    group = page.get_by_role("group", name="Messages d'un partenariat")
    group.get_by_label("Résumé quotidien").check()
    page.get_by_role("group", name="Rappel de rencontre").get_by_label("Jamais").check()
    page.get_by_role("button", name="Enregistrer mes préférences").click()
    expect(page.get_by_text("Vos préférences de notification sont enregistrées.")).to_be_visible()
    expect(
        page.get_by_role("group", name="Messages d'un partenariat").get_by_label("Résumé quotidien")
    ).to_be_checked()
    assert_accessible(page)
    assert Preference.objects.get(user=user, kind="partnerships.message").choice == "digest"
    assert Preference.objects.get(user=user, kind="events.reminder").choice == "off"
