"""The partnership journey (issue 11, "Must show"), as the roles that live it, at 1280 and 768 px: a company's
member proposes a contact to an association from its complementarities, the association's member accepts with
an answer, both sides work in the partnership's space (contacts, thread with e-mail, stage, next steps), each
follows its own pipeline and the facilitator follows and corrects the stage."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import override
from playwright.sync_api import Page, expect

from terreau.directory.models import Direction
from terreau.matching import services as matching
from terreau.partnerships.models import ContactRequest, Partnership, PartnershipStep
from tests.browser.conftest import assert_accessible_at_both_widths, login
from tests.factories import (
    BranchFactory,
    BranchRoleFactory,
    MembershipFactory,
    NeedOfferFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path("/tmp/shots/A")
WIDTHS = [
    768
]  # one run per journey; every page is axe-checked at 1280 and 768 px (assert_accessible_at_both_widths)
INTERNAL_CODES = re.compile(r"\b(contact_request|agreement|discussion|active|ended|giving)\b")


@pytest.fixture(autouse=True)
def _cold_index():
    matching.reset_index()
    yield
    matching.reset_index()


@pytest.fixture
def outbox(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    return mail.outbox


def open_menu_link(page: Page, name: str) -> None:
    """Follow a link of the main navigation, unfolding the menu first where it is folded (narrow screens)."""
    toggle = page.locator("button.menu-toggle")
    if toggle.count() and toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name=name).click()
    page.wait_for_load_state()


def step(page: Page, width: int, name: str) -> None:
    """Every page of the journey: axe-clean, no internal code on screen, and a screenshot to look at."""
    page.wait_for_load_state()
    assert_accessible_at_both_widths(page)
    text = page.locator("main").inner_text()
    assert not INTERNAL_CODES.search(text), INTERNAL_CODES.search(text)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"partenariat-{width}-{name}.png"), full_page=True)


def switch(page: Page, email: str) -> None:
    page.context.clear_cookies()
    login(page, email)


@pytest.mark.parametrize("width", WIDTHS)
def test_partnership_from_request_to_agreed_next_steps(page, width, outbox):
    page.set_viewport_size({"width": width, "height": 900})
    page.set_default_timeout(30_000)  # the machine is shared: be patient, not flaky
    branch = BranchFactory(name="Poitou-Charentes")
    asso = OrganisationFactory(
        branch=branch,
        name="Les Aînés Connectés",
        email="contact@aines-connectes.example.org",
        phone="05 49 11 22 33",
    )
    company = OrganisationFactory(
        branch=branch,
        company=True,
        name="Recyclerie Numérique",
        website="https://recyclerie-numerique.example.com",
        phone="05 49 44 55 66",
    )
    NeedOfferFactory(organisation=asso, title="Tablettes pour des ateliers numériques avec les seniors")
    NeedOfferFactory(
        organisation=company, direction=Direction.OFFER, title="Dons de tablettes reconditionnées"
    )
    giver = MembershipFactory(organisation=company, user__first_name="Léa", user__last_name="Giraud").user
    taker = MembershipFactory(organisation=asso, user__first_name="Marc", user__last_name="Roux").user
    facilitator = BranchRoleFactory(branch=branch, user__first_name="Inès", user__last_name="Dupuis").user
    with override("fr"):
        this_month = date_format(timezone.localdate(), "F Y")  # e.g. "décembre 2026"
        due = timezone.localdate() + timedelta(days=20)
        due_shown = date_format(due, "j F Y")

    # 1. The company's member finds the association in its complementarities and proposes a contact.
    login(page, giver.email)
    open_menu_link(page, "Complémentarités")
    card = page.locator("article.suggestion", has_text="Les Aînés Connectés")
    expect(card).to_be_visible()
    assert card.get_by_text("Proposer un contact").count() == 1  # one contact action per partner
    step(page, width, "01-complementarites")
    card.get_by_text("Proposer un contact").click()
    card.get_by_label("Votre message (facultatif)").fill(
        "Bonjour, nous pouvons vous donner vingt tablettes reconditionnées."
    )
    step(page, width, "02-proposition")
    card.get_by_role("button", name="Envoyer la proposition").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Votre proposition a été envoyée aux Aînés Connectés.")).to_be_visible()
    request = ContactRequest.objects.get()
    assert request.sender == company and request.recipient == asso

    # 2. The association's member sees it in its inbox and accepts it with an answer.
    switch(page, taker.email)
    page.goto("/partenariats/")
    received = page.locator("article.contact-request", has_text="Recyclerie Numérique").first
    expect(received.get_by_text("vingt tablettes reconditionnées")).to_be_visible()
    expect(received).to_contain_text("Recyclerie Numérique propose un contact aux Aînés Connectés")
    step(page, width, "03-boite-association")
    received.get_by_label("Réponse (facultatif)").fill("Avec plaisir ! Nos ateliers reprennent en janvier.")
    received.get_by_role("button", name="Accepter").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Mise en relation acceptée")).to_be_visible()
    partnership = Partnership.objects.get(contact_request=request)
    page.get_by_role("link", name="Ouvrir l'espace du partenariat").first.click()
    page.wait_for_load_state()

    # 3. The association's side: the company's contacts, the thread opened by the request and the answer.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Les Aînés Connectés")
    contacts = page.locator("article.partner-contact", has_text="Recyclerie Numérique")
    expect(contacts.get_by_role("link", name="https://recyclerie-numerique.example.com")).to_be_visible()
    expect(contacts.get_by_text("05 49 44 55 66")).to_be_visible()
    thread = page.locator("article.partnership-message")
    expect(thread).to_have_count(2)
    expect(thread.nth(0)).to_contain_text("vingt tablettes reconditionnées")
    expect(thread.nth(1)).to_contain_text("Nos ateliers reprennent en janvier")
    step(page, width, "04-espace-association")

    # It writes in the thread: the company's member gets an e-mail.
    before = len(mail.outbox)
    page.get_by_label("Votre message").fill("Pouvons-nous nous voir mardi pour en parler ?")
    page.get_by_role("button", name="Envoyer", exact=True).click()
    page.wait_for_load_state()
    expect(page.get_by_text("Message envoyé.")).to_be_visible()
    expect(thread.nth(2)).to_contain_text("Pouvons-nous nous voir mardi")
    sent = mail.outbox[before:]
    assert [m.to for m in sent] == [[giver.email]]
    assert "Pouvons-nous nous voir mardi" in sent[0].body
    assert f"/partenariats/{partnership.pk}/" in sent[0].body

    # It moves the stage to "Discussion" (proposed first: the step forward, not a step back): French label,
    # French history with the month.
    expect(page.get_by_label("Nouvelle étape")).to_have_value("discussion")
    page.get_by_label("Nouvelle étape").select_option(label="Discussion")
    page.get_by_label("Commentaire").fill("Premier rendez-vous fixé")
    page.get_by_role("button", name="Changer d'étape").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Étape mise à jour : Discussion.")).to_be_visible()
    history = page.locator("section[aria-labelledby=historique]")
    expect(history).to_contain_text("Prise de contact → Discussion")
    expect(history).to_contain_text(this_month)
    expect(history).to_contain_text("Premier rendez-vous fixé")

    # It adds a next step owned by the company's member, due in three weeks.
    steps = page.locator("section[aria-labelledby=prochaines]")
    steps.get_by_label("Action").fill("Livrer les tablettes à l'EHPAD")
    steps.get_by_label("Responsable").select_option(label="Léa Giraud")
    steps.get_by_label("Échéance").fill(due.isoformat())
    steps.get_by_role("button", name="Ajouter").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Prochaine étape ajoutée.")).to_be_visible()
    row = steps.get_by_role("row", name=re.compile("Livrer les tablettes"))
    expect(row).to_contain_text("Léa Giraud")
    expect(row).to_contain_text(due_shown)
    step(page, width, "05-espace-association-etapes")

    # 4. The company's side: the association's contacts, the whole thread; it marks the step done and
    # moves the stage to "Accord".
    switch(page, giver.email)
    page.goto(f"/partenariats/{partnership.pk}/")
    contacts = page.locator("article.partner-contact", has_text="Les Aînés Connectés")
    expect(contacts.get_by_role("link", name="contact@aines-connectes.example.org")).to_be_visible()
    expect(page.locator("article.partnership-message")).to_have_count(3)
    row = page.locator("section[aria-labelledby=prochaines]").get_by_role(
        "row", name=re.compile("Livrer les tablettes")
    )
    row.get_by_role("button", name="Marquer comme faite").click()
    page.wait_for_load_state()
    row = page.locator("section[aria-labelledby=prochaines]").get_by_role(
        "row", name=re.compile("Livrer les tablettes")
    )
    expect(row).to_contain_text("Faite le")
    expect(page.get_by_text("Prochaine étape faite.")).to_be_visible()
    assert PartnershipStep.objects.get().done_at is not None
    page.get_by_label("Nouvelle étape").select_option(label="Accord")
    page.get_by_role("button", name="Changer d'étape").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Étape mise à jour : Accord.")).to_be_visible()
    step(page, width, "06-espace-entreprise")

    # Its own pipeline: no 403, its partnership at its stage.
    page.goto("/partenariats/suivi/")
    expect(page.get_by_role("heading", name="Mes partenariats", level=1)).to_be_visible()
    listed = page.get_by_role("row", name=re.compile(re.escape(partnership.title)))
    expect(listed).to_contain_text("Accord")
    step(page, width, "07-pipeline-entreprise")

    # The association's pipeline too.
    switch(page, taker.email)
    page.goto("/partenariats/suivi/")
    expect(page.get_by_role("heading", name="Mes partenariats", level=1)).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(re.escape(partnership.title)))).to_contain_text("Accord")

    # 5. The facilitator follows it on the board and corrects the stage (back to "Discussion").
    switch(page, facilitator.email)
    page.goto("/partenariats/suivi/")
    expect(page.get_by_role("heading", name="Suivi des partenariats", level=1)).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(re.escape(partnership.title)))).to_contain_text("Accord")
    step(page, width, "08-suivi-animatrice")
    page.get_by_role("link", name=partnership.title).click()
    page.wait_for_load_state()
    page.get_by_label("Nouvelle étape").select_option(label="Discussion")
    page.get_by_label("Commentaire").fill("Convention pas encore signée")
    page.get_by_role("button", name="Changer d'étape").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Étape mise à jour : Discussion.")).to_be_visible()
    history = page.locator("section[aria-labelledby=historique]")
    expect(history).to_contain_text("Accord → Discussion")
    expect(history).to_contain_text("Convention pas encore signée")
    step(page, width, "09-correction-animatrice")
    partnership.refresh_from_db()
    assert partnership.stage == Partnership.Stage.DISCUSSION
