"""The evaluation framework's services (issue 15): the lifecycle of evaluations and waves, refusals with French
messages (absurd dates, audiences in use, questionnaires missing), indicators, personal codes, enrolment of the
consenting participants (idempotent), erasure, collection and share links."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from terreau.core.models import AuditEvent
from terreau.evaluation import services
from terreau.evaluation.models import (
    Answer,
    Evaluation,
    EvaluationChange,
    Indicator,
    Respondent,
    Response,
    Wave,
    WaveChange,
)
from tests.evaluation.factories import (
    AnswerFactory,
    CollectionLinkFactory,
    EvaluationFactory,
    EvaluationQuestionFactory,
    HostSiteFactory,
    InstrumentFactory,
    ItemFactory,
    ParticipantFactory,
    ProgramFactory,
    RespondentFactory,
    ShareLinkFactory,
    WaveFactory,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date


def message(exc_info) -> str:
    return " ".join(exc_info.value.messages)


@pytest.fixture
def by():
    return UserFactory()


def ready(evaluation, audiences=("participants",)):
    """Give each audience a current questionnaire with one question."""
    for audience in audiences:
        ItemFactory(instrument=InstrumentFactory(evaluation=evaluation, audience=audience))


# --- evaluations --------------------------------------------------------------------------------------------


def test_create_starts_in_draft_with_history(by):
    program = ProgramFactory()
    evaluation = services.evaluation_create(
        program=program,
        by=by,
        title="  Évaluation 2026 ",
        period_start=D(2026, 1, 1),
        period_end="2026-12-31",
        audiences=["volunteers", "participants", "volunteers"],
        min_count=8,
    )
    assert evaluation.state == Evaluation.State.DRAFT
    assert evaluation.title == "Évaluation 2026"
    assert evaluation.audiences == ["participants", "volunteers"]
    assert evaluation.min_count == 8 and evaluation.created_by == by
    assert EvaluationChange.objects.filter(evaluation=evaluation, from_state="", to_state="draft").exists()


@pytest.mark.parametrize(
    ("start", "end", "audiences", "expected"),
    [
        (D(1, 1, 1), D(2026, 1, 1), ["participants"], "Indiquez une date entre 2000"),
        (D(2026, 1, 1), D(9999, 12, 31), ["participants"], "Indiquez une date entre 2000"),
        ("26/01/2026", D(2026, 12, 31), ["participants"], "date invalide"),
        (D(2026, 6, 1), D(2026, 1, 1), ["participants"], "doit suivre son début"),
        (D(2001, 1, 1), D(2030, 1, 1), ["participants"], "ne peut pas dépasser 10 ans"),
        (D(2026, 1, 1), D(2026, 12, 31), [], "au moins un public"),
        (D(2026, 1, 1), D(2026, 12, 31), ["martians"], "Public inconnu"),
    ],
)
def test_create_refuses_bad_input_in_french(by, start, end, audiences, expected):
    with pytest.raises(ValidationError) as exc:
        services.evaluation_create(
            program=ProgramFactory(),
            by=by,
            title="X",
            period_start=start,
            period_end=end,
            audiences=audiences,
        )
    assert expected in message(exc)
    assert not Evaluation.objects.exists()


def test_create_refuses_a_missing_title_and_a_bad_minimum(by):
    kwargs = {
        "program": ProgramFactory(),
        "by": by,
        "period_start": D(2026, 1, 1),
        "period_end": D(2026, 12, 31),
    }
    with pytest.raises(ValidationError, match="Indiquez le titre"):
        services.evaluation_create(title="  ", audiences=["participants"], **kwargs)
    with pytest.raises(ValidationError, match="entre 3 et 50"):
        services.evaluation_create(title="X", audiences=["participants"], min_count=2, **kwargs)
    with pytest.raises(ValidationError, match="nombre entier"):
        services.evaluation_create(title="X", audiences=["participants"], min_count="beaucoup", **kwargs)


def test_update_keeps_an_audience_in_use(by):
    evaluation = EvaluationFactory(audiences=["participants", "volunteers"])
    RespondentFactory(evaluation=evaluation, audience="volunteers")
    with pytest.raises(ValidationError) as exc:
        services.evaluation_update(evaluation=evaluation, by=by, audiences=["participants"])
    assert "Volontaires" in message(exc) and "ne peut plus être retiré" in message(exc)
    services.evaluation_update(
        evaluation=evaluation, by=by, audiences=["volunteers", "participants", "families"]
    )
    evaluation.refresh_from_db()
    assert evaluation.audiences == ["participants", "volunteers", "families"]
    with pytest.raises(ValidationError, match="Champ inconnu"):
        services.evaluation_update(evaluation=evaluation, by=by, state="closed")


def test_lifecycle_moves_and_refusals(by):
    evaluation = EvaluationFactory()
    with pytest.raises(ValidationError) as exc:
        services.evaluation_move(evaluation=evaluation, to=Evaluation.State.CLOSED, by=by)
    assert "En préparation" in message(exc) and "Terminée" in message(exc)
    services.evaluation_move(evaluation=evaluation, to=Evaluation.State.COLLECTING, by=by)
    wave = WaveFactory(evaluation=evaluation, open=True)
    services.evaluation_move(evaluation=evaluation, to=Evaluation.State.CLOSED, by=by)
    evaluation.refresh_from_db()
    wave.refresh_from_db()
    assert evaluation.state == Evaluation.State.CLOSED
    assert wave.state == Wave.State.CLOSED  # closing the evaluation closes its open waves
    services.evaluation_move(evaluation=evaluation, to=Evaluation.State.COLLECTING, by=by)  # reopened
    evaluation.refresh_from_db()
    assert evaluation.state == Evaluation.State.COLLECTING
    assert list(evaluation.history.values_list("to_state", flat=True).order_by("pk")) == [
        "collecting",
        "closed",
        "collecting",
    ]
    with pytest.raises(ValidationError, match="État inconnu"):
        services.evaluation_move(evaluation=evaluation, to="nowhere", by=by)


# --- questions and indicators ------------------------------------------------------------------------------


def test_questions_add_edit_move_delete(by):
    evaluation = EvaluationFactory()
    first = services.question_add(evaluation=evaluation, text="Moins isolés ?", by=by)
    second = services.question_add(evaluation=evaluation, text="Plus autonomes ?", by=by)
    assert (first.order, second.order) == (1, 2)
    services.question_move(question=second, direction="up", by=by)
    assert list(evaluation.questions.values_list("text", flat=True)) == ["Plus autonomes ?", "Moins isolés ?"]
    services.question_update(question=first, text="Moins seuls ?", by=by)
    indicator = services.indicator_add(
        evaluation=evaluation,
        by=by,
        label="Séances",
        kind="output",
        output_metric="sessions_held",
        question=first,
    )
    services.question_delete(question=first, by=by)
    indicator.refresh_from_db()
    assert indicator.question is None  # the indicator stays
    assert list(evaluation.questions.values_list("order", flat=True)) == [1]
    with pytest.raises(ValidationError, match="Indiquez la question"):
        services.question_add(evaluation=evaluation, text="", by=by)
    with pytest.raises(ValidationError, match="300 caractères au plus"):
        services.question_add(evaluation=evaluation, text="x" * 301, by=by)
    with pytest.raises(ValidationError, match="Déplacement inconnu"):
        services.question_move(question=second, direction="sideways", by=by)


def test_indicators_output_and_outcome(by):
    evaluation = EvaluationFactory(audiences=["participants"])
    question = EvaluationQuestionFactory(evaluation=evaluation)
    outcome = services.indicator_add(
        evaluation=evaluation,
        by=by,
        label="Moins isolés",
        kind="outcome",
        question=question,
        audience="participants",
        item_code="Isolement",
        measure="share_agree",
        target="62,5",
        output_metric="sessions_held",  # ignored for an outcome
    )
    assert (
        outcome.item_code == "isolement"
        and outcome.target == Decimal("62.50")
        and outcome.output_metric == ""
    )
    services.indicator_update(
        indicator=outcome, by=by, label="Séances", kind="output", output_metric="sites_active"
    )
    outcome.refresh_from_db()
    assert (outcome.kind, outcome.item_code, outcome.measure, outcome.target) == ("output", "", "", None)
    services.indicator_delete(indicator=outcome, by=by)
    assert not Indicator.objects.exists()


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"kind": "output"}, "donnée de Terreau"),
        (
            {"kind": "outcome", "audience": "families", "item_code": "x", "measure": "mean_after"},
            "public interrogé",
        ),
        ({"kind": "outcome", "audience": "participants", "measure": "mean_after"}, "code de la question"),
        (
            {"kind": "outcome", "audience": "participants", "item_code": "é t", "measure": "mean_after"},
            "sans accent",
        ),
        ({"kind": "outcome", "audience": "participants", "item_code": "x"}, "mesure"),
        (
            {
                "kind": "outcome",
                "audience": "participants",
                "item_code": "x",
                "measure": "share_agree",
                "target": "140",
            },
            "entre 0 et 100",
        ),
        ({"kind": "output", "output_metric": "sessions_held", "target": "1e40"}, "hors des limites"),
        ({"kind": "output", "output_metric": "sessions_held", "target": "NaN"}, "hors des limites"),
        ({"kind": "output", "output_metric": "sessions_held", "target": "beaucoup"}, "doit être un nombre"),
        ({"kind": "sideways"}, "nature"),
    ],
)
def test_indicator_refusals(by, fields, expected):
    evaluation = EvaluationFactory(audiences=["participants"])
    with pytest.raises(ValidationError) as exc:
        services.indicator_add(evaluation=evaluation, by=by, label="Indicateur", **fields)
    assert expected in message(exc)


def test_indicator_refuses_a_question_of_another_evaluation(by):
    evaluation = EvaluationFactory()
    other = EvaluationQuestionFactory()
    with pytest.raises(ValidationError, match="n'appartient pas"):
        services.indicator_add(
            evaluation=evaluation,
            by=by,
            label="X",
            kind="output",
            output_metric="sessions_held",
            question=other,
        )


# --- waves --------------------------------------------------------------------------------------------------


def test_wave_dates_stay_near_the_period(by):
    evaluation = EvaluationFactory()  # 2026
    wave = services.wave_add(
        evaluation=evaluation, kind="before", opens_on=D(2025, 11, 1), closes_on=D(2026, 1, 31), by=by
    )
    assert WaveChange.objects.filter(wave=wave, to_state="planned").exists()
    with pytest.raises(ValidationError) as exc:
        services.wave_add(
            evaluation=evaluation, kind="after", opens_on=D(2035, 1, 1), closes_on=D(2035, 2, 1), by=by
        )
    assert "proches de la période évaluée" in message(exc) and "31/12/2029" in message(exc)
    with pytest.raises(ValidationError, match="Indiquez une date entre 2000"):
        services.wave_add(
            evaluation=evaluation, kind="after", opens_on=D(1, 1, 1), closes_on=D(2026, 2, 1), by=by
        )
    with pytest.raises(ValidationError, match="doit suivre son ouverture"):
        services.wave_update(wave=wave, opens_on=D(2026, 3, 1), closes_on=D(2026, 2, 1), by=by)
    with pytest.raises(ValidationError, match="déjà une vague de ce type"):
        services.wave_add(
            evaluation=evaluation, kind="before", opens_on=D(2026, 1, 1), closes_on=D(2026, 2, 1), by=by
        )
    with pytest.raises(ValidationError, match="type de vague"):
        services.wave_add(
            evaluation=evaluation, kind="during", opens_on=D(2026, 1, 1), closes_on=D(2026, 2, 1), by=by
        )
    services.wave_update(wave=wave, opens_on="2026-01-05", closes_on="2026-02-05", by=by)
    wave.refresh_from_db()
    assert wave.opens_on == D(2026, 1, 5)


def test_wave_opens_only_when_every_audience_has_a_questionnaire(by):
    evaluation = EvaluationFactory(audiences=["participants", "volunteers"])
    wave = WaveFactory(evaluation=evaluation)
    InstrumentFactory(evaluation=evaluation, audience="participants")  # no question yet
    with pytest.raises(ValidationError) as exc:
        services.wave_open(wave=wave, by=by)
    assert "Participants" in message(exc) and "au moins une question" in message(exc)
    ready(evaluation, audiences=["volunteers"])
    ItemFactory(instrument=evaluation.instruments.get(audience="participants"))
    services.wave_open(wave=wave, by=by)
    wave.refresh_from_db()
    evaluation.refresh_from_db()
    assert wave.state == Wave.State.OPEN
    assert evaluation.state == Evaluation.State.COLLECTING  # a draft evaluation starts its collection
    services.wave_close(wave=wave, by=by)
    wave.refresh_from_db()
    assert wave.state == Wave.State.CLOSED
    with pytest.raises(ValidationError, match="ne peut pas passer"):
        services.wave_close(wave=wave, by=by)
    services.wave_open(wave=wave, by=by)  # reopened
    wave.refresh_from_db()
    assert wave.state == Wave.State.OPEN


def test_wave_of_a_closed_evaluation_does_not_open(by):
    evaluation = EvaluationFactory(closed=True)
    ready(evaluation)
    with pytest.raises(ValidationError, match="rouvrez d'abord la collecte"):
        services.wave_open(wave=WaveFactory(evaluation=evaluation), by=by)
    with pytest.raises(ValidationError, match="rouvrez la collecte"):
        services.wave_add(
            evaluation=evaluation, kind="after", opens_on=D(2026, 6, 1), closes_on=D(2026, 7, 1), by=by
        )


def test_wave_delete_only_when_planned_and_empty(by):
    wave = WaveFactory(open=True)
    with pytest.raises(ValidationError, match="Seule une vague prévue"):
        services.wave_delete(wave=wave, by=by)
    planned = WaveFactory(after=True)
    services.wave_delete(wave=planned, by=by)
    assert not Wave.objects.filter(pk=planned.pk).exists()


# --- respondents --------------------------------------------------------------------------------------------


def test_codes_are_unambiguous_and_unique():
    evaluation = EvaluationFactory()
    codes = {services.new_respondent_code(evaluation=evaluation) for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert re.fullmatch(r"[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}", code), code


def test_respondent_create_checks_audience_and_site(by):
    evaluation = EvaluationFactory(audiences=["participants"])
    site = HostSiteFactory(program=evaluation.program)
    respondent = services.respondent_create(
        evaluation=evaluation, audience="participants", site=site, age_band="70_79"
    )
    assert respondent.enrolled and respondent.site == site and len(respondent.code) == 9
    with pytest.raises(ValidationError, match="n'est pas interrogé"):
        services.respondent_create(evaluation=evaluation, audience="volunteers")
    with pytest.raises(ValidationError, match="n'appartient pas au programme"):
        services.respondent_create(evaluation=evaluation, audience="participants", site=HostSiteFactory())
    with pytest.raises(ValidationError, match="Tranche d'âge inconnue"):
        services.respondent_create(evaluation=evaluation, audience="participants", age_band="120")


def test_enrol_only_consenting_participants_and_is_idempotent(by):
    evaluation = EvaluationFactory(audiences=["participants"])
    site_a = HostSiteFactory(program=evaluation.program)
    site_b = HostSiteFactory(program=evaluation.program)
    odette = ParticipantFactory(site=site_a, age_band="80_89")
    marcel = ParticipantFactory(site=site_b, age_band="70_79")
    ParticipantFactory(site=site_a, no_consent=True)
    ParticipantFactory(site=site_a, anonymised=True)
    ParticipantFactory()  # another program's participant
    assert services.respondents_enrol_participants(evaluation=evaluation, by=by) == 2
    rows = {r.participant_id: r for r in Respondent.objects.filter(evaluation=evaluation)}
    assert set(rows) == {odette.pk, marcel.pk}
    assert (rows[odette.pk].site, rows[odette.pk].age_band) == (site_a, "80_89")
    assert rows[odette.pk].consent_on == odette.consent_on and rows[odette.pk].enrolled
    assert odette.first_name not in rows[odette.pk].code
    assert services.respondents_enrol_participants(evaluation=evaluation, by=by) == 0  # idempotent
    ParticipantFactory(site=site_b)
    assert services.respondents_enrol_participants(evaluation=evaluation, by=by) == 1
    assert Respondent.objects.filter(evaluation=evaluation).count() == 3


def test_enrol_refusals(by):
    with pytest.raises(ValidationError, match="n'interroge pas les participants"):
        services.respondents_enrol_participants(evaluation=EvaluationFactory(audiences=["volunteers"]), by=by)
    with pytest.raises(ValidationError, match="terminée"):
        services.respondents_enrol_participants(evaluation=EvaluationFactory(closed=True), by=by)


def test_erase_deletes_the_respondent_and_all_answers(by):
    answer = AnswerFactory(response__submitted=True)
    respondent = answer.response.respondent
    WaveFactory(evaluation=respondent.evaluation, after=True)
    kept = AnswerFactory()
    code = respondent.code
    services.respondent_erase(respondent=respondent, by=by)
    assert not Respondent.objects.filter(code=code).exists()
    assert not Response.objects.filter(respondent_id=respondent.pk).exists()
    assert list(Answer.objects.all()) == [kept]
    event = AuditEvent.objects.get(action=AuditEvent.Action.PERSONAL_DATA_ERASED)
    assert code in event.target and event.actor == by
    assert event.branch_id == respondent.evaluation.program.branch_id


# --- links --------------------------------------------------------------------------------------------------


def test_collection_links(by):
    evaluation = EvaluationFactory(audiences=["participants", "volunteers"])
    wave = WaveFactory(evaluation=evaluation)
    site = HostSiteFactory(program=evaluation.program)
    link = services.link_create(wave=wave, audience="participants", site=site, by=by)
    assert (
        services.link_create(wave=wave, audience="participants", site=site, by=by) == link
    )  # the active one
    other = services.link_create(wave=wave, audience="volunteers", by=by)
    assert other != link and other.site is None and other.created_by == by
    services.link_revoke(link=link, by=by)
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert services.link_create(wave=wave, audience="participants", site=site, by=by) != link
    with pytest.raises(ValidationError, match="n'est pas interrogé"):
        services.link_create(wave=wave, audience="families", by=by)
    with pytest.raises(ValidationError, match="n'appartient pas au programme"):
        services.link_create(wave=wave, audience="participants", site=HostSiteFactory(), by=by)
    with pytest.raises(ValidationError, match="close"):
        services.link_create(
            wave=WaveFactory(evaluation=evaluation, after=True, closed=True), audience="participants", by=by
        )
    assert CollectionLinkFactory(revoked=True).revoked_at is not None


def test_share_links(by):
    evaluation = EvaluationFactory()
    link = services.share_link_create(evaluation=evaluation, label="  Fondation X ", by=by)
    assert link.label == "Fondation X" and link.is_active and len(link.token) >= 20
    services.share_link_revoke(link=link, by=by)
    link.refresh_from_db()
    assert not link.is_active and link.revoked_by == by
    with pytest.raises(ValidationError, match="Indiquez le destinataire"):
        services.share_link_create(evaluation=evaluation, label="", by=by)
    with pytest.raises(ValidationError, match="150 caractères"):
        services.share_link_create(evaluation=evaluation, label="x" * 151, by=by)
    assert not ShareLinkFactory(revoked=True).is_active
