"""The whole complementarity flow (issue 3, "Must show"): a member sees a suggestion and proposes a contact,
the other organisation's member accepts, a facilitator sees the partnership in the pipeline."""

import pytest

from terreau.directory.models import Direction
from terreau.matching import services
from terreau.matching.models import SuggestionFeedback
from terreau.partnerships.models import ContactRequest, Partnership
from tests.browser.conftest import assert_accessible, login, open_menu
from tests.factories import (
    BranchFactory,
    BranchRoleFactory,
    MembershipFactory,
    NeedOfferFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _cold_index():
    services.reset_index()
    yield
    services.reset_index()


def test_suggestion_to_partnership_in_the_pipeline(page):
    branch = BranchFactory(name="Poitou-Charentes")
    asso = OrganisationFactory(branch=branch, name="Les Aînés Connectés")
    giver = OrganisationFactory(branch=branch, company=True, name="Recyclerie Numérique")
    other = OrganisationFactory(branch=branch, company=True, name="Salles Partagées")
    NeedOfferFactory(organisation=asso, title="Tablettes pour des ateliers numériques avec les seniors")
    NeedOfferFactory(organisation=asso, type="locaux", title="Une salle pour les ateliers du mardi")
    NeedOfferFactory(organisation=giver, direction=Direction.OFFER, title="Dons de tablettes reconditionnées")
    NeedOfferFactory(
        organisation=other, direction=Direction.OFFER, type="locaux", title="Prêt de salles de réunion"
    )
    member = MembershipFactory(organisation=asso).user
    giver_member = MembershipFactory(organisation=giver).user
    facilitator = BranchRoleFactory(branch=branch).user

    # 1. A member of the association opens "Complémentarités" from the navigation.
    login(page, member.email)
    open_menu(page)
    page.get_by_role("link", name="Complémentarités").first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Complémentarités", exact=True).is_visible()
    card = page.locator("article.suggestion", has_text="Recyclerie Numérique")
    assert card.is_visible()
    assert card.get_by_text("Dons de tablettes reconditionnées").first.is_visible()
    assert_accessible(page)

    # "Pas pertinent" on the rooms suggestion: the pair disappears in place (htmx), the feedback is kept.
    rooms = page.locator("article.suggestion", has_text="Salles Partagées")
    rooms.get_by_text("Pas pertinent").click()
    rooms.get_by_label("Motif").select_option("too_far")
    rooms.get_by_role("button", name="Masquer cette suggestion").click()
    # Replaced in place (no page load): the status sits where the pair was, inside the card.
    rooms.get_by_role("status").filter(has_text="Suggestion masquée").wait_for()
    assert SuggestionFeedback.objects.filter(partner=other, reason="too_far").exists()

    # 2. It proposes a contact to the company about the tablets.
    # One contact action per partner: its message form opens on demand.
    card.get_by_text("Proposer un contact").click()
    card.get_by_label("Votre message (facultatif)").fill("Bonjour, nos résidents seraient ravis !")
    card.get_by_role("button", name="Envoyer la proposition").click()
    page.wait_for_load_state()
    assert page.get_by_text("Votre proposition a été envoyée à Recyclerie Numérique").is_visible()
    request = ContactRequest.objects.get()
    assert request.reasons and any("tablette" in r for r in request.reasons)
    page.reload()
    assert page.get_by_text("Salles Partagées").count() == 0  # dismissed pairs stay hidden

    # 3. The company's member reads the proposal with its reasons and accepts it.
    page.context.clear_cookies()
    login(page, giver_member.email)
    page.goto("/partenariats/")
    received = page.locator("article.contact-request", has_text="Les Aînés Connectés").first
    assert received.get_by_text("Tablettes pour des ateliers numériques avec les seniors").is_visible()
    assert_accessible(page)
    received.get_by_role("button", name="Accepter").click()
    page.wait_for_load_state()
    assert Partnership.objects.filter(contact_request=request).exists()

    # 4. The facilitator sees the partnership in the pipeline, and the territory's alliances.
    page.context.clear_cookies()
    login(page, facilitator.email)
    page.goto("/partenariats/suivi/")
    assert page.get_by_text("Les Aînés Connectés × Recyclerie Numérique").first.is_visible()
    assert_accessible(page)
    page.goto(f"/complementarites/antenne/{branch.slug}/")
    assert page.get_by_role("heading", name="Les alliances potentielles les plus fortes").is_visible()
    assert_accessible(page)
