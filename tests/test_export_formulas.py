"""Spreadsheet formula injection (CSV/XLSX), written as the attack was made: a hostile value is stored
through the model, then each export URL is requested as the user who downloads it. Every cell that a
spreadsheet would run as a formula comes back prefixed with an apostrophe; numbers stay numbers."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from terreau.activities.reports import report_save
from terreau.directory.models import Direction
from terreau.events import services as event_services
from terreau.matching import incremental as matching_incremental
from terreau.partnerships import services as partnership_services
from terreau.partnerships.models import Partnership
from tests.activities.test_activities_support import participant, program_with_sites, session, team
from tests.factories import (
    BranchFactory,
    BranchRoleFactory,
    EventFactory,
    MembershipFactory,
    NeedOfferFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db

ATTACK = "=cmd|' /C calc'!A0"


def body_of(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def csv_cells(response) -> list[str]:
    body = body_of(response)
    assert response.status_code == 200
    assert body.startswith(b"\xef\xbb\xbf"), "CSV files carry a UTF-8 BOM for Excel"
    rows = csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";")
    return [cell for row in rows for cell in row]


def xlsx_cells(response) -> list:
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(body_of(response)))
    return [cell.value for sheet in workbook for row in sheet.iter_rows() for cell in row]


def assert_neutralised(cells, value=ATTACK):
    texts = [c for c in cells if isinstance(c, str)]
    assert not [c for c in texts if c.startswith(("=", "+", "-", "@", "\t", "\r"))], texts
    assert "'" + value in texts, texts


# --- every export URL -------------------------------------------------------------------------------


def test_unmet_needs_and_alliances_csv(client):
    branch = BranchFactory()
    asso = OrganisationFactory(branch=branch, name=ATTACK)
    NeedOfferFactory(organisation=asso, direction=Direction.NEED, title=ATTACK, description="")
    NeedOfferFactory(
        organisation=asso, direction=Direction.NEED, title="Tablettes pour des ateliers numériques"
    )
    giver = OrganisationFactory(branch=branch, company=True, name="@Recyclerie")
    NeedOfferFactory(
        organisation=giver, direction=Direction.OFFER, title="Dons de tablettes pour des ateliers numériques"
    )
    client.force_login(BranchRoleFactory(branch=branch).user)
    matching_incremental.refresh_pending()  # the matching job (deferred after commit: never run in a rolled-back test)
    unmet = csv_cells(client.get(reverse("matching:territory_unmet_csv", args=[branch.slug])))
    assert_neutralised(unmet)
    alliances = csv_cells(client.get(reverse("matching:territory_alliances_csv", args=[branch.slug])))
    assert_neutralised(alliances)
    assert "'@Recyclerie" in alliances


def test_partnership_pipeline_csv(client):
    branch = BranchFactory()
    ehpad = MembershipFactory(organisation__branch=branch, organisation__name="+33 EHPAD")
    company = MembershipFactory(organisation__branch=branch, organisation__company=True)
    need = NeedOfferFactory(organisation=ehpad.organisation)
    offer = NeedOfferFactory(organisation=company.organisation, offer=True)
    request = partnership_services.contact_request_create(
        sender=company.organisation, recipient=ehpad.organisation, need=need, offer=offer
    )
    partnership = partnership_services.contact_request_accept(request=request)
    Partnership.objects.filter(pk=partnership.pk).update(title=ATTACK)
    client.force_login(BranchRoleFactory(branch=branch).user)
    cells = csv_cells(client.get(reverse("partnerships:board_export")))
    assert_neutralised(cells)


def test_event_attendance_csv(client):
    event = EventFactory()
    registration = event_services.registration_create(
        event=event, name=ATTACK, email="a@example.org", organisation_name="-1+1"
    )
    event_services.registration_confirm(registration=registration)
    client.force_login(BranchRoleFactory(branch=event.branch).user)
    cells = csv_cells(client.get(reverse("events:export", kwargs={"slug": event.slug})))
    assert_neutralised(cells)
    assert "'-1+1" in cells


@pytest.fixture
def activity():
    program, site_a, site_b = program_with_sites()
    users = team(program, site_a, site_b)
    site_a.name = ATTACK
    site_a.save()
    held = session(site_a)
    cancelled = session(site_a, day=date(2025, 2, 4) + timedelta(days=7), cancel_reason="@grève")
    person = participant(site_a, ATTACK)
    report_save(session=held, data={"held": True, "headcount": 4}, participants=[person])
    return {"program": program, "users": users, "person": person, "cancelled": cancelled}


def test_activity_workbook_sites_and_sessions_sheets(client, activity):
    program = activity["program"]
    client.force_login(activity["users"]["coordinator"])
    response = client.get(reverse("activities:dashboard_xlsx", args=[program.slug]))
    workbook = load_workbook(io.BytesIO(body_of(response)))
    for title in ("Par site", "Séances"):
        assert_neutralised([c.value for row in workbook[title].iter_rows() for c in row])
    cells = xlsx_cells(response)
    assert "'@grève" in cells
    assert 4 in cells  # the headcount stays a number


def test_participant_data_csv(client, activity):
    program = activity["program"]
    client.force_login(activity["users"]["staff_a"])
    response = client.get(
        reverse("activities:participant_export", args=[program.slug, activity["person"].pk, "csv"])
    )
    assert_neutralised(csv_cells(response))


def test_directory_csv_and_xlsx(client):
    OrganisationFactory(name=ATTACK, acronym="+SIGLE")
    for fmt, read in (("csv", csv_cells), ("xlsx", xlsx_cells)):
        cells = read(client.get(reverse("directory:export", args=[fmt])))
        assert_neutralised(cells)
        assert "'+SIGLE" in cells


def test_import_rejects_file(tmp_path, settings, capsys):
    branch = BranchFactory(slug="poitou-charentes")
    source = tmp_path / "hostile.csv"
    source.write_text(f"nom;type;siren\n{ATTACK};association;123\n", encoding="utf-8")
    target = tmp_path / "rejets.csv"
    call_command(
        "import-organisations", str(source), branch=branch.slug, format="generic", rejects_csv=str(target)
    )
    out = capsys.readouterr().out
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    # The uploaded columns as they came, plus the errors, so the file can be corrected and imported again.
    assert rows[0] == ["nom", "type", "siren", "erreurs"]
    assert len(rows) == 2, "the row with an invalid SIREN is rejected"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert rows[1][0].startswith("'" + ATTACK)
    # One row: the summary speaks in the singular.
    assert "1 ligne lue, 0 créée, 0 mise à jour, 0 inchangée ou ignorée, 1 rejetée." in out
    assert "1 ligne rejetée écrite dans" in out
