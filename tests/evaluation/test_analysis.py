"""The analysis and the report's figures on fixed data, computed by hand (terreau.evaluation.analysis, report).

World (``make_world``): a program with sites A (10 enrolled participants, 2 more self-registered by link),
B (3 enrolled, another department), C (6 enrolled, no answer); an evaluation (minimum count 5) with a before
and an after wave; the before wave answered on questionnaire version 1, the after wave on version 2 (new
item rows, same codes): the analysis must pair them by code.

- before: a0..a8 and b0..b2 submit; a9 starts but never submits (its answer must not count). Likert
  "isolement" = 2 for all of them.
- after: a0..a9, b0, b1, s0, s1 submit. "isolement": a0..a9 → 4, b0 → 3, b1 → 2, s0, s1 → 5.
- pairs (both waves submitted): a0..a8 and b0, b1 = 11; before mean 2, after mean 41/11, 10 of 11 improved.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from terreau.evaluation import analysis
from terreau.evaluation.models import Indicator, Wave
from terreau.evaluation.report import build_report
from tests.evaluation.factories import (
    AnswerFactory,
    EvaluationFactory,
    EvaluationQuestionFactory,
    HostSiteFactory,
    IndicatorFactory,
    InstrumentFactory,
    ItemFactory,
    RespondentFactory,
    ResponseFactory,
    WaveFactory,
)
from tests.factories import CommuneFactory, DepartmentFactory

pytestmark = pytest.mark.django_db

HOSTILE = "Super <b>atelier</b> & merci à Josiane Dupont ! Appelez le 06 12 34 56 78 ou jean.d@example.org"


def make_world(*, min_count: int = 5) -> SimpleNamespace:
    site_a = HostSiteFactory(name="Résidence A")
    program = site_a.program
    other_dept = DepartmentFactory(code="79", name="Deux-Sèvres")
    site_b = HostSiteFactory(
        program=program,
        name="Club B",
        commune=CommuneFactory(code="79191", name="Niort", department=other_dept),
    )
    site_c = HostSiteFactory(program=program, name="Maison C")
    evaluation = EvaluationFactory(
        program=program, collecting=True, min_count=min_count, title="Évaluation <script>x</script>"
    )
    before = WaveFactory(evaluation=evaluation, closed=True)
    after = WaveFactory(evaluation=evaluation, after=True, open=True)
    v1 = InstrumentFactory(evaluation=evaluation, frozen=True, is_current=False, version=1)
    v2 = InstrumentFactory(evaluation=evaluation, frozen=True, version=2, previous=v1)
    items = {}
    for instrument in (v1, v2):
        items[instrument.version] = SimpleNamespace(
            likert=ItemFactory(
                instrument=instrument, order=1, code="isolement", text="Je me sens entouré·e."
            ),
            yes_no=ItemFactory(instrument=instrument, order=2, code="seul", yes_no=True),
            text=ItemFactory(instrument=instrument, order=3, code="avis", text_kind=True),
        )
    people = {}
    for i in range(10):
        people[f"a{i}"] = RespondentFactory(evaluation=evaluation, site=site_a, code=f"A{i:03d}-XX")
    for i in range(3):
        people[f"b{i}"] = RespondentFactory(
            evaluation=evaluation, site=site_b, code=f"B{i:03d}-XX", age_band="80_89"
        )
    for i in range(6):
        people[f"c{i}"] = RespondentFactory(evaluation=evaluation, site=site_c, code=f"C{i:03d}-XX")
    for i in range(2):
        people[f"s{i}"] = RespondentFactory(
            evaluation=evaluation, site=site_a, code=f"S{i:03d}-XX", self_registered=True
        )
    now = timezone.now()

    def answer(who, wave, instrument, likert, *, submitted=True, yes=None, text=""):
        response = ResponseFactory(
            respondent=people[who], wave=wave, instrument=instrument, submitted_at=now if submitted else None
        )
        its = items[instrument.version]
        AnswerFactory(response=response, item=its.likert, number=Decimal(likert))
        if yes is not None:
            AnswerFactory(response=response, item=its.yes_no, number=Decimal(yes))
        if text:
            AnswerFactory(response=response, item=its.text, number=None, text=text)

    for who in [f"a{i}" for i in range(9)] + ["b0", "b1", "b2"]:
        answer(who, before, v1, 2, yes=0)
    answer("a9", before, v1, 5, submitted=False)
    for i in range(10):
        # Free texts from five people: a quote is shown among at least min_count answers to its question.
        text = (
            HOSTILE
            if i == 0
            else f"Les ateliers du jeudi m'ont vraiment aidée, merci ({'x' * i})."
            if i < 5
            else ""
        )
        answer(f"a{i}", after, v2, 4, yes=1, text=text)
    answer("b0", after, v2, 3, yes=1)
    answer("b1", after, v2, 2, yes=0)
    answer("s0", after, v2, 5)
    answer("s1", after, v2, 5, text="Très contente de ces ateliers du jeudi.")
    question = EvaluationQuestionFactory(
        evaluation=evaluation, text="Les participants se sentent-ils entourés ?"
    )
    IndicatorFactory(
        evaluation=evaluation,
        question=question,
        outcome=True,
        item_code="isolement",
        label="Part des participants entourés",
        target=Decimal("60"),
    )
    IndicatorFactory(
        evaluation=evaluation,
        question=question,
        outcome=True,
        item_code="isolement",
        measure=Indicator.Measure.SHARE_IMPROVED,
        label="Part en progrès",
        target=Decimal("95"),
    )
    IndicatorFactory(evaluation=evaluation, target=Decimal("10"))  # sessions held: none
    IndicatorFactory(
        evaluation=evaluation,
        output_metric=Indicator.Metric.SITES_ACTIVE,
        label="Sites actifs",
        target=Decimal("0"),
    )
    return SimpleNamespace(
        program=program,
        evaluation=evaluation,
        sites=(site_a, site_b, site_c),
        waves=(before, after),
        instruments=(v1, v2),
        people=people,
    )


def _rate(rows, wave, site_id):
    return next(r for r in rows if r["wave"] == wave and r["site_id"] == site_id)


def test_response_rates_by_wave_and_site():
    world = make_world()
    site_a, site_b, site_c = world.sites
    rows = analysis.analyse(evaluation=world.evaluation).rates
    assert _rate(rows, "before", site_a.pk) | {} == {
        "wave": "before",
        "audience": "participants",
        "site_id": site_a.pk,
        "enrolled": 10,
        "submitted": 9,  # a9 never sent hers
        "rate": 90.0,
        "self_registered": 0,
    }
    assert _rate(rows, "before", site_b.pk)["rate"] == 100.0
    assert _rate(rows, "before", site_c.pk)["rate"] == 0.0
    total_before = _rate(rows, "before", None)
    assert (total_before["enrolled"], total_before["submitted"], total_before["rate"]) == (19, 12, 63.2)
    after_a = _rate(rows, "after", site_a.pk)
    assert (after_a["submitted"], after_a["rate"], after_a["self_registered"]) == (10, 100.0, 2)
    assert _rate(rows, "after", site_b.pk)["rate"] == 66.7
    total_after = _rate(rows, "after", None)
    assert (total_after["submitted"], total_after["self_registered"]) == (12, 2)


def test_pairs_by_code_across_versions_and_ignores_unsubmitted():
    world = make_world()
    result = analysis.analyse(evaluation=world.evaluation)
    likert = next(p for p in result.paired if p["code"] == "isolement")
    assert likert["n"] == 11
    stat = likert["result"]  # a terreau.evaluation.stats.Paired
    assert stat.mean_before == pytest.approx(2.0)
    assert stat.mean_after == pytest.approx(41 / 11)
    assert stat.mean_change == pytest.approx(41 / 11 - 2)
    assert stat.share_improved == pytest.approx(10 / 11)
    assert stat.test.name == "test des rangs signés de Wilcoxon"
    by_site = {g["key"]: g["n"] for g in likert["breakdowns"]["site"]}
    assert by_site == {world.sites[0].pk: 9, world.sites[1].pk: 2}
    yes_no = next(p for p in result.paired if p["code"] == "seul")
    assert yes_no["n"] == 11 and yes_no["result"].n_improved == 10


def test_distribution_after_wave():
    world = make_world()
    result = analysis.analyse(evaluation=world.evaluation)
    dist = next(d for d in result.distributions if d["wave"] == "after" and d["code"] == "isolement")
    assert dist["n"] == 14
    assert {o["value"]: o["count"] for o in dist["options"]} == {"1": 0, "2": 1, "3": 1, "4": 10, "5": 2}
    before = next(d for d in result.distributions if d["wave"] == "before" and d["code"] == "isolement")
    assert before["n"] == 12  # a9's unsent 5 is not there
    assert not any(d["code"] == "avis" for d in result.distributions)  # free text is quoted, not counted


def test_anonymise_removes_contacts_and_names():
    text = analysis.anonymise(HOSTILE)
    assert (
        "example.org" not in text and "06 12" not in text and "Josiane" not in text and "Dupont" not in text
    )
    assert text.startswith("Super")
    assert "[courriel]" in text and "[téléphone]" in text
    assert (
        analysis.anonymise("Né en 1942, au 12 rue Victor Hugo")
        == "Né en [nombre], au [nombre] rue [nom] [nom]"
    )


def test_report_figures_and_suppression():
    world = make_world(min_count=5)
    site_a, site_b, site_c = world.sites
    report = build_report(evaluation=world.evaluation)
    # Site B (3 enrolled) is hidden; a second site is hidden with it so that the total does not reveal it.
    before_rows = [r for r in report.rates if r["wave"] == "before" and not r["is_total"]]
    hidden = {r["site"] for r in before_rows if r["suppressed"]}
    assert "Club B" in hidden and len(hidden) >= 2
    assert all(r["enrolled"] is None for r in before_rows if r["suppressed"])
    total = next(r for r in report.rates if r["wave"] == "before" and r["is_total"])
    assert not total["suppressed"] and total["rate"] == 63.2
    likert = next(p for p in report.paired if p["code"] == "isolement")
    assert likert["result"]["n"] == 11 and likert["result"]["small"]
    by_site = next(b for b in likert["breakdowns"] if b["dimension"] == "site")
    assert all(
        row["suppressed"] for row in by_site["rows"]
    )  # B has 2: hidden, and A by secondary suppression
    framework = report.framework[0]["indicators"]
    # 12 of 14 agree (4 or 5), but « 5 » (2 answers) is hidden: the share would give it away.
    assert (framework[0]["value"], framework[0]["status"]) == (None, "not_measurable")
    # 10 of 11 improved: the one who did not is hidden, and so is the count that would reveal them.
    assert likert["result"]["n_same"] is None and likert["result"]["share_improved"] is None
    assert framework[1]["status"] == "not_measurable"
    others = report.framework[1]["indicators"]
    assert [i["status"] for i in others] == ["not_met", "met"]  # 0 sessions held (target 10); 0 ≥ 0 sites
    assert report.quotes and "example.org" not in report.quotes[0]["text"]
    assert all(q["n"] >= 5 for q in report.quotes)  # never a quote among fewer answers than min_count
    assert any("Petits effectifs" in limit for limit in report.auto_limits)
    data = report.as_dict()
    assert data["period_start"] == "2026-01-01" and isinstance(
        data["paired"][0]["result"]["mean_after"], float
    )
    import json

    json.dumps(data)


def test_report_suppresses_everything_under_min_count():
    world = make_world(min_count=25)  # 21 respondents in all, 14 answers after, 11 pairs
    report = build_report(evaluation=world.evaluation)
    assert all(p["suppressed"] and p["result"] is None for p in report.paired)
    assert all(d["suppressed"] and d["n"] is None and not d["options"] for d in report.distributions)
    assert report.framework[0]["indicators"][0]["status"] == "not_measurable"
    assert report.quotes == []
    assert "Josiane" not in str(report.as_dict())


def test_wave_kinds_only_before_after_pairs():
    world = make_world()
    Wave.objects.filter(pk=world.waves[1].pk).update(
        kind=Wave.Kind.FOLLOW_UP, opens_on=datetime.date(2026, 11, 2), closes_on=datetime.date(2026, 12, 1)
    )
    assert analysis.analyse(evaluation=world.evaluation).paired == []
