"""A working group's lead edits its meeting, task, decision and document, then closes the group with a reason;
the diagnosis form's EPCI picker suggests as one types. At 1280 and 768 px, axe-clean on every page (issue 13)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from terreau.alliances import groups
from terreau.alliances.group_models import GroupDecision, GroupDocument, GroupMeeting, GroupTask, WorkingGroup
from terreau.territories.models import Epci
from tests.alliances.groups_world import build_world
from tests.browser.conftest import assert_accessible_at_both_widths, login

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [
    1280
]  # one run per journey; every page is axe-checked at 1280 and 768 px (assert_accessible_at_both_widths)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def checked(page: Page) -> None:
    """axe-clean, and no id used twice (several forms on one page: labels must reach their own field)."""
    assert_accessible_at_both_widths(page)
    twice = page.evaluate(
        "() => { const seen = {}; document.querySelectorAll('[id]').forEach(e => seen[e.id] = (seen[e.id] || 0) + 1);"
        " return Object.keys(seen).filter(k => seen[k] > 1); }"
    )
    assert not twice, twice


def edit(page: Page, link: str, fields: dict[str, str], success: str) -> None:
    """From the group's page: open an item's edit form by its link, check it, change it, save it."""
    page.get_by_role("link", name=link).click()
    page.wait_for_load_state()
    checked(page)
    for label, value in fields.items():
        page.get_by_label(label).fill(value)  # required labels end with "*"
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_load_state()
    expect(page.get_by_text(success)).to_be_visible()


@pytest.mark.parametrize("width", WIDTHS)
def test_lead_edits_items_and_closes_the_group(page, width, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    page.set_viewport_size({"width": width, "height": 900})
    gw = build_world()
    by = gw.facilitator
    meeting = groups.meeting_add(group=gw.g1, title="Lancement", held_on=date(2026, 3, 2), by=by)
    task = groups.task_add(group=gw.g1, title="Recenser les lieux", by=by)
    decision = groups.decision_add(
        group=gw.g1, text="On se voit le mardi", decided_on=date(2026, 3, 2), by=by
    )
    document = groups.document_add(
        group=gw.g1, title="Compte rendu", upload=SimpleUploadedFile("cr.pdf", PDF), by=by
    )

    login(page, gw.member_a.email)  # a member of the lead organisation
    page.goto(f"/alliances/groupes/{gw.g1.pk}/")
    checked(page)
    edit(
        page,
        "Modifier la réunion « Lancement »",
        {"Objet": "Lancement (déplacé)", "Date": "2026-03-09"},
        "Réunion modifiée.",
    )
    edit(
        page, "Modifier la tâche « Recenser les lieux »", {"Tâche": "Recenser les salles"}, "Tâche modifiée."
    )
    edit(
        page,
        "Modifier la décision du 2 mars 2026",
        {"Décision": "On se voit le jeudi"},
        "Décision modifiée.",
    )
    edit(
        page,
        "Modifier ou remplacer le document « Compte rendu »",
        {"Titre": "Compte rendu n°1"},
        "Document modifié.",
    )
    assert GroupMeeting.objects.get(pk=meeting.pk).title == "Lancement (déplacé)"
    assert GroupTask.objects.get(pk=task.pk).title == "Recenser les salles"
    assert GroupDecision.objects.get(pk=decision.pk).text == "On se voit le jeudi"
    assert GroupDocument.objects.get(pk=document.pk).title == "Compte rendu n°1"
    checked(page)

    # Closing asks for a reason; once closed, the group's forms and edit links are gone.
    page.get_by_role("button", name="Clore le groupe").click()
    page.wait_for_load_state()
    expect(page.get_by_label("Raison de la clôture")).to_be_visible()  # a required reason, nothing done
    assert WorkingGroup.objects.get(pk=gw.g1.pk).state == WorkingGroup.State.ACTIVE
    page.get_by_label("Raison de la clôture").fill("Objectif atteint")
    page.get_by_role("button", name="Clore le groupe").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Groupe clos.")).to_be_visible()
    expect(page.get_by_text("Objectif atteint")).to_be_visible()
    assert WorkingGroup.objects.get(pk=gw.g1.pk).state == WorkingGroup.State.CLOSED
    main = page.locator("main")
    expect(main.get_by_role("button", name="Clore le groupe")).to_have_count(0)
    expect(main.get_by_role("link", name="Modifier la réunion « Lancement (déplacé) »")).to_have_count(0)
    expect(main.locator("form[method=post]")).to_have_count(0)
    checked(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_diagnosis_form_epci_picker(page, width):
    page.set_viewport_size({"width": width, "height": 900})
    Epci.objects.create(code="200069854", name="CU du Grand Poitiers", kind="CU", population=190000)
    Epci.objects.create(code="248600413", name="CA du Grand Châtellerault", kind="CA", population=85000)
    gw = build_world()
    login(page, gw.facilitator.email)
    page.goto("/alliances/diagnostics/nouveau/")
    field = page.get_by_role("combobox", name="Ajouter une intercommunalité")
    field.focus()
    page.keyboard.type("grand", delay=30)
    options = page.locator(f"#{field.get_attribute('list')} option")
    expect(options).to_have_count(2)
    expect(page.locator("[data-epci-status]")).to_have_text("2 intercommunalités proposées.")
    page.keyboard.type(" poi", delay=30)
    expect(options).to_have_count(1)
    expect(options.first).to_have_attribute("value", "CU du Grand Poitiers (200069854)")
    expect(page.locator("[data-epci-status]")).to_have_text("1 intercommunalité proposée.")
    expect(field).to_be_focused()
    checked(page)
    # The help text under the field keeps Pico's muted look although the suggestions list sits between them.
    help_text = page.locator("#id_epci_add_helptext")
    expect(help_text).to_have_css("display", "block")
    assert help_text.evaluate("e => getComputedStyle(e).color") == page.locator(
        "#id_epci_codes_helptext"
    ).evaluate("e => getComputedStyle(e).color")
    page.screenshot(path=f"/tmp/shots/epci-picker-{width}.png", full_page=True)
