"""The evaluation report benchmark (bench/evaluation.py) at toy size: its data have the intended shape and every
measure runs once (no timing asserted)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from terreau.evaluation.models import Answer, Item, Respondent, Response

# Loaded under a name of its own: "evaluation" would clash with the tests' package of that name.
_PATH = Path(__file__).resolve().parents[2] / "bench" / "evaluation.py"
_SPEC = importlib.util.spec_from_file_location("bench_evaluation", _PATH)
bench = importlib.util.module_from_spec(_SPEC)
sys.modules["bench_evaluation"] = bench
_SPEC.loader.exec_module(bench)

pytestmark = pytest.mark.django_db


def test_toy_run_fills_and_measures(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    evaluation, user, counts = bench.fill(respondents=60, log=lambda *_: None)
    assert Item.objects.filter(instrument__evaluation=evaluation).count() == 30
    assert Respondent.objects.filter(evaluation=evaluation).count() == counts["respondents"] == 60
    responses = Response.objects.filter(respondent__evaluation=evaluation)
    assert responses.count() == counts["responses"]
    assert {"before", "after"} == set(responses.values_list("wave__kind", flat=True))
    answers = Answer.objects.filter(response__respondent__evaluation=evaluation)
    assert answers.count() == counts["answers"] > 60 * 25
    assert answers.filter(declined=True).exists()
    # A second fill replaces the first.
    evaluation, user, counts = bench.fill(respondents=60, log=lambda *_: None)
    assert Respondent.objects.count() == 60

    results = bench.measure(evaluation, user, runs=1, budget=60, pdf_runs=1)
    assert {"baseline", "build_report", "build_report_warm", "page", "page_warm", "pdf"} == set(results)
    for result in results.values():
        assert result["runs"] == 1 and result["median"] >= 0
    assert results["page"]["queries"] >= results["build_report"]["queries"] >= 1
    assert results["pdf"]["queries"] == 0  # the report is built once, the PDF only lays it out
    assert results["pdf"]["bytes"] > 1000
    text = bench.markdown(results, counts, note="toy run.")
    assert (
        "| report page (test Client, coordinator), from the stored analysis (what readers get) | 1 |" in text
    )
    assert "< 2 s" in text and "< 10 s" in text
