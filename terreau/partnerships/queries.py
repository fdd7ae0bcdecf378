"""Read-side of the partnership pipeline (a branch's for its staff, a member's own): counts per stage and per
month."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMonth

from terreau.partnerships.models import Partnership


@dataclass
class Pipeline:
    by_stage: list[tuple[str, str, int]]  # (code, label, count)
    by_month: list[tuple[date, list[int]]]  # (first day of the month, partnerships opened then, per stage)
    total: int


def pipeline(qs: QuerySet[Partnership]) -> Pipeline:
    stage_counts = Counter(
        dict(qs.order_by().values_list("stage").annotate(n=Count("pk")).values_list("stage", "n"))
    )
    by_stage = [(code, label, stage_counts.get(code, 0)) for code, label in Partnership.Stage.choices]
    months: dict[date, dict[str, int]] = {}
    rows = (
        qs.order_by()
        .annotate(month=TruncMonth("created_at"))
        .values("month", "stage")
        .annotate(n=Count("pk"))
        .values_list("month", "stage", "n")
    )
    for month, stage, n in rows:
        key = month.date() if isinstance(month, datetime) else month
        months.setdefault(key, {})[stage] = n
    by_month = [
        (month, [counts.get(code, 0) for code, _label in Partnership.Stage.choices])
        for month, counts in sorted(months.items(), reverse=True)
    ]
    return Pipeline(by_stage=by_stage, by_month=by_month, total=sum(stage_counts.values()))
