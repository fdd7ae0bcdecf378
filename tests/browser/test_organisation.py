"""A member edits a need of their organisation and follows its status; pages pass axe-core."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from terreau.directory.models import Membership
from tests.browser.conftest import assert_accessible, login
from tests.factories import MembershipFactory, NeedOfferFactory, OrganisationFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_member_edits_a_need_and_marks_it_in_discussion(page):
    membership = MembershipFactory(
        organisation__name="Centre socioculturel des Trois Cités",
        organisation__siren="732829320",
        organisation__private_notes="Note interne",
        user__first_name="Inès",
        user__last_name="Moreau",
    )
    organisation = membership.organisation
    need = NeedOfferFactory(organisation=organisation, title="Tablettes pour les ateliers", quantity=5)
    NeedOfferFactory(organisation=organisation, offer=True, title="Prêt de salle le samedi")

    login(page, membership.user.email)
    page.goto(organisation.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_contain_text("Centre socioculturel des Trois Cités")
    expect(page.get_by_role("heading", name="Besoins")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Modifier : Tablettes pour les ateliers").click()
    expect(page.get_by_role("heading", name="Modifier un besoin")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Titre").fill("Dix tablettes pour les ateliers")
    page.get_by_role("button", name="Enregistrer").click()

    expect(page.get_by_text("Les modifications ont été enregistrées.")).to_be_visible()
    card = page.locator(f"#bo-{need.pk}")
    expect(card.get_by_role("heading", name="Dix tablettes pour les ateliers")).to_be_visible()

    card.get_by_role("link", name=re.compile("^Modifier")).click()
    expect(page.get_by_text("Aucun changement de statut depuis la création")).to_be_visible()
    page.get_by_label("Commentaire sur le changement (facultatif)").fill("Premier échange avec Orange")
    page.get_by_role("button", name="Marquer comme en discussion").click()

    panel = page.locator("#statut")
    expect(panel.get_by_role("status")).to_contain_text("Statut modifié : En discussion.")
    history = panel.get_by_role("table")
    expect(history).to_contain_text("Ouvert → En discussion")
    expect(history).to_contain_text("Inès Moreau")
    expect(history).to_contain_text("Premier échange avec Orange")
    expect(panel.get_by_role("button", name="Marquer comme satisfait")).to_be_visible()
    expect(panel.get_by_role("button", name="Marquer comme en discussion")).to_have_count(0)
    assert_accessible(page)

    page.goto(organisation.get_absolute_url())
    expect(card.locator(".status")).to_have_text("En discussion")
    expect(card).to_contain_text("Dix tablettes pour les ateliers")


def test_organisation_edit_and_need_forms_are_accessible(page):
    membership = MembershipFactory(role=Membership.Role.ADMIN)
    organisation = membership.organisation
    login(page, membership.user.email)

    page.goto(f"/organisations/{organisation.slug}/modifier/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Modifier la fiche")
    assert_accessible(page)
    # Errors are announced and still accessible.
    page.get_by_label("SIREN").fill("123456789")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("alert")).to_contain_text("SIREN : Numéro SIREN invalide")
    expect(page.locator("#id_siren_error")).to_contain_text("Numéro SIREN invalide")
    expect(page.get_by_label("SIREN")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)

    page.goto(f"/organisations/{organisation.slug}/besoins-ressources/ajouter/?direction=offer")
    expect(page.get_by_role("heading", name="Ajouter une ressource")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Titre").fill("Prêt d'un minibus")
    page.get_by_label("Type").select_option("mobilite")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("La ressource « Prêt d'un minibus » a été ajoutée.")).to_be_visible()
    expect(page.get_by_role("heading", name="Prêt d'un minibus")).to_be_visible()

    page.goto(f"/organisations/{organisation.slug}/membres/")
    expect(page.get_by_role("heading", name="Ajouter un membre")).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize("width", [1280, 768])
def test_member_of_another_organisation_proposes_a_contact_from_the_page(page, width):
    recipient = OrganisationFactory(name="Centre socioculturel des Trois Cités")
    sender = MembershipFactory(organisation__name="Silver Geek Vienne", organisation__branch=recipient.branch)
    page.set_viewport_size({"width": width, "height": 900})

    page.goto(recipient.get_absolute_url())
    expect(page.get_by_role("button", name="Se connecter pour contacter")).to_be_visible()
    expect(page.get_by_text("Proposer une mise en relation")).to_have_count(0)

    login(page, sender.user.email)
    page.goto(recipient.get_absolute_url())
    page.get_by_text("Proposer une mise en relation").click()
    page.get_by_label("Votre message (facultatif)").fill("Nous cherchons un lieu pour nos ateliers.")
    assert_accessible(page)
    if Path("/tmp/shots/E").is_dir():
        page.screenshot(path=f"/tmp/shots/E/organisation-contact-{width}.png", full_page=True)
    page.get_by_role("button", name="Envoyer la proposition à Centre socioculturel des Trois Cités").click()

    expect(
        page.get_by_text("Votre proposition a été envoyée à Centre socioculturel des Trois Cités.")
    ).to_be_visible()
    expect(page).to_have_url(re.compile(re.escape(recipient.get_absolute_url()) + "$"))
