"""The evaluation's report: what funders read, on the page, in the PDF, through a share link and the API.

``build_report(evaluation=...)`` assembles the framework (evaluative questions, indicators with their measured
value against the target: met, not met, not measurable), the outputs from Terreau's data
(terreau.evaluation.outputs), the response rates, the distributions, the paired before/after results with
their breakdowns by site, department and age band, anonymised quotes, and the method and its limits (the
evaluation's own text, plus limits found automatically: small samples, self-selection, low response rates).

Suppression everywhere (terreau.evaluation.suppression, ``evaluation.min_count``): no figure computed on fewer
respondents than the minimum is shown, and in a breakdown a second group is hidden when one is, so that the
total does not give the hidden one away. Whoever may read the report (coordinators, evaluators, the branch's
staff, partner viewers, a funder through a share link) reads the same suppressed figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from terreau.evaluation import analysis as analysis_mod
from terreau.evaluation import outputs as outputs_mod
from terreau.evaluation import snapshots
from terreau.evaluation.instrument_models import Item
from terreau.evaluation.models import Audience, Evaluation, Indicator, Wave
from terreau.evaluation.response_models import Respondent

SMALL = 30  # « petits effectifs » below this many respondents (stats.SMALL_SAMPLE_THRESHOLD)
LOW_RATE = 50  # a response rate below this percentage is named among the limits
MET, NOT_MET, NOT_MEASURABLE = "met", "not_met", "not_measurable"
DIMENSIONS = {"site": "Par site", "department": "Par département", "age_band": "Par tranche d'âge"}


def suppression_module():
    from terreau.evaluation import suppression

    return suppression


def shown(n: int, min_count: int) -> bool:
    """Whether a figure computed on ``n`` respondents may be shown (suppression.visible_stat)."""
    return bool(suppression_module().visible_stat(n, min_count=min_count))


def hidden_keys(counts: dict[Any, int], min_count: int) -> set:
    """Keys of a breakdown to hide: primary (too few) and secondary suppression (suppression.suppress_counts)."""
    kept = suppression_module().suppress_counts(counts, min_count=min_count)
    return {key for key in counts if kept.get(key) is None}


@dataclass
class Report:
    evaluation_id: int
    title: str
    program: str
    purpose: str
    period_start: Any
    period_end: Any
    state: str
    min_count: int
    generated_at: Any
    respondents: int
    answers_analysed_at: Any = None  # when the answers were analysed (the stored analysis)
    update_pending: bool = False  # answers arrived since: a job is analysing them again
    framework: list[dict] = field(default_factory=list)
    outputs: list[dict] = field(default_factory=list)
    rates: list[dict] = field(default_factory=list)
    distributions: list[dict] = field(default_factory=list)
    paired: list[dict] = field(default_factory=list)
    quotes: list[dict] = field(default_factory=list)
    method: str = ""
    limits: str = ""
    auto_limits: list[str] = field(default_factory=list)
    contributions_by_kind: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        """JSON-ready (dates as ISO text, Decimals as floats); suppressed figures are None."""
        out = {
            key: getattr(self, key)
            for key in (
                "evaluation_id",
                "title",
                "program",
                "purpose",
                "state",
                "min_count",
                "respondents",
                "framework",
                "outputs",
                "rates",
                "distributions",
                "paired",
                "quotes",
                "method",
                "limits",
                "auto_limits",
                "contributions_by_kind",
            )
        }
        out["period_start"] = self.period_start.isoformat()
        out["period_end"] = self.period_end.isoformat()
        out["generated_at"] = self.generated_at.isoformat()
        out["answers_analysed_at"] = (
            self.answers_analysed_at.isoformat() if self.answers_analysed_at else None
        )
        out["update_pending"] = self.update_pending
        return analysis_mod.plain(out)


# --- Outputs -----------------------------------------------------------------------------------------------

UNITS = {
    Indicator.Metric.VOLUNTEER_VALUE: "€",
    Indicator.Metric.CONTRIBUTIONS_VALUE: "€",
    Indicator.Metric.VOLUNTEER_HOURS: "h",
}


def _outputs(out: outputs_mod.Outputs) -> list[dict]:
    return [
        {"metric": metric, "label": str(label), "value": out.value(metric), "unit": UNITS.get(metric, "")}
        for metric, label in Indicator.Metric.choices
    ]


# --- Distributions and paired results ----------------------------------------------------------------------


def _share(count: int, n: int) -> float | None:
    return round(100 * count / n, 1) if n else None


def _distribution(dist: dict, item: analysis_mod.ItemInfo, min_count: int) -> dict:
    """A distribution as the report shows it: hidden on too few respondents, and small answer counts hidden
    within it (suppression.shown_distribution, shown_describe)."""
    sup = suppression_module()
    shown_dist = dist["distribution"] and sup.shown_distribution(dist["distribution"], min_count=min_count)
    described = dist["describe"] and sup.shown_describe(dist["describe"], min_count=min_count)
    visible = bool(shown_dist) if dist["distribution"] is not None else bool(described)
    options = []
    if shown_dist:
        for option in dist["options"]:
            count = shown_dist.counts.get(option["value"])
            share = shown_dist.shares.get(option["value"])
            options.append(
                {
                    "label": option["label"],
                    "count": count,
                    "share": None if share is None else round(100 * share, 1),
                }
            )
    # A mean beside hidden counts gives them away (2 "oui" out of 10 is a mean of 0.2): none then.
    if any(o["count"] is None for o in options):
        described = None
    return {
        "wave": dist["wave"],
        "wave_label": str(Wave.Kind(dist["wave"]).label) if dist["wave"] in Wave.Kind.values else "",
        "audience": dist["audience"],
        "audience_label": _audience(dist["audience"]),
        "code": dist["code"],
        "kind": dist["kind"],
        "text": item.text,
        "n": (shown_dist.n if shown_dist else dist["n"]) if visible else None,
        "suppressed": not visible,
        "small": visible and dist["n"] < SMALL,
        "declined": dist["declined"] if visible else None,
        "options": options,
        "mean": described.mean if described else None,
        # Only from min_count answers on, like the mean (see suppression.shown_describe on a median that is one
        # person's answer); the minimum and the maximum are never shown.
        "median": described.median if described and dist["kind"] == Item.Kind.NUMBER else None,
        "sd": described.sd if described else None,
    }


def p_display(p: float | None) -> str:
    """« p < 0,001 » or « p = 0,042 » (French decimals), empty when there is no p-value."""
    if p is None:
        return ""
    return "p < 0,001" if p < 0.001 else "p = " + f"{p:.3f}".replace(".", ",")


def _result(paired: Any) -> dict:
    """A suppressed stats.Paired as plain figures (shares in percent)."""
    stat = analysis_mod.plain(paired)
    test = stat.get("test") or {}
    share = stat.get("share_improved")
    return {
        "n": stat.get("n"),
        "mean_before": stat.get("mean_before"),
        "mean_after": stat.get("mean_after"),
        "mean_change": stat.get("mean_change"),
        "ci_low": stat.get("ci_low"),
        "ci_high": stat.get("ci_high"),
        "effect_size": stat.get("cohen_dz"),
        "test": test.get("name"),
        "statistic": test.get("statistic"),
        "p_value": test.get("p_value"),
        "p_display": p_display(test.get("p_value")),
        "test_note": test.get("reason"),
        "share_improved": None if share is None else round(100 * share, 1),
        "n_improved": stat.get("n_improved"),
        "n_same": stat.get("n_same"),
        "n_worse": stat.get("n_worse"),
        "small": (stat.get("n") or 0) < SMALL,
    }


def _paired(entry: dict, item: analysis_mod.ItemInfo, min_count: int, labels: dict) -> dict | None:
    shown_paired = suppression_module().shown_paired
    overall = shown_paired(entry["result"], min_count=min_count)
    if overall is None:
        return {
            "audience": entry["audience"],
            "audience_label": _audience(entry["audience"]),
            "code": entry["code"],
            "text": item.text,
            "suppressed": True,
            "result": None,
            "breakdowns": [],
            "scale": (item.scale_min, item.scale_max) if item.kind == Item.Kind.LIKERT else None,
        }
    breakdowns = []
    for dim, title in DIMENSIONS.items():
        groups = entry["breakdowns"][dim]
        if len(groups) < 2:
            continue  # one group is the whole: nothing to break down
        hidden = hidden_keys({g["key"]: g["n"] for g in groups}, min_count)
        rows = []
        for group in groups:
            label = labels[dim].get(group["key"]) or _("Non renseigné")
            stat = None
            if group["key"] not in hidden:
                stat = shown_paired(group["result"], min_count=min_count)
            if stat is None:
                rows.append({"label": str(label), "suppressed": True, "result": None})
            else:
                rows.append({"label": str(label), "suppressed": False, "result": _result(stat)})
        breakdowns.append({"dimension": dim, "title": _(title), "rows": rows})
    return {
        "audience": entry["audience"],
        "audience_label": _audience(entry["audience"]),
        "code": entry["code"],
        "text": item.text,
        "kind": item.kind,
        "suppressed": False,
        "result": _result(overall),
        "breakdowns": breakdowns,
        "scale": (item.scale_min, item.scale_max) if item.kind == Item.Kind.LIKERT else None,
    }


# --- Rates -------------------------------------------------------------------------------------------------


def _rates(rows: list[dict], min_count: int, sites: dict) -> list[dict]:
    """Response rates; site rows on too few enrolled people are hidden (with a secondary one per wave and
    audience, so that the total does not give them away)."""
    out = []
    by_group: dict[tuple, dict] = {}
    for row in rows:
        if row["site_id"] is not None:
            by_group.setdefault((row["wave"], row["audience"]), {})[row["site_id"]] = row["enrolled"]
    hidden = {group: hidden_keys(counts, min_count) for group, counts in by_group.items()}
    for row in rows:
        site = row["site_id"]
        total = site is None
        suppressed = (not total and site in hidden.get((row["wave"], row["audience"]), set())) or (
            total and not shown(row["enrolled"] + row["self_registered"], min_count)
        )
        out.append(
            {
                "wave": row["wave"],
                "wave_label": str(Wave.Kind(row["wave"]).label),
                "audience": row["audience"],
                "audience_label": _audience(row["audience"]),
                "site": _("Tous les sites") if total else sites.get(site, (_("Sans site"),))[0],
                "is_total": total,
                "suppressed": suppressed,
                "enrolled": None if suppressed else row["enrolled"],
                "submitted": None if suppressed else row["submitted"],
                "rate": None if suppressed else row["rate"],
                "self_registered": None if suppressed else row["self_registered"],
            }
        )
    return out


# --- Framework ---------------------------------------------------------------------------------------------


def _measure(indicator: Indicator, out: outputs_mod.Outputs, dists: dict, pairs: dict) -> tuple[Any, str]:
    """(measured value, unit) of an indicator, None when it cannot be measured (or is suppressed)."""
    if indicator.kind == Indicator.Kind.OUTPUT:
        return out.value(indicator.output_metric), UNITS.get(indicator.output_metric, "")
    key = (indicator.audience, indicator.item_code)
    if indicator.measure in (Indicator.Measure.SHARE_AGREE, Indicator.Measure.MEAN_AFTER):
        dist = dists.get((Wave.Kind.AFTER, *key))
        if dist is None or dist["suppressed"]:
            return None, ""
        if indicator.measure == Indicator.Measure.MEAN_AFTER:
            return dist["mean"], ""
        if dist["kind"] == Item.Kind.LIKERT:
            counts = [o["count"] for o in dist["options"][-2:]]
        elif dist["kind"] == Item.Kind.YES_NO:
            counts = [dist["options"][0]["count"]]
        else:
            return None, ""
        if None in counts:
            return None, ""  # a hidden count would be given away
        return _share(sum(counts), dist["n"]), "%"
    pair = pairs.get(key)
    if pair is None or pair["suppressed"]:
        return None, ""
    if indicator.measure == Indicator.Measure.MEAN_CHANGE:
        return pair["result"]["mean_change"], ""
    return pair["result"]["share_improved"], "%"


def _indicator(indicator: Indicator, out, dists, pairs) -> dict:
    value, unit = _measure(indicator, out, dists, pairs)
    target = indicator.target
    if value is None:
        status, status_label = NOT_MEASURABLE, _("non mesurable")
    elif target is None:
        status, status_label = NOT_MEASURABLE, _("sans cible")
    elif Decimal(str(value)) >= target:
        status, status_label = MET, _("atteinte")
    else:
        status, status_label = NOT_MET, _("non atteinte")
    return {
        "label": indicator.label,
        "kind": indicator.kind,
        "kind_label": str(indicator.get_kind_display()),
        "source": indicator.source
        or (
            indicator.get_output_metric_display()
            if indicator.output_metric
            else _("Questionnaire (%(audience)s)") % {"audience": indicator.get_audience_display().lower()}
        ),
        "measure": str(indicator.get_measure_display()) if indicator.measure else "",
        "value": value,
        "unit": unit,
        "target": target,
        "status": status,
        "status_label": str(status_label),
    }


def _framework(evaluation: Evaluation, out, dists, pairs) -> list[dict]:
    questions = list(evaluation.questions.order_by("order", "pk"))
    indicators = list(evaluation.indicators.order_by("order", "pk"))
    sections = [
        {
            "question": q.text,
            "indicators": [_indicator(i, out, dists, pairs) for i in indicators if i.question_id == q.pk],
        }
        for q in questions
    ]
    loose = [_indicator(i, out, dists, pairs) for i in indicators if i.question_id is None]
    if loose:
        sections.append({"question": _("Autres indicateurs"), "indicators": loose})
    return sections


# --- Limits ------------------------------------------------------------------------------------------------


def _audience(code: str) -> str:
    return str(dict(Audience.choices).get(code, code))


def _auto_limits(report: Report, result: analysis_mod.Analysis) -> list[str]:
    limits = []
    small = [p for p in report.paired if not p["suppressed"] and p["result"]["small"]]
    if small:
        limits.append(
            ngettext(
                "Petits effectifs : %(n)d comparaison avant/après repose sur moins de %(k)d personnes ; "
                "elle est à lire avec prudence.",
                "Petits effectifs : %(n)d comparaisons avant/après reposent sur moins de %(k)d personnes ; "
                "elles sont à lire avec prudence.",
                len(small),
            )
            % {"n": len(small), "k": SMALL}
        )
    hidden = sum(1 for p in report.paired if p["suppressed"]) + sum(
        1 for d in report.distributions if d["suppressed"]
    )
    if hidden:
        limits.append(
            ngettext(
                "%(n)d résultat n'est pas affiché : il porte sur moins de %(k)d répondants.",
                "%(n)d résultats ne sont pas affichés : ils portent sur moins de %(k)d répondants.",
                hidden,
            )
            % {"n": hidden, "k": report.min_count}
        )
    low = [r for r in report.rates if r["is_total"] and r["rate"] is not None and r["rate"] < LOW_RATE]
    for row in low:
        limits.append(
            _(
                "Taux de réponse de %(rate)s %% (%(audience)s, vague « %(wave)s ») : les personnes qui ont "
                "répondu ne représentent peut-être pas toutes les autres."
            )
            % {
                "rate": str(row["rate"]).replace(".", ","),
                "audience": row["audience_label"],
                "wave": row["wave_label"],
            }
        )
    if any(r["is_total"] and r["self_registered"] for r in report.rates):
        limits.append(
            _(
                "Une partie des répondants s'est inscrite d'elle-même par un lien : elle n'entre pas dans le "
                "taux de réponse, et les plus motivés répondent souvent davantage (auto-sélection)."
            )
        )
    if result.paired:
        limits.append(
            _(
                "Les comparaisons avant/après portent sur les mêmes personnes, sans groupe témoin : une "
                "évolution n'est pas forcément due au programme seul."
            )
        )
    elif len(result.waves) < 2:
        limits.append(_("Une seule vague de collecte : aucune évolution ne peut être mesurée."))
    return limits


def build_report(*, evaluation: Evaluation) -> Report:
    result = snapshots.analyse_cached(evaluation=evaluation)
    out = outputs_mod.compute(evaluation=evaluation)
    min_count = evaluation.min_count
    labels = {
        "site": {pk: name for pk, (name, _d, _n) in out.sites.items()},
        "department": {d: f"{name} ({d})" for _s, d, name in out.sites.values()},
        "age_band": dict(Respondent.AgeBand.choices),
    }
    report = Report(
        evaluation_id=evaluation.pk,
        title=evaluation.title,
        program=evaluation.program.name,
        purpose=evaluation.purpose,
        period_start=evaluation.period_start,
        period_end=evaluation.period_end,
        state=str(evaluation.get_state_display()),
        min_count=min_count,
        generated_at=timezone.now(),
        respondents=result.respondents,
        answers_analysed_at=result.computed_at,
        update_pending=result.stale,
        method=evaluation.method,
        limits=evaluation.limits,
        outputs=_outputs(out),
        contributions_by_kind=[
            {"kind": kind, "count": n, "value": value} for kind, n, value in out.contributions_by_kind
        ],
    )
    report.rates = _rates(result.rates, min_count, out.sites)
    report.distributions = [
        _distribution(d, result.items[(d["audience"], d["code"])], min_count) for d in result.distributions
    ]
    report.paired = [
        _paired(p, result.items[(p["audience"], p["code"])], min_count, labels) for p in result.paired
    ]
    dists = {(d["wave"], d["audience"], d["code"]): d for d in report.distributions}
    pairs = {(p["audience"], p["code"]): p for p in report.paired}
    report.framework = _framework(evaluation, out, dists, pairs)
    if shown(result.respondents, min_count):
        report.quotes = [q for q in result.quotes if q.get("n", 0) >= min_count]
    report.auto_limits = _auto_limits(report, result) + out.notes
    return report
