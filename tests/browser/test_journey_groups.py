"""From the published diagnosis to the launched program (issue 13, "Must show"), at 1280 and 768 px, axe-clean
on every page: the facilitator forms two working groups on the chosen key issues; one member organisation asks
to join, the group's lead accepts it and the facilitator adds a third one with its role; members say what they
bring; the facilitator merges the groups with a reason (the result shows where everything came from, the old
group's address leads to it); the lead writes the charter (partners and roles, budget), submits it; each partner
approves it through one of its members (a member of a group that is not a partner cannot, and is told so in
French); the facilitator launches the program, whose page traces it back to the diagnosis.

The diagnosis itself is built through the services (tests/browser/test_journey_diagnosis.py drives it in the
browser); one journey at 1280 px, each page axe-checked at 1280 and 768 px, people signing in one after the other."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from terreau.alliances import services
from terreau.alliances.charter_models import Charter, CharterVersion
from terreau.alliances.group_models import WorkingGroup
from terreau.alliances.models import Diagnosis, KeyIssue
from terreau.programs.models import ProgramPartner
from terreau.territories.models import Department
from tests.browser.conftest import assert_accessible_at_both_widths, login
from tests.factories import (
    BranchFactory,
    BranchRoleFactory,
    CommuneFactory,
    MembershipFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path("/tmp/shots/groupes")
WIDTHS = [
    1280
]  # one run per journey; every page is axe-checked at 1280 and 768 px (assert_accessible_at_both_widths)
INTERNAL_CODES = re.compile(
    r"\b(active|merged|closed|lead|member|draft|submitted|approved|superseded|pilot|funder|host|"
    r"skills_volunteering|skills_sponsorship|equipment|premises|seniors)\b"
)
TITLE = "Bien vieillir en Vienne"


def step(page: Page, width: int, name: str) -> None:
    page.wait_for_load_state()
    assert_accessible_at_both_widths(page)
    text = page.locator("main").inner_text()
    assert not INTERNAL_CODES.search(text), INTERNAL_CODES.search(text)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"groupes-{width}-{name}.png"), full_page=True)


def sign_in(page: Page, user) -> None:
    page.context.clear_cookies()
    login(page, user.email)


def menu_link(page: Page, name: str) -> None:
    toggle = page.locator("button.menu-toggle")
    if toggle.count() and toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name=name).click()
    page.wait_for_load_state()


def click(page: Page, role: str, name: str, scope=None) -> None:
    (scope or page).get_by_role(role, name=name, exact=True).click()
    page.wait_for_load_state()


def published_diagnosis(branch, facilitator) -> Diagnosis:
    """A diagnosis of the Vienne, consulted, ranked and published with two chosen key issues out of three."""
    diagnosis = services.diagnosis_save(
        diagnosis=Diagnosis(
            branch=branch,
            title=TITLE,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 12, 31),
        ),
        by=facilitator,
        departments=[Department.objects.get(code="86")],
    )
    services.diagnosis_move(diagnosis=diagnosis, to=Diagnosis.State.CONSULTATION, by=facilitator)
    issues = [
        services.key_issue_save(
            key_issue=KeyIssue(
                diagnosis=diagnosis, title=title, description=f"Ce que disent les acteurs : {title}."
            ),
            by=facilitator,
        )
        for title in ("Bien vieillir", "Accès au numérique", "Emploi des jeunes")
    ]
    services.diagnosis_move(diagnosis=diagnosis, to=Diagnosis.State.ANALYSIS, by=facilitator)
    services.key_issues_choose(diagnosis=diagnosis, by=facilitator, chosen=issues[:2])
    return services.diagnosis_publish(diagnosis=diagnosis, by=facilitator)


def create_group(page: Page, width: int, *, name: str, issue: str, lead: str, shot: str = "") -> None:
    page.get_by_label("Antenne").select_option(label="Antenne Vienne")
    page.get_by_label("Nom du groupe").fill(name)
    page.get_by_label("Objet").fill(f"Agir ensemble : {issue.lower()}.")
    page.get_by_role("group", name="Enjeux clés").get_by_label(f"{issue} ({TITLE})").check()
    page.get_by_label("Structure pilote").select_option(label=lead)
    page.get_by_label("Ouvert aux demandes d'adhésion", exact=False).check()
    if shot:
        step(page, width, shot)
    click(page, "button", "Enregistrer")
    expect(page.get_by_text("Groupe de travail créé.")).to_be_visible()


@pytest.mark.parametrize("width", WIDTHS)
def test_from_key_issues_to_the_launched_program(page, width, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    page.set_viewport_size({"width": width, "height": 900})
    page.set_default_timeout(30_000)  # the machine is shared: be patient, not flaky
    CommuneFactory()  # Poitiers, Vienne
    branch = BranchFactory(name="Antenne Vienne")
    facilitator = BranchRoleFactory(branch=branch, user__first_name="Inès", user__last_name="Dupuis").user
    aines = OrganisationFactory(branch=branch, name="Les Aînés Connectés")
    recyclerie = OrganisationFactory(branch=branch, name="Recyclerie Numérique", company=True)
    club = OrganisationFactory(branch=branch, name="Club Numérique du Clain")
    marc = MembershipFactory(organisation=aines, user__first_name="Marc", user__last_name="Roux").user
    lea = MembershipFactory(organisation=recyclerie, user__first_name="Léa", user__last_name="Giraud").user
    paul = MembershipFactory(organisation=club, user__first_name="Paul", user__last_name="Texier").user
    diagnosis = published_diagnosis(branch, facilitator)

    # 1. The facilitator forms two groups from the published diagnosis, and adds the club to the second.
    sign_in(page, facilitator)
    menu_link(page, "Diagnostics")
    click(page, "link", TITLE)
    page.get_by_role("navigation", name="Parties du diagnostic").get_by_role(
        "link", name="Publication"
    ).click()
    page.wait_for_load_state()
    step(page, width, "01-diagnostic-publie")
    click(page, "button", "Former un groupe de travail sur ces enjeux")
    create_group(
        page,
        width,
        name="Bien vieillir ensemble",
        issue="Bien vieillir",
        lead="Les Aînés Connectés",
        shot="02-creation",
    )
    ageing = WorkingGroup.objects.get(name="Bien vieillir ensemble")
    step(page, width, "03-groupe")
    page.goto(f"/alliances/diagnostics/{diagnosis.pk}/publication/")
    click(page, "button", "Former un groupe de travail sur ces enjeux")
    create_group(
        page, width, name="Numérique pour tous", issue="Accès au numérique", lead="Recyclerie Numérique"
    )
    digital = WorkingGroup.objects.get(name="Numérique pour tous")
    adding = page.get_by_role("group", name="Ajouter une structure")
    adding.get_by_label("Structure").select_option(label="Club Numérique du Clain")
    adding.get_by_label("Rôle").select_option(label="Membre")
    page.locator(f"form[action$='/groupes/{digital.pk}/membres/']").get_by_role(
        "button", name="Ajouter"
    ).click()
    page.wait_for_load_state()
    expect(page.get_by_text("Membre ajouté.")).to_be_visible()
    members = page.get_by_role("region", name="Membres")
    expect(members.get_by_role("row", name=re.compile("Club Numérique du Clain"))).to_contain_text("Membre")
    expect(members.get_by_role("row", name=re.compile("Recyclerie Numérique"))).to_contain_text("Pilote")
    step(page, width, "04-membres")

    # 2. The Recyclerie asks to join the first group, from its member's space.
    sign_in(page, lea)
    menu_link(page, "Mon espace")
    expect(page.get_by_role("heading", name="Mes groupes de travail")).to_be_visible()
    expect(page.get_by_role("link", name="Numérique pour tous")).to_be_visible()
    step(page, width, "05-mon-espace")
    click(page, "link", "Voir les groupes de travail ouverts")
    step(page, width, "06-groupes-ouverts")
    click(page, "link", "Bien vieillir ensemble")
    page.get_by_label("Au nom de").select_option(label="Recyclerie Numérique")
    page.get_by_label("Message").fill("Nous reconditionnons des tablettes pour les aînés.")
    step(page, width, "07-demande")
    click(page, "button", "Demander à rejoindre le groupe")
    expect(page.get_by_text("Votre demande a été transmise aux pilotes du groupe.")).to_be_visible()
    expect(page.get_by_text("Demande de Recyclerie Numérique : En attente.")).to_be_visible()

    # 3. The lead accepts it and says what its organisation brings.
    sign_in(page, marc)
    menu_link(page, "Mon espace")
    click(page, "link", "Bien vieillir ensemble")
    expect(page.get_by_text("« Nous reconditionnons des tablettes pour les aînés. »")).to_be_visible()
    step(page, width, "08-demande-recue")
    click(page, "button", "Accepter")
    expect(page.get_by_text("Réponse enregistrée.")).to_be_visible()
    members = page.get_by_role("region", name="Membres")
    expect(members.get_by_role("row", name=re.compile("Recyclerie Numérique"))).to_contain_text("Membre")
    pledge = page.get_by_role("group", name="Indiquer un apport de votre structure")
    pledge.get_by_label("Structure").select_option(label="Les Aînés Connectés")
    pledge.get_by_label("Nature de l'apport").select_option(label="Bénévolat de compétences")
    pledge.get_by_label("Description").fill("Deux bénévoles animent les ateliers chaque mardi.")
    page.locator(f"form[action$='/groupes/{ageing.pk}/apports/']").get_by_role(
        "button", name="Enregistrer"
    ).click()
    page.wait_for_load_state()
    expect(page.get_by_text("Apport enregistré.")).to_be_visible()
    step(page, width, "09-apport")

    # 4. The facilitator merges the second group into the first, with a reason.
    sign_in(page, facilitator)
    menu_link(page, "Diagnostics")
    click(page, "button", "Groupes de travail")
    click(page, "button", "Fusionner des groupes")
    sources = page.get_by_role("group", name="Groupes à fusionner")
    sources.get_by_label("Numérique pour tous").check()
    page.get_by_label("Dans le groupe existant").select_option(label="Bien vieillir ensemble")
    page.get_by_label("Raison de la fusion").fill("Les mêmes structures, le même public : un seul collectif.")
    step(page, width, "10-fusion")
    click(page, "button", "Fusionner")
    expect(page.get_by_text("Groupes fusionnés dans « Bien vieillir ensemble ».")).to_be_visible()
    assert page.url.split("#")[0].endswith(f"/alliances/groupes/{ageing.pk}/")
    # Provenance: the club's membership and the key issue came from the merged group; the reason is kept.
    members = page.get_by_role("region", name="Membres")
    expect(members.get_by_role("row", name=re.compile("Club Numérique du Clain"))).to_contain_text(
        "venu de « Numérique pour tous »"
    )
    expect(page.locator("section[aria-labelledby=enjeux]")).to_contain_text("Accès au numérique")
    expect(page.locator("section[aria-labelledby=enjeux]")).to_contain_text("venu de « Numérique pour tous »")
    history = page.locator("section[aria-labelledby=historique]")
    expect(history).to_contain_text("Fusion de « Numérique pour tous » dans ce groupe")
    expect(history).to_contain_text("Les mêmes structures, le même public : un seul collectif.")
    step(page, width, "11-groupe-fusionne")
    page.goto(f"/alliances/groupes/{digital.pk}/")
    page.wait_for_load_state()
    assert page.url.endswith(f"/alliances/groupes/{ageing.pk}/")
    expect(
        page.get_by_text(
            "Le groupe « Numérique pour tous » a été fusionné dans « Bien vieillir ensemble » : voici ce groupe."
        )
    ).to_be_visible()
    step(page, width, "12-ancienne-adresse")

    # 5. The lead writes the charter, submits it and approves it for its organisation.
    sign_in(page, marc)
    page.goto(f"/alliances/groupes/{ageing.pk}/")
    page.get_by_label("Titre du projet collectif").fill("Ateliers numériques des aînés de la Vienne")
    click(page, "button", "Écrire la charte du collectif")
    expect(page.get_by_text("Charte créée : rédigez sa première version.")).to_be_visible()
    page.get_by_label("Objet du projet collectif").fill(
        "Des ateliers hebdomadaires pour que les aînés isolés gardent le lien et fassent leurs démarches."
    )
    page.get_by_label("Personnes âgées").check()
    page.get_by_label("Personnes isolées").check()
    page.get_by_role("group", name="Enjeux clés traités").get_by_label("Bien vieillir").check()
    page.get_by_role("group", name="Enjeux clés traités").get_by_label("Accès au numérique").check()
    for n, org, roles in (
        (1, "Les Aînés Connectés", ("Pilotage", "Structure d'accueil")),
        (2, "Recyclerie Numérique", ("Kits et matériel", "Financeur")),
    ):
        row = page.get_by_role("group", name=f"Partenaire {n}", exact=True)
        row.get_by_label("Partenaire", exact=True).select_option(label=org)
        for role in roles:
            row.get_by_label(role, exact=True).check()
    for n, label, amount, source in (
        (1, "Tablettes reconditionnées", "4 500", "Recyclerie Numérique"),
        (2, "Animation des ateliers", "12 000,50", "Conférence des financeurs"),
    ):
        line = page.get_by_role("group", name=f"Ligne {n}", exact=True)
        line.get_by_label("Poste").fill(label)
        line.get_by_label("Montant (€)").fill(amount)
        line.get_by_label("Financé par").fill(source)
    page.get_by_label("Gouvernance").fill("Un comité de pilotage chaque trimestre.")
    page.get_by_label("Démarrage prévu").fill("2027-01-11")
    step(page, width, "13-charte-redaction")
    click(page, "button", "Enregistrer le brouillon")
    expect(page.get_by_text("Version 1 enregistrée.")).to_be_visible()
    expect(page.get_by_text("Tablettes reconditionnées : 4\u00a0500,00 €", exact=False)).to_be_visible()
    step(page, width, "14-charte-brouillon")
    click(page, "button", "Soumettre à l'approbation des partenaires")
    expect(page.get_by_text("Version soumise à l'approbation des partenaires.")).to_be_visible()
    click(page, "button", "Approuver la version 1 au nom de Les Aînés Connectés")
    expect(page.get_by_text("Approbation enregistrée au nom de « Les Aînés Connectés ».")).to_be_visible()
    partners = page.get_by_role("region", name="Partenaires")
    expect(partners.get_by_role("row", name=re.compile("Les Aînés Connectés"))).to_contain_text(
        "approuvée par Marc Roux"
    )
    expect(partners.get_by_role("row", name=re.compile("Recyclerie Numérique"))).to_contain_text("en attente")
    step(page, width, "15-charte-soumise")
    charter_path = f"/alliances/chartes/{Charter.objects.get().pk}/"
    assert page.url.endswith(charter_path)

    # 6. A member of the group who is not a partner cannot approve: no button, and a forged request is refused.
    sign_in(page, paul)
    menu_link(page, "Mon espace")
    click(page, "link", "Bien vieillir ensemble")
    click(page, "link", "Ateliers numériques des aînés de la Vienne")
    expect(page.get_by_role("button", name=re.compile("Approuver"))).to_have_count(0)
    expect(
        page.get_by_text("Votre structure n'est pas partenaire de cette version", exact=False)
    ).to_be_visible()
    step(page, width, "16-charte-non-partenaire")
    with page.expect_navigation():
        page.evaluate(
            """(org) => {
                const form = document.createElement('form');
                form.method = 'post';
                form.action = location.pathname + 'versions/1/approuver/';
                for (const [name, value] of [
                    ['csrfmiddlewaretoken', document.querySelector('input[name=csrfmiddlewaretoken]').value],
                    ['organisation', String(org)],
                ]) {
                    const input = document.createElement('input');
                    input.type = 'hidden'; input.name = name; input.value = value;
                    form.append(input);
                }
                document.body.append(form);
                form.submit();
            }""",
            club.pk,
        )
    expect(
        page.get_by_text(
            "« Club Numérique du Clain » n'est pas partenaire de cette version de la charte : "
            "elle ne peut pas l'approuver."
        )
    ).to_be_visible()

    # 7. The Recyclerie says what it brings and approves: the version is approved by every partner.
    sign_in(page, lea)
    page.goto(f"/alliances/groupes/{ageing.pk}/")
    pledge = page.get_by_role("group", name="Indiquer un apport de votre structure")
    expect(pledge.get_by_label("Structure")).to_have_value(str(recyclerie.pk))  # its only organisation
    pledge.get_by_label("Nature de l'apport").select_option(label="Matériel")
    pledge.get_by_label("Description").fill("Vingt tablettes reconditionnées, prêtes à l'emploi.")
    page.locator(f"form[action$='/groupes/{ageing.pk}/apports/']").get_by_role(
        "button", name="Enregistrer"
    ).click()
    page.wait_for_load_state()
    expect(page.locator("section[aria-labelledby=apports]")).to_contain_text(
        "Vingt tablettes reconditionnées"
    )
    expect(page.locator("section[aria-labelledby=apports]")).to_contain_text("Deux bénévoles animent")
    click(page, "link", "Ateliers numériques des aînés de la Vienne")
    assert page.url.endswith(charter_path)
    click(page, "button", "Approuver la version 1 au nom de Recyclerie Numérique")
    expect(page.get_by_text("Approbation enregistrée au nom de « Recyclerie Numérique ».")).to_be_visible()
    expect(page.get_by_text("version 1 (Approuvée)", exact=False)).to_be_visible()
    step(page, width, "17-charte-approuvee")
    assert CharterVersion.objects.get().state == CharterVersion.State.APPROVED

    # 8. The facilitator launches the program; its page traces it back to the diagnosis.
    sign_in(page, facilitator)
    page.goto(charter_path)
    click(page, "button", "Lancer le programme")
    expect(
        page.get_by_text(
            "Programme « Ateliers numériques des aînés de la Vienne » lancé avec ses partenaires."
        )
    ).to_be_visible()
    genesis = page.locator("section[aria-labelledby=lignee]")
    expect(genesis).to_contain_text(f"Diagnostic : {TITLE}")
    expect(genesis).to_contain_text("Bien vieillir")
    expect(genesis).to_contain_text("Accès au numérique")
    expect(genesis.get_by_role("link", name="Bien vieillir ensemble")).to_be_visible()
    expect(genesis).to_contain_text("Numérique pour tous (fusionné)")
    expect(genesis.get_by_role("link", name="Ateliers numériques des aînés de la Vienne")).to_have_count(2)
    expect(genesis.locator(f"a[href='{charter_path}']")).to_have_count(1)
    step(page, width, "18-programme")
    roles = {
        p.organisation.name: sorted(p.roles) for p in ProgramPartner.objects.select_related("organisation")
    }
    assert roles == {
        "Les Aînés Connectés": ["host", "pilot"],
        "Recyclerie Numérique": ["funder", "kits"],
    }
    # Back up the lineage to the diagnosis's public page, which now shows what came out of it.
    click(page, "link", TITLE, genesis)
    assert page.url.endswith(f"/alliances/diagnostics/{diagnosis.pk}/publie/")
    expect(page.get_by_role("heading", name="Enjeux clés retenus")).to_be_visible()
    suites = page.locator("section[aria-labelledby=suites]")
    expect(suites.get_by_role("link", name="Bien vieillir ensemble")).to_be_visible()
    expect(suites).to_contain_text("Numérique pour tous → fusionné dans « Bien vieillir ensemble »")
    expect(suites.get_by_role("link", name="Ateliers numériques des aînés de la Vienne")).to_have_count(2)
    step(page, width, "19-diagnostic-public")
    # And on the facilitator's side, the diagnosis leads to its groups.
    page.goto(f"/alliances/diagnostics/{diagnosis.pk}/publication/")
    expect(
        page.locator("section[aria-labelledby=suites]").get_by_role("link", name="Bien vieillir ensemble")
    ).to_be_visible()
    step(page, width, "20-diagnostic-suites")
