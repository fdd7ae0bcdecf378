"""Every PDF of the product, rendered through its real view with hostile text in every field a user can
type: reportlab markup (<img>, <b>, <para>, unbalanced tags, entities), very long words, emoji and a
spreadsheet formula. Each PDF is served (HTTP 200, %PDF) and says the text literally, never as markup.

Regression: a program named with markup used to break its monthly report for everyone (HTTP 500)."""

from __future__ import annotations

import ast
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone

from terreau.activities.reports import report_save
from terreau.core.models import TrackedJob
from terreau.events import services as event_services
from terreau.events.models import Registration
from terreau.events.tokens import make_token
from terreau.meetings import plans as meeting_plans
from terreau.meetings import services as meeting_services
from terreau.programs.kits import kit_assemble, kit_deliver
from terreau.programs.models import ProgramRole
from tests.activities.test_activities_support import participant, program_with_sites, session
from tests.factories import BranchFactory, BranchRoleFactory, EventFactory, OrganisationFactory, UserFactory
from tests.programs.test_programs_support import make_items, make_program

try:
    import pypdf  # dev dependency: reads the text back
except ImportError:  # pragma: no cover
    pypdf = None

pytestmark = pytest.mark.django_db

MARKUP = "<img src=x> <b>Gras & <para>Ré</i> 🌱 =cmd|' /C calc'!A0"
LONG_WORD = "Anticonstitutionnellement" * 5
SHORT = "<b>K&<img src=x>"  # for fields of 40 characters


def squash(text: str) -> str:
    """Text without spaces and line breaks (the PDF wraps long lines) nor characters that the standard PDF
    fonts cannot draw (emoji come out as a box)."""
    return "".join(ch for ch in text if not ch.isspace() and ord(ch) < 0x2000)


def pdf_text(response) -> str | None:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    if pypdf is None:
        return None
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    return squash("".join(page.extract_text() for page in reader.pages))


def assert_literal(response, *values):
    text = pdf_text(response)
    if text is None:
        return
    for value in values:
        assert squash(value) in text, value


def test_monthly_report_with_markup_in_the_program_name(client):
    program, site_a, _site_b = program_with_sites(branch=BranchFactory(name=MARKUP))
    program.name = "<img src=x> Silver Geek"
    program.save()
    coordinator = UserFactory()
    ProgramRole.objects.create(program=program, user=coordinator, role="coordinator")
    client.force_login(coordinator)
    url = reverse("activities:monthly_report", args=[program.slug]) + "?mois=2025-02"
    assert_literal(client.get(url), "<img src=x> Silver Geek")  # was HTTP 500

    program.name = MARKUP
    program.save()
    site_a.name = f"{MARKUP} {LONG_WORD}"
    site_a.save()
    held = session(site_a)
    report_save(session=held, data={"held": True, "headcount": 3}, participants=[participant(site_a, MARKUP)])
    assert_literal(client.get(url), MARKUP, site_a.name)


def test_delivery_note(client):
    program, site_a, _site_b, kit_model = make_program(branch=BranchFactory(name=MARKUP))
    program.name = MARKUP
    program.save()
    kit_model.name = MARKUP
    kit_model.save()
    site_a.name = MARKUP
    site_a.address = f"{MARKUP} {LONG_WORD}"
    site_a.contact_name = MARKUP
    site_a.save()
    site_a.organisation.name = f"{MARKUP} {LONG_WORD}"
    site_a.organisation.save()
    items = make_items(program)
    items[0].make, items[0].model_name, items[0].serial_number = "<b>Marque&", MARKUP, MARKUP
    items[0].save()
    coordinator = UserFactory()
    ProgramRole.objects.create(program=program, user=coordinator, role="coordinator")
    kit = kit_assemble(kit_model=kit_model, items=items, code=SHORT, by=coordinator)
    kit_deliver(kit=kit, site=site_a, by=coordinator)
    client.force_login(coordinator)
    response = client.get(reverse("programs:delivery_note", args=[program.slug, kit.pk]))
    assert_literal(response, MARKUP, SHORT, site_a.address, site_a.organisation.name, "<b>Marque&")


def test_attendance_certificate(client):
    event = EventFactory(
        branch=BranchFactory(name=MARKUP), title=MARKUP, venue=MARKUP, address=f"{MARKUP} {LONG_WORD}"
    )
    registration = event_services.registration_create(
        event=event, name=MARKUP, email="a@example.org", organisation_name=f"{MARKUP} {LONG_WORD}"
    )
    event_services.registration_confirm(registration=registration)
    event_services.registration_check_in(registration=registration, by=None)
    response = client.get(
        reverse("events:certificate", kwargs={"token": make_token(registration.pk, "manage")})
    )
    assert_literal(response, MARKUP, f"({MARKUP} {LONG_WORD})", event.address)


@pytest.fixture
def speed_meeting():
    branch = BranchFactory(name=MARKUP)
    organiser = BranchRoleFactory(branch=branch).user
    start = timezone.now() + timedelta(days=10)
    event = EventFactory(
        branch=branch,
        kind="speed_meeting",
        capacity=50,
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        title=MARKUP,
    )
    users = [UserFactory() for _ in range(4)]
    orgs = [OrganisationFactory(branch=branch, name=f"{MARKUP} {LONG_WORD}") for _ in range(2)] + [
        OrganisationFactory(branch=branch, company=True, name=f"{SHORT} {i}") for i in range(2)
    ]
    regs = [
        Registration.objects.create(
            event=event,
            name=f"{MARKUP} {i}",
            email=f"p{i}@example.org",
            organisation=org,
            user=user,
            status=Registration.Status.CONFIRMED,
        )
        for i, (org, user) in enumerate(zip(orgs, users, strict=True))
    ]
    sm = meeting_services.speed_meeting_setup(
        event=event,
        data={
            "rounds": 2,
            "round_minutes": 15,
            "break_minutes": 5,
            "tables": 2,
            "wishes_deadline": start - timedelta(days=1),
            "bipartite": True,
        },
        by=organiser,
    )
    for asso in regs[:2]:
        meeting_services.wishes_save(sm=sm, source=asso, levels={c.pk: "like" for c in regs[2:]})
    meeting_plans.plan_run(sm=sm)
    meeting_plans.plan_publish(sm=sm, final=False)
    meeting_plans.plan_publish(sm=sm, final=True)
    return {"event": event, "organiser": organiser, "users": users, "regs": regs}


def test_speed_meeting_agenda_and_table_plan(client, speed_meeting, django_capture_on_commit_callbacks):
    slug = speed_meeting["event"].slug
    client.force_login(speed_meeting["users"][0])
    agenda = client.get(reverse("meetings:agenda_pdf", kwargs={"slug": slug}))
    assert_literal(agenda, MARKUP, speed_meeting["regs"][0].name, f"{SHORT} 0")
    client.force_login(speed_meeting["organiser"])
    plan = client.get(reverse("meetings:table_plan", kwargs={"slug": slug}))
    assert_literal(plan, MARKUP, f"{MARKUP} {LONG_WORD}", f"{SHORT} 1")
    # Every agenda in one PDF is rendered by a job; the progress page links to the file.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("meetings:all_agendas", kwargs={"slug": slug}))
    download = client.get(TrackedJob.objects.get().result_url)
    every = HttpResponse(b"".join(download.streaming_content), content_type=download["Content-Type"])
    assert_literal(every, MARKUP, speed_meeting["regs"][0].name, f"{SHORT} 0")


def test_charter_version(client):
    from terreau.alliances import charter as charter_services
    from tests.alliances.groups_world import build_world

    gw = build_world()
    gw.g1.name = MARKUP
    gw.g1.save()
    charter = charter_services.charter_create(group=gw.g1, title=f"{MARKUP} {LONG_WORD}", by=gw.member_a)
    charter_services.charter_version_create(
        charter=charter,
        data={
            "purpose": MARKUP,
            "governance": LONG_WORD,
            "budget_lines": [{"label": MARKUP, "amount": "10"}],
        },
        partners=[{"organisation": gw.a, "roles": ["pilot"], "note": SHORT}],
        by=gw.member_a,
    )
    client.force_login(gw.member_a)
    response = client.get(reverse("alliances:charter_pdf", kwargs={"pk": charter.pk, "number": 1}))
    assert_literal(response, MARKUP, LONG_WORD, SHORT)


def test_every_pdf_view_is_covered():
    """Every function that answers with a PDF is one of the views rendered above."""
    covered = {
        "monthly_report",
        "delivery_note",
        "certificate",
        "agenda_pdf",
        "table_plan",
        "all_agendas_pdf",
        "version_pdf",
        # The published diagnosis: tests/alliances/test_diagnosis_pdf.py keeps an answer's markup as text.
        "diagnosis_pdf",
        # A contributions agreement: tests/contributions/test_agreements.py renders it through its view with
        # markup, long words and emoji in every field a user types.
        "agreement_download",
        # A program's contributions report: tests/contributions/test_reports.py, markup in names and kinds.
        "program_report_download",
        # A tax receipt (its page, the API's pdf action, the e-mail that attaches it):
        # tests/contributions/test_receipts_pages.py renders it with markup, long words and emoji.
        "receipt_pdf",
        "pdf",
        "receipt_send",
        # The evaluation's report (its page's PDF and the share link's, through _pdf_response):
        # tests/evaluation/test_report_pdf.py renders it with markup in titles, questions and quotes.
        "_pdf_response",
        # The printable questionnaire: tests/evaluation/test_paper.py renders it with markup in every text.
        "paper_pdf",
    }
    root = Path(__file__).resolve().parents[1] / "terreau"
    found = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(c, ast.Constant) and c.value == "application/pdf" for c in ast.walk(node)
            ):
                found.add(node.name)
    assert found and found <= covered, found - covered
