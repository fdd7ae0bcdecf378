"""The report's pages (terreau.evaluation.views_report): who reads the report, who downloads the answers, what
a share link opens (and nothing more), and a page whose number of queries does not grow with respondents."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from terreau.core.models import AuditEvent
from terreau.evaluation.models import AnalysisSnapshot, ShareLink
from terreau.programs.models import ProgramRole
from tests.evaluation.factories import (
    AnswerFactory,
    EvaluationFactory,
    HostSiteFactory,
    InstrumentFactory,
    ItemFactory,
    RespondentFactory,
    ResponseFactory,
    ShareLinkFactory,
    WaveFactory,
)
from tests.evaluation.test_analysis import make_world
from tests.factories import UserFactory
from tests.programs.test_programs_support import people

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    w = make_world()
    w.users = people(w.program, w.sites[0])
    w.users["evaluator"] = UserFactory()
    ProgramRole.objects.create(program=w.program, user=w.users["evaluator"], role="evaluator")
    return w


def _get(client, world, who, name, *args):
    client.logout()
    if who != "anonymous":
        client.force_login(world.users[who])
    return client.get(reverse(f"evaluation:{name}", args=args or [world.evaluation.pk]))


@pytest.mark.parametrize("who", ["coordinator", "evaluator", "facilitator", "viewer"])
def test_report_page_for_who_sees_the_evaluation(client, world, who):
    response = _get(client, world, who, "report")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Taux de réponse" in body and "Évolutions avant / après" in body
    assert "<svg" in body and 'role="img"' in body  # server-side charts, with a text alternative
    assert "<script>x</script>" not in body and "&lt;script&gt;x&lt;/script&gt;" in body
    assert "A000-XX" not in body  # no respondent code on the aggregated report
    assert "masqué" in body  # Club B (3 people) is hidden
    assert "Josiane" not in body and "example.org" not in body
    xlsx_link = reverse("evaluation:answers_xlsx", args=[world.evaluation.pk])
    assert (xlsx_link in body) == (who in ("coordinator", "evaluator"))


@pytest.mark.parametrize("who", ["volunteer_a", "staff_a", "other"])
def test_report_hidden_from_site_teams_and_other_branches(client, world, who):
    assert _get(client, world, who, "report").status_code == 404
    assert _get(client, world, who, "report_pdf").status_code == 404
    assert _get(client, world, who, "answers_xlsx").status_code == 404


def test_anonymous_goes_to_login(client, world):
    for name in ("report", "report_pdf", "answers_xlsx"):
        response = _get(client, world, "anonymous", name)
        assert response.status_code == 302 and "next=" in response["Location"]


@pytest.mark.parametrize("who", ["coordinator", "evaluator"])
def test_answers_xlsx_for_coordinators_and_evaluators(client, world, who):
    response = _get(client, world, who, "answers_xlsx")
    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:7] == (
        "Code du répondant",
        "Public",
        "Site",
        "Tranche d'âge",
        "Vague",
        "Version du questionnaire",
        "Code de la question",
    )
    codes = {row[0] for row in rows[1:]}
    assert "A000-XX" in codes and "A009-XX" in codes
    assert len(rows) - 1 == 12 * 2 + 12 * 2 + 2 + 6  # likert and yes/no (s0, s1: likert only), six texts
    flat = " ".join(str(c) for row in rows for c in row)
    assert "Josiane" not in flat and "example.org" not in flat and "Odette" not in flat
    # Yes/no answers read as words, not as the 1 / 0 the statistics use.
    yes_no = {row[7] for row in rows[1:] if row[6] == "seul" and not row[8]}
    assert yes_no and yes_no <= {"oui", "non"}, yes_no
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT_DOWNLOADED)
    # Pseudonymised, not anonymised: the codes link each person's answers, and the team knows who holds a code.
    assert "pseudonymisées" in event.target and "anonymisées" not in event.target
    report = _get(client, world, who, "report").content.decode()
    assert "Réponses pseudonymisées (XLSX)" in report and "Réponses anonymisées" not in report


@pytest.mark.parametrize("who", ["facilitator", "viewer"])
def test_answers_xlsx_refused_to_aggregate_readers(client, world, who):
    assert _get(client, world, who, "answers_xlsx").status_code == 403


def test_pdf_for_a_partner_viewer(client, world):
    response = _get(client, world, "viewer", "report_pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_share_link_shows_the_report_and_nothing_else(client, world):
    link = ShareLinkFactory(evaluation=world.evaluation)
    url = reverse("evaluation:shared_report", args=[link.token])
    response = client.get(url)
    assert response.status_code == 200
    assert "noindex" in response["X-Robots-Tag"]
    body = response.content.decode()
    assert '<meta name="robots" content="noindex, nofollow">' in body
    assert "Taux de réponse" in body and "A000-XX" not in body
    pdf_url = reverse("evaluation:shared_report_pdf", args=[link.token])
    hrefs = set(__import__("re").findall(r'href="([^"]+)"', body))
    assert hrefs <= {pdf_url, "#contenu"} | {h for h in hrefs if h.startswith("/static/")}
    assert "reponses.xlsx" not in body and "Se connecter" not in body
    pdf = client.get(pdf_url)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    link.refresh_from_db()
    assert link.views == 2 and link.last_viewed_at is not None
    # The token opens nothing else: the app's own pages still want an account.
    for name in ("report", "answers_xlsx"):
        assert client.get(reverse(f"evaluation:{name}", args=[world.evaluation.pk])).status_code == 302


def test_revoked_or_unknown_share_link_is_404(client, world):
    link = ShareLinkFactory(evaluation=world.evaluation, revoked=True)
    assert client.get(reverse("evaluation:shared_report", args=[link.token])).status_code == 404
    assert client.get(reverse("evaluation:shared_report_pdf", args=[link.token])).status_code == 404
    assert (
        client.get("/evaluation/partage/" + "x" * 300 + "/").status_code == 404
    )  # no route: not a token of ours
    assert ShareLink.objects.get(pk=link.pk).views == 0


def _scaled_world(n: int):
    """``n`` participants of two sites answering a 3-question questionnaire before and after."""
    site = HostSiteFactory()
    other = HostSiteFactory(program=site.program)
    evaluation = EvaluationFactory(program=site.program, collecting=True)
    before = WaveFactory(evaluation=evaluation, closed=True)
    after = WaveFactory(evaluation=evaluation, after=True, open=True)
    instrument = InstrumentFactory(evaluation=evaluation, frozen=True)
    items = [
        ItemFactory(instrument=instrument, code="q1"),
        ItemFactory(instrument=instrument, code="q2", yes_no=True),
        ItemFactory(instrument=instrument, code="q3", text_kind=True),
    ]
    user = UserFactory()
    ProgramRole.objects.create(program=site.program, user=user, role="coordinator")
    return evaluation, (site, other), (before, after), instrument, items, user


def _add_respondents(evaluation, sites, waves, instrument, items, start, n):
    now = timezone.now()
    for i in range(start, start + n):
        respondent = RespondentFactory(evaluation=evaluation, site=sites[i % 2], code=f"Q{i:04d}-ZZ")
        for w, wave in enumerate(waves):
            response = ResponseFactory(
                respondent=respondent, wave=wave, instrument=instrument, submitted_at=now
            )
            AnswerFactory(response=response, item=items[0], number=Decimal(2 + w + i % 2))
            AnswerFactory(response=response, item=items[1], number=Decimal(w))
            AnswerFactory(
                response=response, item=items[2], number=None, text=f"Très bien, séance {w} parfaite."
            )


def test_report_page_queries_do_not_grow_with_respondents(client):
    evaluation, sites, waves, instrument, items, user = _scaled_world(10)
    client.force_login(user)
    url = reverse("evaluation:report", args=[evaluation.pk])
    _add_respondents(evaluation, sites, waves, instrument, items, 0, 10)
    client.get(url)  # warm the caches (content types, sessions)
    # The analysis is stored while the answers do not change: forget it to count the queries that make it.
    AnalysisSnapshot.objects.all().delete()
    with CaptureQueriesContext(connection) as at_10:
        assert client.get(url).status_code == 200
    _add_respondents(evaluation, sites, waves, instrument, items, 10, 30)
    AnalysisSnapshot.objects.all().delete()
    with CaptureQueriesContext(connection) as at_40:
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as cached:
        assert client.get(url).status_code == 200
    assert len(cached) < len(at_40)
    assert len(at_40) == len(at_10), [q["sql"][:120] for q in at_40.captured_queries]
    assert (
        len(at_10) <= 48
    )  # the analysis with its fingerprint (3 small counts) and its storing (savepoint, upsert)
