"""Events in the browser: register without an account, waiting list and promotion, check-in at the door."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from terreau.events import services, tokens
from terreau.events.models import Registration
from tests.browser.conftest import assert_accessible, login
from tests.factories import BranchRoleFactory, EventFactory

pytestmark = pytest.mark.django_db(transaction=True)


def path_in_last_mail(to: str, pattern: str) -> str:
    message = [m for m in mail.outbox if m.to == [to]][-1]
    match = re.search(r"https?://[^/\s]+(/rencontres/" + pattern + r"[^\s]*)", message.body)
    assert match, message.body
    return match.group(1)


def register_in_browser(page, event, *, name: str, email: str) -> None:
    page.goto(event.get_absolute_url())
    page.get_by_role("button", name=re.compile("^S.inscrire")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("S'inscrire")
    page.get_by_label("Nom et prénom").fill(name)
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Structure (facultatif)").fill("Unis-Cité")
    page.get_by_role("button", name="Valider mon inscription").click()
    expect(page.get_by_role("heading", name="Plus qu'une étape")).to_be_visible()


def test_register_without_account_and_confirm_from_the_email(page):
    event = EventFactory(title="Rencontre Silver Geek", capacity=10)
    page.goto("/rencontres/")
    expect(page.get_by_role("link", name="Rencontre Silver Geek")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Rencontre Silver Geek").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rencontre Silver Geek")
    assert_accessible(page)
    page.get_by_role("button", name="S'inscrire").click()
    assert_accessible(page)
    page.get_by_label("Nom et prénom").fill("Léa Martin")
    page.get_by_label("Adresse e-mail").fill("lea@example.org")
    page.get_by_role("button", name="Valider mon inscription").click()
    expect(page.get_by_role("heading", name="Plus qu'une étape")).to_be_visible()

    page.goto(path_in_last_mail("lea@example.org", "inscription/confirmer/"))
    assert_accessible(page)
    page.get_by_role("button", name="Je confirme mon inscription").click()
    expect(page.get_by_text("Confirmée")).to_be_visible()
    expect(page.get_by_role("img", name="Code QR à présenter à l’accueil")).to_be_visible()
    assert_accessible(page)
    assert event.registrations.get().status == Registration.Status.CONFIRMED


def test_join_the_waiting_list_and_get_promoted_when_someone_cancels(page):
    event = EventFactory(title="Atelier mécénat", capacity=1)
    first = services.registration_confirm(
        registration=services.registration_create(event=event, name="Paul Durand", email="paul@example.org")
    )
    register_in_browser(page, event, name="Léa Martin", email="lea@example.org")
    page.goto(path_in_last_mail("lea@example.org", "inscription/confirmer/"))
    page.get_by_role("button", name="Je confirme mon inscription").click()
    expect(page.get_by_text("Sur liste d'attente")).to_be_visible()
    expect(page.get_by_text("position 1")).to_be_visible()
    assert_accessible(page)
    lea_page = page.url

    # Paul cancels through the link of his e-mail.
    page.goto(path_in_last_mail("paul@example.org", "inscription/") + "annuler/")
    assert_accessible(page)
    page.get_by_role("button", name="Oui, j'annule mon inscription").click()
    expect(page.get_by_text("Votre inscription est annulée.")).to_be_visible()
    first.refresh_from_db()
    assert first.status == Registration.Status.CANCELLED

    promoted = [m for m in mail.outbox if m.to == ["lea@example.org"] and "place s'est libérée" in m.subject]
    assert promoted and promoted[0].attachments
    page.goto(lea_page)
    expect(page.get_by_text("Confirmée")).to_be_visible()


@pytest.mark.parametrize("width", [768, 390])
def test_check_in_at_the_door_by_name_search(page, width):
    page.set_viewport_size({"width": width, "height": 900})
    event = EventFactory(title="Rencontre des Trois Cités", capacity=10)
    for name in ["Léa Martin", "Paul Durand", "Inès Moreau"]:
        services.registration_confirm(
            registration=services.registration_create(
                event=event, name=name, email=name.split()[0].lower() + "@example.org"
            )
        )
    staff = BranchRoleFactory(branch=event.branch).user
    login(page, staff.email)
    page.goto(event.get_absolute_url())
    page.get_by_role("link", name="Accueil (pointage des présents)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Accueil")
    assert_accessible(page)
    page.get_by_label("Rechercher un nom, une structure ou une adresse e-mail").fill("ines")
    expect(page.get_by_text("Paul Durand")).to_be_hidden()
    expect(page.get_by_text("Inès Moreau")).to_be_visible()
    button = page.get_by_role("button", name="Présent : Inès Moreau")
    box = button.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    button.click()
    expect(page.get_by_text("Présent ✓")).to_be_visible()
    # The counter above the list follows the check-in (swapped out of band with the row).
    expect(page.locator("#checkin-count")).to_have_text("1 présent sur 3 inscrits confirmés")
    assert_accessible(page)
    ines = event.registrations.get(name="Inès Moreau")
    assert ines.status == Registration.Status.ATTENDED

    # The QR code of another person, opened by the organiser, checks them in.
    lea = event.registrations.get(name="Léa Martin")
    page.goto(f"/rencontres/presence/{tokens.make_token(lea.pk, 'checkin')}/")
    expect(page.get_by_text("Présence de Léa Martin enregistrée.")).to_be_visible()
    lea.refresh_from_db()
    assert lea.status == Registration.Status.ATTENDED


def test_event_form_is_accessible(page):
    event = EventFactory(title="Atelier numérique", kind="workshop")
    staff = BranchRoleFactory(branch=event.branch).user
    login(page, staff.email)
    page.goto(f"/rencontres/{event.slug}/modifier/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Modifier la rencontre")
    assert_accessible(page)
    page.get_by_label("Nombre de places").fill("0")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page)


def test_register_with_an_account_is_confirmed_at_once_for_the_member_organisation(page):
    from tests.factories import MembershipFactory

    event = EventFactory(title="Rencontre associations-entreprises", capacity=10)
    membership = MembershipFactory(organisation__name="EHPAD Les Tilleuls", organisation__branch=event.branch)
    login(page, membership.user.email)
    page.goto(event.get_absolute_url())
    page.get_by_role("button", name=re.compile("^S.inscrire")).click()
    # The form is prefilled from the account; the member picks their organisation.
    expect(page.get_by_label("Adresse e-mail")).to_have_value(membership.user.email)
    assert_accessible(page)
    page.get_by_role("button", name="Valider mon inscription").click()
    expect(page.get_by_text("Confirmée")).to_be_visible()
    assert_accessible(page)
    registration = event.registrations.get()
    assert registration.status == Registration.Status.CONFIRMED
    assert registration.user == membership.user
