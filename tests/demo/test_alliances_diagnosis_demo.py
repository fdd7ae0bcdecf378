"""The demo tells where Silver Geek came from: a Poitou-Charentes diagnosis (consulted actors, fictitious
indicators, three key issues ranked by the actors and published), then the groups formed around its key
issues, the collective's charter and the program; loading twice gives the same rows, and a real indicator
value is never overwritten by the demo's fictitious ones."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape
from pypdf import PdfReader

from terreau.accounts.models import User
from terreau.alliances import services
from terreau.alliances.charter_models import Charter
from terreau.alliances.group_models import WorkingGroup
from terreau.alliances.indicators import sync_catalogue
from terreau.alliances.models import (
    Ballot,
    ConsultationAnswer,
    ConsultationInvitation,
    Diagnosis,
    DiagnosisChange,
    IndicatorImport,
    IndicatorValue,
    KeyIssue,
)
from terreau.demo.loader import load_demo
from terreau.notifications.models import EmailDelivery, Notification
from terreau.programs.models import Program
from terreau.territories.loader import load_territories

DEMO_DEPARTMENTS = {"16", "17", "79", "86", "67", "68"}
FACILITATOR = "animatrice.poitou@demo.terreau.example.org"
AGEING, DIGITAL, YOUTH = (
    "Bien vieillir : rompre l'isolement des aînés",
    "Inclusion numérique des aînés",
    "Emploi des jeunes",
)


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _load(capture) -> None:
    with capture(execute=True):
        load_demo()


@pytest.fixture
def demo(db, django_capture_on_commit_callbacks):
    load_territories(departments=DEMO_DEPARTMENTS)
    _load(django_capture_on_commit_callbacks)
    return Diagnosis.objects.get(is_demo=True)


def test_the_diagnosis_is_told_through_the_services(demo):
    diagnosis = demo
    program = Program.objects.get(is_demo=True)
    facilitator = User.objects.get(email=FACILITATOR)
    assert diagnosis.state == Diagnosis.State.PUBLISHED and "démonstration" in diagnosis.title
    assert diagnosis.branch.slug == "demo-poitou-charentes"
    assert set(diagnosis.departments.values_list("code", flat=True)) == {"16", "17", "79", "86"}
    assert list(diagnosis.team.all()) == [facilitator]
    # The year before the program, as the 2013 diagnosis before the September 2014 program.
    assert diagnosis.period_start.year == diagnosis.period_end.year == program.starts_on.year - 1
    history = list(diagnosis.history.order_by("at", "pk").values_list("from_state", "to_state", "by"))
    assert [(f, t) for f, t, _by in history] == [
        ("", "draft"),
        ("draft", "consultation"),
        ("consultation", "analysis"),
        ("analysis", "published"),
    ]
    assert all(by == facilitator.pk for *_states, by in history)
    moments = list(diagnosis.history.order_by("at", "pk").values_list("at", flat=True))
    assert moments == sorted(moments) and moments[-1].date() < program.starts_on
    assert diagnosis.period_start <= diagnosis.published_at.date() <= diagnosis.period_end

    # The consultation: invited organisations, their answers, one through the public link.
    invitations = ConsultationInvitation.objects.filter(diagnosis=diagnosis)
    assert invitations.count() >= 10 and not invitations.filter(sent_at=None).exists()
    answers = ConsultationAnswer.objects.filter(diagnosis=diagnosis)
    assert 8 <= answers.count() <= 11 and not answers.filter(organisation=None).exists()
    assert not answers.exclude(organisation__is_demo=True).exists()
    public = answers.exclude(organisation__in=invitations.values("organisation")).get()
    assert public.organisation.name == "CCAS de Poitiers" and not public.organisation.memberships.exists()
    kinds = {kind for a in answers for kind in a.can_bring}
    assert kinds == {"skills", "time", "premises", "equipment", "money"}
    assert all(a.publics and a.issues for a in answers)

    # Indicators through the importer, from the fictitious sample, on the four departments.
    run = IndicatorImport.objects.get(branch=diagnosis.branch)
    assert run.values_saved == IndicatorValue.objects.filter(imported=run).count() > 0 and not run.errors
    values = IndicatorValue.objects.filter(imported=run)
    assert not values.exclude(source__contains="fictives").exists()
    assert set(values.filter(level="department").values_list("code", flat=True)) == {"16", "17", "79", "86"}

    # Three key issues with their evidence, ranked by the consulted actors, all chosen.
    issues = {k.title: k for k in KeyIssue.objects.filter(diagnosis=diagnosis)}
    assert set(issues) == {AGEING, DIGITAL, YOUTH}
    for issue in issues.values():
        assert issue.state == KeyIssue.State.CHOSEN, issue
        assert issue.answers.exists() and issue.indicator_values.exists() and issue.needs.exists(), issue
        assert not issue.needs.exclude(status="open").exists() and not issue.needs.exclude(
            visibility="public"
        )
    assert issues[AGEING].indicator_values.filter(indicator__code="part_75_plus").exists()
    assert Ballot.objects.filter(diagnosis=diagnosis).count() >= 8
    table = services.count(diagnosis)
    assert [row["key_issue"].title for row in table] == [AGEING, DIGITAL, YOUTH]
    assert [row["rank"] for row in table] == [1, 2, 3]

    # The working groups formed around them, the charter and the program: the lineage.
    for name, title in (
        ("Bien vieillir", AGEING),
        ("Inclusion numérique", DIGITAL),
        ("Emploi des jeunes", YOUTH),
    ):
        group = WorkingGroup.objects.get(is_demo=True, name=name)
        assert list(group.key_issues.all()) == [issues[title]] and group.diagnosis_id == diagnosis.pk
    collective = WorkingGroup.objects.get(name="Collectif Silver Geek")
    assert set(collective.key_issues.values_list("title", flat=True)) >= {AGEING, DIGITAL}
    charter = Charter.objects.get(group=collective)
    assert Program.objects.filter(pk=program.pk, charter=charter).exists()


def test_the_published_pages_and_pdf(demo, client):
    diagnosis = demo
    for name in ("alliances:diagnosis_public", "alliances:diagnosis_pdf"):
        response = client.get(reverse(name, args=[diagnosis.pk]))  # anonymous: it is published
        assert response.status_code == 200, name
    response = client.get(reverse("alliances:diagnosis_pdf", args=[diagnosis.pk]))
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    pages = PdfReader(io.BytesIO(response.content)).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    for title in (AGEING, DIGITAL, YOUTH):
        assert title in text, title
    body = client.get(reverse("alliances:diagnosis_public", args=[diagnosis.pk])).content.decode()
    for title in (AGEING, DIGITAL, YOUTH):
        assert escape(title) in body, title
    assert "Décompte de Borda sur 9 classements" in body and "donnée de démonstration" in body
    assert body.index(escape(AGEING)) < body.index("Décompte de Borda")

    # The lineage, for the branch's facilitator (the working groups are not open to everyone): the groups
    # born of the diagnosis, the charter and the program; the program's page leads back to the diagnosis.
    client.force_login(User.objects.get(email=FACILITATOR))
    body = client.get(reverse("alliances:diagnosis_public", args=[diagnosis.pk])).content.decode()
    assert "Ce qui est né de ce diagnostic" in body
    for name in ("Bien vieillir", "Inclusion numérique", "Emploi des jeunes", "Collectif Silver Geek"):
        assert escape(name) in body, name
    charter = Charter.objects.get(is_demo=True)
    program = Program.objects.get(is_demo=True)
    assert escape(charter.title) in body and escape(program.name) in body
    body = client.get(program.get_absolute_url()).content.decode()
    assert "Genèse du projet" in body and escape(diagnosis.title) in body
    assert escape(AGEING) in body and escape(DIGITAL) in body
    for name in (
        "alliances:diagnosis",
        "alliances:diagnosis_consultation",
        "alliances:diagnosis_indicators",
        "alliances:diagnosis_knowledge",
        "alliances:diagnosis_key_issues",
        "alliances:diagnosis_publication",
    ):
        response = client.get(reverse(name, args=[diagnosis.pk]))
        assert response.status_code == 200, name
    body = client.get(reverse("alliances:diagnosis_indicators", args=[diagnosis.pk])).content.decode()
    assert "fictives" in body
    from terreau.directory import mapping

    if mapping.department_shapes() is not None:
        assert 'class="dept-map"' in body  # the choropleth of the four departments


def test_loading_twice_gives_the_same_rows_and_keeps_real_figures(db, django_capture_on_commit_callbacks):
    load_territories(departments=DEMO_DEPARTMENTS)
    # A real figure for one place and year of the sample: the demo must not replace it.
    indicator = sync_catalogue()["part_75_plus"]
    real = IndicatorValue.objects.create(
        indicator=indicator, level="department", code="16", year=2021, value=Decimal("14.2"), source="Insee"
    )
    _load(django_capture_on_commit_callbacks)

    def rows() -> dict[str, int]:
        models = (
            Diagnosis,
            DiagnosisChange,
            ConsultationInvitation,
            ConsultationAnswer,
            KeyIssue,
            Ballot,
            IndicatorImport,
            IndicatorValue,
            WorkingGroup,
            Notification,
            EmailDelivery,
        )
        return {m.__name__: m.objects.count() for m in models}

    first = rows()
    _load(django_capture_on_commit_callbacks)
    assert rows() == first
    real.refresh_from_db()
    assert real.value == Decimal("14.2") and real.source == "Insee" and real.imported is None
    run = IndicatorImport.objects.get()
    assert run.values_saved == 16  # the sample's 17 rows but the real one
