"""The median of a number question (terreau.evaluation.report, suppression.shown_describe): with an odd count it
is one person's own answer, so it is shown only from the evaluation's minimum count on, like the mean; the
minimum and the maximum (the extremes, which single out the outlier) are never shown."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from terreau.evaluation.report import build_report
from tests.evaluation.factories import (
    AnswerFactory,
    EvaluationFactory,
    InstrumentFactory,
    ItemFactory,
    RespondentFactory,
    ResponseFactory,
    WaveFactory,
)

pytestmark = pytest.mark.django_db


def _number_report(values: list[int], *, min_count: int) -> dict:
    evaluation = EvaluationFactory(collecting=True, min_count=min_count)
    wave = WaveFactory(evaluation=evaluation, open=True)
    item = ItemFactory(instrument=InstrumentFactory(evaluation=evaluation), code="sorties", number=True)
    for n, value in enumerate(values):
        response = ResponseFactory(
            respondent=RespondentFactory(evaluation=evaluation, code=f"MED{n:03d}-XX"),
            wave=wave,
            instrument=item.instrument,
            submitted_at=datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC),
        )
        AnswerFactory(response=response, item=item, number=Decimal(value))
    report = build_report(evaluation=evaluation)
    return next(d for d in report.distributions if d["code"] == "sorties")


def test_median_of_too_few_answers_is_hidden_even_with_an_odd_count():
    shown = _number_report([2, 97, 5], min_count=5)  # 5 would be one person's answer
    assert shown["suppressed"] and shown["median"] is None and shown["mean"] is None
    assert shown["n"] is None


def test_median_shown_from_the_minimum_count_on_and_never_the_extremes():
    shown = _number_report([1, 4, 4, 6, 97], min_count=5)
    assert not shown["suppressed"] and shown["n"] == 5
    assert shown["median"] == 4 and shown["mean"] == pytest.approx(22.4)
    assert "min" not in shown and "max" not in shown
    assert 97 not in [v for v in shown.values() if isinstance(v, int | float)]
    even = _number_report([1, 3, 5, 7, 9, 11], min_count=5)
    assert even["median"] == 6  # the mean of the two middle answers
