"""The stored analysis: computed once, shown at once while newer answers are analysed by a job."""

from __future__ import annotations

import pytest

from terreau.evaluation import snapshots
from terreau.evaluation.models import AnalysisSnapshot
from terreau.evaluation.tasks import refresh_analyses
from tests.evaluation.factories import AnswerFactory, EvaluationFactory, ResponseFactory, WaveFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def evaluation():
    evaluation = EvaluationFactory(collecting=True)
    wave = WaveFactory(evaluation=evaluation, open=True)
    response = ResponseFactory(wave=wave, respondent__evaluation=evaluation, submitted=True)
    AnswerFactory(response=response, item__instrument=response.instrument, number=4)
    return evaluation


def test_the_analysis_is_computed_once_then_read_back(evaluation, django_assert_max_num_queries):
    first = snapshots.analyse_cached(evaluation=evaluation)
    assert AnalysisSnapshot.objects.filter(evaluation=evaluation).count() == 1
    assert not first.stale and first.computed_at is not None
    with django_assert_max_num_queries(5):  # the fingerprint and the stored row, not the answers
        again = snapshots.analyse_cached(evaluation=evaluation)
    assert again.respondents == first.respondents and again.evaluation == evaluation and not again.stale


def test_newer_answers_show_the_stored_analysis_and_queue_a_refresh(
    evaluation, django_capture_on_commit_callbacks
):
    snapshots.analyse_cached(evaluation=evaluation)
    wave = evaluation.waves.get()
    first = evaluation.respondents.get().responses.get()
    response = ResponseFactory(
        wave=wave, respondent__evaluation=evaluation, instrument=first.instrument, submitted=True
    )
    AnswerFactory(response=response, item=first.answers.get().item, number=2)
    with django_capture_on_commit_callbacks() as callbacks:
        shown = snapshots.analyse_cached(evaluation=evaluation)
    assert shown.stale and shown.respondents == 1  # the stored one, said to be out of date
    assert len(callbacks) == 1  # the job, run after the commit (inline here)
    for callback in callbacks:
        callback()
    fresh = snapshots.analyse_cached(evaluation=evaluation)
    assert not fresh.stale and fresh.respondents == 2


def test_the_job_refreshes_only_what_changed(evaluation):
    assert snapshots.refresh(evaluation=evaluation) is True
    assert snapshots.refresh(evaluation=evaluation) is False
    before = AnalysisSnapshot.objects.get(evaluation=evaluation).computed_at
    refresh_analyses.func()
    assert AnalysisSnapshot.objects.get(evaluation=evaluation).computed_at == before


def test_without_stale_figures_the_analysis_is_computed_now(evaluation):
    snapshots.analyse_cached(evaluation=evaluation)
    wave = evaluation.waves.get()
    first = evaluation.respondents.get().responses.get()
    response = ResponseFactory(
        wave=wave, respondent__evaluation=evaluation, instrument=first.instrument, submitted=True
    )
    AnswerFactory(response=response, item=first.answers.get().item, number=2)
    assert snapshots.analyse_cached(evaluation=evaluation, allow_stale=False).respondents == 2
