"""The main forms at 1280 and 768 px: axe-core finds nothing serious, checkboxes and radio buttons are square
(Pico's markup, not stretched ovals), the header stays one row at tablet width, nothing scrolls sideways,
multiple choices use the accessible Tom Select widget. Screenshots go to /tmp/shots/C/ for a person to look at."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from terreau.partnerships import services as partnership_services
from terreau.programs.kits import kit_assemble
from tests.activities.test_activities_support import mission, participant, program_with_sites, session, team
from tests.browser.conftest import assert_accessible, login, open_menu
from tests.factories import (
    BranchRoleFactory,
    EventFactory,
    MembershipFactory,
    NeedOfferFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.programs.test_programs_support import make_items, make_program, people

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path("/tmp/shots/C")
WIDTHS = (1280, 768)
# One row of header: brand and "Menu" button (768 px) or brand and the whole menu (1280 px).
MAX_HEADER_HEIGHT = 90


def check_layout(page: Page, path: str, name: str) -> None:
    """Visit `path` at both widths and check what the issue asked for; save a screenshot of each."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        response = page.goto(path)
        assert response.status == 200, (path, response.status)
        page.wait_for_load_state("networkidle")
        assert_accessible(page)
        header = page.locator(".site-header").bounding_box()
        assert header["height"] < MAX_HEADER_HEIGHT, (path, width, header)
        boxes = page.eval_on_selector_all(
            "input[type=checkbox], input[type=radio]",
            "els => els.filter(e => e.offsetParent !== null).map(e => {"
            " const r = e.getBoundingClientRect(); return [e.name, r.width, r.height]; })",
        )
        for field, w, h in boxes:
            assert w > 10 and abs(w - h) <= 1.5, f"{path} at {width} px: {field} is {w:.1f}×{h:.1f}"
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} scrolls sideways at {width} px by {overflow} px"
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


@pytest.fixture
def branch_world():
    facilitator_role = BranchRoleFactory()
    branch = facilitator_role.branch
    organisation = OrganisationFactory(branch=branch, name="Association des aidants")
    member = MembershipFactory(organisation=organisation, role="admin").user
    need = NeedOfferFactory(organisation=organisation, title="Une salle pour les ateliers")
    event = EventFactory(branch=branch, title="Rencontre associations-entreprises")
    return {
        "facilitator": facilitator_role.user,
        "organisation": organisation,
        "member": member,
        "need": need,
        "event": event,
        "branch": branch,
    }


def test_login_page(page):
    check_layout(page, "/comptes/connexion/", "login")


def test_directory_forms_of_a_facilitator(page, branch_world):
    login(page, branch_world["facilitator"].email)
    slug = branch_world["organisation"].slug
    check_layout(page, f"/organisations/{slug}/modifier/", "organisation-edit")
    check_layout(page, f"/organisations/{slug}/besoins-ressources/ajouter/", "need-offer-add")
    check_layout(page, f"/besoins-ressources/{branch_world['need'].pk}/modifier/", "need-offer-edit")
    check_layout(page, "/importer/", "import")
    check_layout(page, "/comptes/equipe/", "team")


def test_event_form_with_multiple_choices(page, branch_world):
    login(page, branch_world["facilitator"].email)
    check_layout(page, "/rencontres/nouvelle/", "event-new")
    check_layout(page, f"/rencontres/{branch_world['event'].slug}/modifier/", "event-edit")
    # Themes, organisers and partnerships: Tom Select, usable from the keyboard, still axe-clean when open.
    page.set_viewport_size({"width": 768, "height": 900})
    for label in ("Thèmes", "Organisateurs", "Partenariats et groupes de travail liés"):
        expect(page.get_by_role("combobox", name=label)).to_be_visible()
    organisers = page.get_by_role("combobox", name="Organisateurs")
    organisers.focus()
    organisers.press("ArrowDown")
    expect(page.get_by_role("listbox").first).to_be_visible()
    assert_accessible(page)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    chosen = page.locator("#id_organisers option:checked")
    expect(chosen).to_have_count(1)
    page.screenshot(path=str(SHOTS / "event-multiselect-768.png"), full_page=False)


def test_partnership_request_answer(page, branch_world):
    recipient = branch_world["organisation"]
    sender = OrganisationFactory(branch=branch_world["branch"], name="Entreprise solidaire")
    sender_member = MembershipFactory(organisation=sender, role="admin").user
    partnership_services.contact_request_create(
        sender=sender,
        recipient=recipient,
        need=branch_world["need"],
        offer=None,
        message="Nous avons une salle libre le mardi.",
        reasons=["Même commune"],
        by=sender_member,
    )
    login(page, branch_world["member"].email)
    check_layout(page, "/partenariats/", "partnership-inbox")


def test_program_forms_of_a_coordinator(page):
    program, site_a, _site_b, kit_model = make_program()
    users = people(program, site_a)
    items = make_items(program)
    kit_assemble(kit_model=kit_model, items=items, code="SG-01", by=users["coordinator"])
    login(page, users["coordinator"].email)
    base = f"/programmes/{program.slug}"
    check_layout(page, f"{base}/", "program")
    check_layout(page, f"{base}/modifier/", "program-edit")
    check_layout(page, f"{base}/sites/{site_a.pk}/modifier/", "site-edit")
    check_layout(page, f"{base}/materiel/kits/", "kits")
    check_layout(page, f"{base}/materiel/ajouter/", "item-add")
    check_layout(page, f"{base}/equipe/", "program-team")


def test_session_report_of_a_volunteer(page):
    program, site_a, site_b = program_with_sites()
    users = team(program, site_a, site_b)
    volunteer = users["staff_b"]
    m = mission(program, user=volunteer, sites=[site_a])
    s = session(site_a, day=date(2025, 2, 4))
    s.volunteers.add(m)
    participant(site_a, "Odette")
    login(page, volunteer.email)
    check_layout(page, f"/programmes/{program.slug}/seances/{s.pk}/compte-rendu/", "session-report")
    check_layout(page, f"/programmes/{program.slug}/seances/", "sessions-tabs")


def test_header_menu_folds_at_tablet_width(page):
    user = UserFactory()
    login(page, user.email)
    page.set_viewport_size({"width": 768, "height": 900})
    page.goto("/comptes/mon-espace/")
    toggle = page.get_by_role("button", name="Menu", exact=True)
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("link", name="Annuaire")).to_be_hidden()
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("link", name="Annuaire")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=str(SHOTS / "menu-open-768.png"))
    page.get_by_role("link", name="Annuaire").focus()
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    open_menu(page)
    expect(page.get_by_role("link", name="Mon espace")).to_be_visible()
    # At 1280 px the whole menu is one row beside the brand, without the button.
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(toggle).to_be_hidden()
    expect(page.get_by_role("link", name="Annuaire")).to_be_visible()
    assert page.locator(".site-header").bounding_box()["height"] < MAX_HEADER_HEIGHT
