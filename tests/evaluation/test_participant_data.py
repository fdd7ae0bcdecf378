"""A participant's evaluation answers follow their personal data: exported (described), erased, anonymised."""

from __future__ import annotations

import datetime

import pytest

from terreau.activities.participants import enforce_retention, participant_erase, participant_export
from terreau.evaluation.models import Answer, Respondent
from tests.evaluation.factories import (
    AnswerFactory,
    ParticipantFactory,
    RespondentFactory,
    ResponseFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered():
    participant = ParticipantFactory()
    respondent = RespondentFactory(participant=participant, site=participant.site)
    response = ResponseFactory(respondent=respondent, submitted=True)
    AnswerFactory(response=response, item__instrument=response.instrument, number=4)
    return participant, respondent


def test_the_export_names_the_evaluation_and_the_code_not_the_answers(answered):
    participant, respondent = answered
    lines = participant_export(participant=participant)["autres_donnees"]
    assert len(lines) == 1
    assert respondent.code in lines[0] and respondent.evaluation.title in lines[0]
    assert "1 questionnaire envoyé" in lines[0]


def test_a_participant_without_answers_is_told_so():
    participant = ParticipantFactory()
    assert participant_export(participant=participant)["autres_donnees"] == [
        "Aucune réponse à une évaluation."
    ]


def test_erasure_deletes_the_respondent_and_every_answer(answered):
    participant, respondent = answered
    other = AnswerFactory(number=2)  # someone else's answer stays
    participant_erase(participant=participant)
    assert not Respondent.objects.filter(pk=respondent.pk).exists()
    assert list(Answer.objects.values_list("pk", flat=True)) == [other.pk]


def test_retention_cuts_the_link_and_keeps_the_answers(answered):
    participant, respondent = answered
    participant.last_participation_on = datetime.date(2015, 1, 5)
    participant.save()
    assert enforce_retention(today=datetime.date(2026, 12, 1)) == 1
    respondent.refresh_from_db()
    assert respondent.participant_id is None
    assert Answer.objects.filter(response__respondent=respondent).count() == 1
