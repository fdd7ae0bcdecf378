"""The territorial diagnosis end to end in the browser (issue 13), at 1280 and 768 px, axe-clean on every page:
a facilitator creates a diagnosis (places typed by name and picked from suggestions) and opens its consultation; two organisations answer without an account by
the public link; indicators are uploaded (the labelled sample, through the import job's progress page) and shown on the department map; key issues are
drafted; both organisations rank them through their answer's link; the facilitator closes the consultation,
chooses the key issues and publishes; the public page and the PDF are reachable by anyone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from terreau.alliances.models import Ballot, ConsultationAnswer, Diagnosis
from terreau.territories.models import Commune, Department, Epci, Region
from tests.browser.conftest import assert_accessible_at_both_widths, login
from tests.factories import BranchFactory, BranchRoleFactory, OrganisationFactory

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path("/tmp/shots/diagnostic")
WIDTHS = [
    768
]  # one run per journey; every page is axe-checked at 1280 and 768 px (assert_accessible_at_both_widths)
SAMPLE = Path(__file__).resolve().parents[2] / "terreau" / "alliances" / "data" / "indicateurs-exemple.csv"
INTERNAL_CODES = re.compile(r"\b(draft|consultation_open|analysis|published|candidate|chosen|set_aside)\b")


def step(page: Page, width: int, name: str) -> None:
    page.wait_for_load_state()
    assert_accessible_at_both_widths(page)
    text = page.locator("main").inner_text()
    assert not INTERNAL_CODES.search(text), INTERNAL_CODES.search(text)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"diagnostic-{width}-{name}.png"), full_page=True)


def open_menu_link(page: Page, name: str) -> None:
    toggle = page.locator("button.menu-toggle")
    if toggle.count() and toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name=name).click()
    page.wait_for_load_state()


def tab(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Parties du diagnostic").get_by_role("link", name=name).click()
    page.wait_for_load_state()


def geography() -> None:
    region = Region.objects.get_or_create(code="75", defaults={"name": "Nouvelle-Aquitaine"})[0]
    for dep, name, commune, commune_name in (
        ("16", "Charente", "16015", "Angoulême"),
        ("17", "Charente-Maritime", "17300", "La Rochelle"),
        ("79", "Deux-Sèvres", "79191", "Niort"),
        ("86", "Vienne", "86194", "Poitiers"),
    ):
        department = Department.objects.get_or_create(code=dep, defaults={"name": name, "region": region})[0]
        Commune.objects.get_or_create(code=commune, defaults={"name": commune_name, "department": department})
    poitiers = Epci.objects.get_or_create(
        code="200069854", defaults={"name": "CU du Grand Poitiers", "kind": "CU", "population": 190000}
    )[0]
    Commune.objects.filter(code="86194").update(epci=poitiers)


def pick(page: Page, label: str, typed: str, suggestion: str) -> None:
    """Type the start of a place's name key by key, wait for the suggestion, then choose it. Headless Chromium
    draws no popup for a <datalist> (ArrowDown and Enter reach nothing), so choosing puts the suggestion's
    text in the field, as the browser does when one picks it."""
    field = page.get_by_role("combobox", name=label)
    field.press_sequentially(typed, delay=30)
    list_id = field.get_attribute("list")
    expect(page.locator(f"#{list_id} option[value='{suggestion}']")).to_have_count(1)
    field.fill(suggestion)
    expect(field).to_be_focused()


def answer_by_public_link(
    page: Page, link: str, organisation: str, person: str, width: int, shot: str
) -> str:
    page.context.clear_cookies()
    page.goto(link)
    page.get_by_label("Votre structure, si elle figure dans l'annuaire").select_option(label=organisation)
    page.get_by_label("Votre nom").fill(person)
    page.get_by_label("Votre adresse électronique").fill(f"{shot}@example.org")
    page.get_by_label("Bien vieillir").check()
    page.get_by_label("En quelques mots, les besoins que vous voyez").fill(
        "Des aînés isolés, éloignés des démarches en ligne."
    )
    page.get_by_label("Personnes âgées").check()
    page.get_by_label("Des compétences").check()
    step(page, width, shot)
    page.get_by_role("button", name="Envoyer ma réponse").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Merci, votre réponse est enregistrée.")).to_be_visible()
    return page.url


@pytest.mark.parametrize("width", WIDTHS)
def test_diagnosis_from_consultation_to_publication(page, width, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    page.set_viewport_size({"width": width, "height": 900})
    page.set_default_timeout(30_000)
    geography()
    branch = BranchFactory(name="Poitou-Charentes")
    facilitator = BranchRoleFactory(branch=branch, user__first_name="Inès", user__last_name="Dupuis").user
    OrganisationFactory(branch=branch, name="Les Aînés Connectés", commune_id="86194")
    OrganisationFactory(branch=branch, name="Recyclerie Numérique", company=True, commune_id="79191")

    # 1. The facilitator creates the diagnosis and opens its consultation.
    login(page, facilitator.email)
    open_menu_link(page, "Diagnostics")
    step(page, width, "01-liste")
    page.get_by_role("button", name="Nouveau diagnostic").click()
    page.get_by_label("Titre").fill("Bien vieillir en Poitou-Charentes")
    page.get_by_label("Début de la période").fill("2026-01-01")
    page.get_by_label("Fin de la période").fill("2026-12-31")
    # The territory: communes typed one a line by name, one commune and one EPCI picked from suggestions.
    page.get_by_label("Communes", exact=True).fill("La Rochelle\nNiort\nPoitiers")
    pick(page, "Ajouter une commune", "Angoul", "Angoulême (16)")
    pick(page, "Ajouter une intercommunalité", "grand poi", "CU du Grand Poitiers (200069854)")
    step(page, width, "02-creation")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Diagnostic créé.")).to_be_visible()
    diagnosis = Diagnosis.objects.get(title="Bien vieillir en Poitou-Charentes")
    assert set(diagnosis.communes.values_list("code", flat=True)) == {"16015", "17300", "79191", "86194"}
    assert list(diagnosis.epcis.values_list("code", flat=True)) == ["200069854"]
    expect(page.get_by_text("CU du Grand Poitiers")).to_be_visible()
    step(page, width, "03-territoire")
    page.get_by_role("button", name="Ouvrir la consultation").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Le diagnostic est désormais « Consultation ouverte ».")).to_be_visible()
    tab(page, "Consultation")
    step(page, width, "04-consultation")
    public_link = page.locator("main code").inner_text().strip()
    assert str(diagnosis.public_token) in public_link
    public_link = "/" + public_link.split("://", 1)[1].split("/", 1)[1]  # on the live server

    # 2. Two organisations answer without an account, by the public link.
    edit_a = answer_by_public_link(page, public_link, "Les Aînés Connectés", "Marc Roux", width, "05-reponse")
    step(page, width, "06-reponse-enregistree")
    edit_b = answer_by_public_link(
        page, public_link, "Recyclerie Numérique", "Léa Giraud", width, "05b-reponse"
    )
    assert ConsultationAnswer.objects.filter(diagnosis=diagnosis).count() == 2

    # 3. Indicators uploaded, shown on the map and in the tables.
    login(page, facilitator.email)
    page.goto(f"/alliances/diagnostics/{diagnosis.pk}/")
    tab(page, "Indicateurs")
    page.get_by_role("button", name="Importer un fichier d'indicateurs").click()
    page.get_by_label("Fichier CSV d'indicateurs").set_input_files(str(SAMPLE))
    step(page, width, "07-import")
    page.get_by_role("button", name="Importer").click()
    page.wait_for_load_state()
    # The import runs as a job (inline here): its progress page leads to the row-by-row report.
    expect(page.locator("#tracked-job")).to_contain_text("Traitement terminé.")
    step(page, width, "07b-traitement")
    page.get_by_role("button", name="Voir le résultat").click()
    page.wait_for_load_state()
    expect(page.get_by_text("17 lignes lues")).to_be_visible()
    step(page, width, "08-rapport")
    page.get_by_role("button", name="Voir les indicateurs du diagnostic").click()
    page.wait_for_load_state()
    expect(page.locator("svg.dept-map g.dept")).to_have_count(4)
    expect(page.get_by_role("rowheader", name="Deux-Sèvres (79)")).to_be_visible()
    step(page, width, "09-indicateurs")
    tab(page, "Ce que Terreau sait")
    step(page, width, "10-connaissances")

    # 4. Key issues drafted.
    tab(page, "Enjeux")
    for title in ("Bien vieillir", "Accès au numérique", "Emploi des jeunes"):
        page.get_by_role("button", name="Proposer un enjeu").click()
        page.get_by_label("Intitulé").fill(title)
        page.get_by_label("Description").fill(f"Ce que la consultation dit de « {title} ».")
        if title == "Bien vieillir":
            step(page, width, "11-enjeu")
        page.get_by_role("button", name="Enregistrer").click()
        page.wait_for_load_state()
    step(page, width, "12-enjeux")

    # 5. Both organisations rank them through their answer's link.
    for link, ranks, shot in (
        (edit_a, {"Bien vieillir": "1", "Accès au numérique": "2"}, "13-classement"),
        (
            edit_b,
            {"Accès au numérique": "1", "Bien vieillir": "2", "Emploi des jeunes": "3"},
            "13b-classement",
        ),
    ):
        page.context.clear_cookies()
        page.goto(link)
        page.get_by_role("button", name="Classer les enjeux proposés").click()
        page.wait_for_load_state()
        for title, rank in ranks.items():
            page.get_by_label(title, exact=True).select_option(rank)
        step(page, width, shot)
        page.get_by_role("button", name="Enregistrer mon classement").click()
        page.wait_for_load_state()
        expect(page.get_by_text("Votre classement est enregistré", exact=False)).to_be_visible()
    assert Ballot.objects.filter(diagnosis=diagnosis).count() == 2

    # 6. Closed, chosen, published.
    login(page, facilitator.email)
    page.goto(f"/alliances/diagnostics/{diagnosis.pk}/enjeux/")
    page.get_by_role("button", name="Clore la consultation et passer à l'analyse").click()
    page.wait_for_load_state()
    tab(page, "Enjeux")
    table = page.locator("table.ranking-table tbody tr")
    expect(table.first).to_contain_text("Bien vieillir")
    expect(table.first).to_contain_text("3")  # Borda: 2 + 1 points, tied with "Accès au numérique"
    page.get_by_role("group", name="Enjeux clés retenus").get_by_label("Bien vieillir").check()
    page.get_by_role("group", name="Enjeux clés retenus").get_by_label("Accès au numérique").check()
    page.get_by_role("button", name="Retenir ces enjeux").click()
    page.wait_for_load_state()
    expect(page.get_by_text("2 enjeux clés retenus.")).to_be_visible()
    step(page, width, "14-retenus")
    page.get_by_role("button", name="Publier le diagnostic").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Le diagnostic est désormais « Publié ».")).to_be_visible()
    tab(page, "Publication")
    step(page, width, "15-publication")

    # 7. The public page and the PDF, for anyone.
    page.context.clear_cookies()
    page.goto(f"/alliances/diagnostics/{diagnosis.pk}/publie/")
    expect(page.get_by_role("heading", name="Enjeux clés retenus")).to_be_visible()
    expect(page.get_by_text("05-reponse@example.org")).to_have_count(0)
    step(page, width, "16-page-publique")
    pdf = page.request.get(f"/alliances/diagnostics/{diagnosis.pk}/diagnostic.pdf")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
