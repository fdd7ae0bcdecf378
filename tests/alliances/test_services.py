"""Diagnosis services: lifecycle, consultation (invitations, answers, reminders), key issues, ballots, count,
publication; each refusal in French, nothing half-written."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from terreau.alliances import consultation, services
from terreau.alliances.models import ConsultationAnswer, Diagnosis, DiagnosisChange, KeyIssue
from terreau.territories.models import Department
from tests.alliances.conftest import ANSWER
from tests.factories import BranchRoleFactory, NeedOfferFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

S = Diagnosis.State


def _open(dw):
    services.diagnosis_move(diagnosis=dw.diagnosis, to=S.CONSULTATION, by=dw.facilitator)
    dw.diagnosis.refresh_from_db()


def test_create_is_for_branch_staff_and_records_history(dw):
    other = BranchRoleFactory().user
    with pytest.raises(PermissionDenied):
        services.diagnosis_save(
            diagnosis=Diagnosis(
                branch=dw.branch, title="X", period_start=date(2026, 1, 1), period_end=date(2026, 2, 1)
            ),
            by=other,
            departments=[Department.objects.get(code="86")],
        )
    assert list(dw.diagnosis.team.all()) == [dw.facilitator]
    assert DiagnosisChange.objects.filter(diagnosis=dw.diagnosis, from_state="", to_state=S.DRAFT).exists()


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (date(2026, 6, 1), date(2026, 1, 1), "précède"),
        (date(2, 1, 1), date(2026, 1, 1), "1990"),
        (date(2026, 1, 1), date(9999, 12, 31), "1990"),
    ],
)
def test_extreme_or_reversed_periods_are_refused(dw, start, end, message):
    diagnosis = Diagnosis(branch=dw.branch, title="Autre", period_start=start, period_end=end)
    with pytest.raises(ValidationError, match=message):
        services.diagnosis_save(
            diagnosis=diagnosis, by=dw.facilitator, departments=[Department.objects.get(code="86")]
        )
    assert not Diagnosis.objects.filter(title="Autre").exists()


def test_a_territory_is_required_and_codes_are_checked(dw):
    with pytest.raises(ValidationError, match="au moins un département"):
        services.diagnosis_save(
            diagnosis=Diagnosis(
                branch=dw.branch, title="Vide", period_start=date(2026, 1, 1), period_end=date(2026, 2, 1)
            ),
            by=dw.facilitator,
        )
    with pytest.raises(ValidationError, match="99999"):
        services.territory_from_codes(communes="86194, 99999")
    assert services.territory_from_codes(communes="86194")[1][0].name == "Poitiers"


def test_lifecycle_moves_and_refusals(dw):
    with pytest.raises(ValidationError, match="Brouillon"):
        services.diagnosis_move(diagnosis=dw.diagnosis, to=S.PUBLISHED, by=dw.facilitator)
    _open(dw)
    services.diagnosis_move(diagnosis=dw.diagnosis, to=S.ANALYSIS, by=dw.facilitator)
    services.diagnosis_move(diagnosis=dw.diagnosis, to=S.CONSULTATION, by=dw.facilitator, note="oubli")
    dw.diagnosis.refresh_from_db()
    assert dw.diagnosis.state == S.CONSULTATION
    assert dw.diagnosis.history.count() == 4


def test_invitations_are_sent_when_the_consultation_opens_then_reminded(
    dw, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invited, missing = consultation.invite(
            diagnosis=dw.diagnosis, organisations=[dw.a, dw.b, dw.c], by=dw.facilitator
        )
    assert [i.organisation for i in invited] == [dw.a, dw.b]
    assert missing == [dw.c]
    assert mail.outbox == []  # a draft: nothing leaves yet
    with django_capture_on_commit_callbacks(execute=True):
        _open(dw)
    assert sorted(m.to[0] for m in mail.outbox) == ["alpha@example.org", "beta@example.org"]
    invitation_a = dw.diagnosis.invitations.get(organisation=dw.a)
    assert str(invitation_a.token) in mail.outbox[0].body + mail.outbox[1].body
    # Inviting again invites nobody twice.
    assert consultation.invite(diagnosis=dw.diagnosis, organisations=[dw.a], by=dw.facilitator) == ([], [])
    # A answers; B does not: only B is reminded, twice at most, a week apart.
    consultation.answer_submit(diagnosis=dw.diagnosis, data=ANSWER, organisation=dw.a)
    mail.outbox.clear()
    now = timezone.now()
    assert consultation.send_reminders(now=now) == 0  # not a week yet
    with django_capture_on_commit_callbacks(execute=True):
        assert consultation.send_reminders(now=now + timedelta(days=8)) == 1
        assert consultation.send_reminders(now=now + timedelta(days=9)) == 0
        assert consultation.send_reminders(now=now + timedelta(days=16)) == 1
        assert consultation.send_reminders(now=now + timedelta(days=30)) == 0
    assert [m.to for m in mail.outbox] == [["beta@example.org"], ["beta@example.org"]]
    assert "Rappel" in mail.outbox[0].subject


def test_one_answer_per_organisation_and_nothing_after_closing(dw, django_capture_on_commit_callbacks):
    with pytest.raises(ValidationError, match="close"):
        consultation.answer_submit(diagnosis=dw.diagnosis, data=ANSWER, organisation=dw.a)
    _open(dw)
    with django_capture_on_commit_callbacks(execute=True):
        answer = consultation.answer_submit(diagnosis=dw.diagnosis, data=ANSWER, organisation=dw.a)
    assert str(answer.edit_token) in mail.outbox[-1].body
    with pytest.raises(ValidationError, match="déjà répondu"):
        consultation.answer_submit(diagnosis=dw.diagnosis, data=ANSWER, organisation=dw.a)
    # Typed names: the directory's organisation of that name, or a name compared without case nor accents.
    with pytest.raises(ValidationError, match="déjà répondu"):
        consultation.answer_submit(diagnosis=dw.diagnosis, data=ANSWER, organisation_name="atelier alpha")
    outsider = consultation.answer_submit(
        diagnosis=dw.diagnosis, data=ANSWER, organisation_name="Café associatif Élan"
    )
    assert outsider.organisation is None
    with pytest.raises(ValidationError, match="déjà répondu"):
        consultation.answer_submit(
            diagnosis=dw.diagnosis, data=ANSWER, organisation_name="CAFE ASSOCIATIF ELAN"
        )
    linked = consultation.answer_submit(diagnosis=dw.diagnosis, data=ANSWER, organisation_name="bureau beta")
    assert linked.organisation == dw.b
    assert ConsultationAnswer.objects.count() == 3
    consultation.answer_update(answer=answer, data={**ANSWER, "issues": "Mis à jour"})
    services.diagnosis_move(diagnosis=dw.diagnosis, to=S.ANALYSIS, by=dw.facilitator)
    with pytest.raises(ValidationError, match="close"):
        consultation.answer_update(answer=answer, data={**ANSWER, "issues": "Trop tard"})
    answer.refresh_from_db()
    assert answer.issues == "Mis à jour"


def test_answer_values_are_cleaned(dw):
    _open(dw)
    with pytest.raises(ValidationError, match="nom et votre adresse"):
        consultation.answer_submit(
            diagnosis=dw.diagnosis, data={**ANSWER, "respondent_name": " "}, organisation=dw.a
        )
    answer = consultation.answer_submit(
        diagnosis=dw.diagnosis,
        data={**ANSWER, "themes": ["inconnu", "bien-vieillir", "bien-vieillir"], "can_bring": ["gold"]},
        organisation=dw.a,
    )
    assert answer.themes == ["bien-vieillir"] and answer.can_bring == []


def test_tampered_and_closed_links(dw):
    for token in ("abc", "00000000-0000-0000-0000-000000000000", "", None):
        with pytest.raises(consultation.BadLink) as error:
            consultation.diagnosis_from_public_token(token)
        assert error.value.reason == "tampered"
    with pytest.raises(consultation.BadLink) as error:
        consultation.diagnosis_from_public_token(str(dw.diagnosis.public_token))
    assert error.value.reason == "closed"


def _key_issues(dw, *titles):
    return [
        services.key_issue_save(key_issue=KeyIssue(diagnosis=dw.diagnosis, title=t), by=dw.facilitator)
        for t in titles
    ]


def test_key_issues_with_evidence_ballots_count_and_publication(dw):
    _open(dw)
    consultation.invite(diagnosis=dw.diagnosis, organisations=[dw.a, dw.b], by=dw.facilitator)
    answer = consultation.answer_submit(diagnosis=dw.diagnosis, data=ANSWER, organisation=dw.a)
    need = NeedOfferFactory(organisation=dw.a, title="Bénévoles pour des visites")
    elsewhere = NeedOfferFactory(
        organisation=OrganisationFactory(
            commune__code="17300", commune__name="La Rochelle", commune__department__code="17"
        ),
    )
    age, digital, youth = _key_issues(dw, "Bien vieillir", "Accès au numérique", "Emploi des jeunes")
    services.key_issue_save(key_issue=age, by=dw.facilitator, answers=[answer], needs=[need])
    assert list(age.needs.all()) == [need]
    with pytest.raises(ValidationError, match="besoin du territoire"):
        services.key_issue_save(key_issue=age, by=dw.facilitator, needs=[elsewhere])
    with pytest.raises(ValidationError, match="déjà un enjeu"):
        _key_issues(dw, "bien vieillir")
    # Ballots: consulted organisations only, known candidates, each once.
    outsider = OrganisationFactory(branch=dw.branch)
    with pytest.raises(ValidationError, match="structures consultées"):
        services.ballot_cast(diagnosis=dw.diagnosis, organisation=outsider, ranking_ids=[age.pk])
    for bad, message in (
        ([age.pk, age.pk], "une place"),
        ([999999], "inconnu"),
        (["x"], "inconnu"),
        ([], "au moins"),
    ):
        with pytest.raises(ValidationError, match=message):
            services.ballot_cast(diagnosis=dw.diagnosis, organisation=dw.a, ranking_ids=bad)
    services.ballot_cast(diagnosis=dw.diagnosis, organisation=dw.a, ranking_ids=[youth.pk, age.pk])
    services.ballot_cast(
        diagnosis=dw.diagnosis, organisation=dw.a, ranking_ids=[age.pk, digital.pk, youth.pk]
    )
    services.ballot_cast(diagnosis=dw.diagnosis, organisation=dw.b, ranking_ids=[digital.pk, age.pk])
    assert dw.diagnosis.ballots.count() == 2  # replaced, not added
    table = services.count(dw.diagnosis)
    assert [(r["key_issue"].title, r["points"], r["firsts"], r["ballots"], r["rank"]) for r in table] == [
        ("Bien vieillir", 3, 1, 2, 1),
        ("Accès au numérique", 3, 1, 2, 1),
        ("Emploi des jeunes", 0, 0, 1, 3),
    ]
    with pytest.raises(ValidationError, match="déjà été classé"):
        services.key_issue_delete(key_issue=youth, by=dw.facilitator)
    with pytest.raises(ValidationError, match="pendant l'analyse"):
        services.key_issues_choose(diagnosis=dw.diagnosis, by=dw.facilitator, chosen=[age])
    services.diagnosis_move(diagnosis=dw.diagnosis, to=S.ANALYSIS, by=dw.facilitator)
    with pytest.raises(ValidationError, match="au moins un enjeu"):
        services.diagnosis_publish(diagnosis=dw.diagnosis, by=dw.facilitator)
    services.key_issues_choose(diagnosis=dw.diagnosis, by=dw.facilitator, chosen=[age, digital])
    services.diagnosis_move(diagnosis=dw.diagnosis, to=S.PUBLISHED, by=dw.facilitator)
    dw.diagnosis.refresh_from_db()
    assert dw.diagnosis.state == S.PUBLISHED and dw.diagnosis.published_at is not None
    with pytest.raises(ValidationError, match="pas ouvert"):
        services.ballot_cast(diagnosis=dw.diagnosis, organisation=dw.b, ranking_ids=[age.pk])
    with pytest.raises(ValidationError, match="publié"):
        services.key_issue_save(key_issue=age, by=dw.facilitator)


def test_due_consultations_close(dw):
    dw.diagnosis.consultation_closes_on = timezone.localdate() + timedelta(days=3)
    dw.diagnosis.save()
    _open(dw)
    assert services.close_due_consultations(today=timezone.localdate() + timedelta(days=3)) == 0
    assert services.close_due_consultations(today=timezone.localdate() + timedelta(days=4)) == 1
    dw.diagnosis.refresh_from_db()
    assert dw.diagnosis.state == S.ANALYSIS
