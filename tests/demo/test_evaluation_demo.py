"""The demo evaluates the Silver Geek school year: framework, questionnaires from the library, a before and an
after wave (closed) answered through the collection's services, a share link; everything flagged is_demo, the
same rows on every load, no name in any answer, and a report with paired results and suppressed small cells."""

from __future__ import annotations

import re

import pytest

from terreau.activities.models import Mission, Participant
from terreau.demo.loader import load_demo
from terreau.demo.people import CONTACTS, USERS
from terreau.evaluation.models import (
    Answer,
    CollectionLink,
    Evaluation,
    EvaluationChange,
    EvaluationQuestion,
    Indicator,
    Instrument,
    Item,
    Respondent,
    Response,
    ShareLink,
    Wave,
    WaveChange,
)
from terreau.territories.loader import load_territories

DEMO_DEPARTMENTS = {"16", "17", "79", "86", "67", "68"}
MODELS = (
    Evaluation,
    EvaluationChange,
    EvaluationQuestion,
    Indicator,
    Wave,
    WaveChange,
    Instrument,
    Item,
    Respondent,
    Response,
    Answer,
    CollectionLink,
    ShareLink,
)


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db, django_capture_on_commit_callbacks):
    load_territories(departments=DEMO_DEPARTMENTS)
    with django_capture_on_commit_callbacks(execute=True):
        load_demo()
    return Evaluation.objects.get(is_demo=True)


def test_the_evaluation_is_told_through_the_services(demo):
    assert "(démonstration)" in demo.title and demo.title.startswith("Évaluation de l'année ")
    assert demo.state == Evaluation.State.CLOSED and demo.min_count == 5
    assert demo.purpose and demo.method and demo.limits
    assert demo.audiences == ["participants", "site_staff", "volunteers"]
    assert [q.text for q in demo.questions.all()][2] == "Les volontaires développent-ils des compétences ?"
    outputs = set(demo.indicators.filter(kind="output").values_list("output_metric", flat=True))
    assert {"sessions_held", "participants_reached", "regular_participants", "volunteer_value"} <= outputs
    assert "contributions_value" in outputs
    assert not demo.indicators.filter(target=None).exists()
    # Every outcome names a question of its audience's questionnaire.
    for indicator in demo.indicators.filter(kind="outcome"):
        assert Item.objects.filter(
            instrument__evaluation=demo, instrument__audience=indicator.audience, code=indicator.item_code
        ).exists(), indicator.item_code
    # Questionnaires from the library, frozen by their first answer.
    for instrument in demo.instruments.all():
        assert instrument.is_frozen and instrument.items.count() >= 5
        assert not instrument.items.filter(template_key="").exists()
    # Two waves, both closed, in September-October and May-June, their history dated.
    before, after = demo.waves.get(kind="before"), demo.waves.get(kind="after")
    assert before.state == after.state == Wave.State.CLOSED
    assert before.opens_on.month == 9 and before.closes_on.month == 10
    assert after.opens_on.month == 5 and after.closes_on.month == 6
    assert list(before.history.values_list("to_state", flat=True)) == ["planned", "open", "closed"]
    assert before.history.get(to_state="open").at.date() == before.opens_on
    # Respondents: the consenting participants enrolled, volunteers, seniors and staff registered themselves.
    consenting = Participant.objects.filter(site__program=demo.program, consent_on__isnull=False).count()
    enrolled = demo.respondents.filter(audience="participants", participant__isnull=False)
    assert enrolled.count() == consenting
    assert (
        demo.respondents.filter(audience="volunteers").count()
        == Mission.objects.filter(program=demo.program).count()
    )
    assert demo.respondents.filter(audience="participants", enrolled=False).count() >= 5
    assert demo.respondents.filter(audience="site_staff", enrolled=False).count() >= 20
    # Responses: all sent, dated in their wave, modes mixed, some missing after, some answers declined.
    responses = Response.objects.filter(respondent__evaluation=demo)
    assert not responses.filter(submitted_at=None).exists()
    for wave in (before, after):
        for sent in responses.filter(wave=wave).values_list("submitted_at", flat=True):
            assert wave.opens_on <= sent.date() <= wave.closes_on
    modes = set(responses.values_list("mode", flat=True))
    assert modes == {"assisted", "link", "paper"}
    assert responses.filter(wave=after).count() < responses.filter(wave=before).count() + 30
    paired = (
        Respondent.objects.filter(evaluation=demo, audience="participants", responses__wave=before)
        .filter(pk__in=Response.objects.filter(wave=after).values("respondent"))
        .count()
    )
    assert 80 <= paired < enrolled.count()
    answers = Answer.objects.filter(response__respondent__evaluation=demo)
    assert (
        answers.filter(declined=True).exists() and answers.filter(item__kind="text").exclude(text="").exists()
    )
    share = ShareLink.objects.get(evaluation=demo)
    assert share.label == "Fondation partenaire (démonstration)" and share.is_active


def test_every_evaluation_row_is_demo_and_no_answer_names_anyone(demo):
    assert not Evaluation.objects.filter(is_demo=False).exists()
    assert not Respondent.objects.filter(is_demo=False).exists()
    names = {p.first_name for p in Participant.objects.filter(site__program=demo.program)}
    names |= set(Mission.objects.filter(program=demo.program).values_list("first_name", flat=True))
    names |= set(Mission.objects.filter(program=demo.program).values_list("last_name", flat=True))
    names |= {u.first_name for u in (*USERS, *CONTACTS)} | {u.last_name for u in (*USERS, *CONTACTS)}
    names.discard("")
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(names)) + r")\b")
    texts = Answer.objects.filter(response__respondent__evaluation=demo).exclude(text="")
    assert texts.count() >= 10
    for text in texts.values_list("text", flat=True):
        assert not pattern.search(text), text
    # The personal codes are codes, not names.
    for code in Respondent.objects.values_list("code", flat=True):
        assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code), code


def _answers() -> list[tuple]:
    fields = ("response__wave__kind", "item__code", "number", "text", "declined")
    return list(Answer.objects.order_by(*fields).values_list(*fields))


def test_loading_twice_gives_the_same_rows(demo, django_capture_on_commit_callbacks):
    first = {m.__name__: m.objects.count() for m in MODELS}
    answers = _answers()
    with django_capture_on_commit_callbacks(execute=True):
        load_demo()
    assert {m.__name__: m.objects.count() for m in MODELS} == first
    assert _answers() == answers


def test_the_report_shows_paired_results_and_suppresses_small_sites(demo):
    from terreau.evaluation.report import build_report

    report = build_report(evaluation=demo).as_dict()
    paired = [p for p in report["paired"] if p["audience"] == "participants"]
    assert len(paired) >= 5
    for entry in paired:
        assert not entry["suppressed"] and entry["result"]["n"] >= 80
        assert entry["result"]["mean_after"] > entry["result"]["mean_before"]  # a modest progress
    # By site: some sites have enough pairs to be shown, others too few (hidden, with a secondary one).
    sites = [b for p in paired for b in p["breakdowns"] if b["dimension"] == "site"]
    assert sites
    rows = [row for b in sites for row in b["rows"]]
    assert any(row["suppressed"] for row in rows) and any(not row["suppressed"] for row in rows)
    for row in rows:
        assert (row["result"] is None) == row["suppressed"]
    # The framework's indicators are measured against their targets, some met and some not.
    statuses = [i["status"] for section in report["framework"] for i in section["indicators"]]
    assert "met" in statuses and "not_met" in statuses
    assert report["quotes"]
