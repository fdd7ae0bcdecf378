"""Outputs (« réalisations ») of an evaluation's program over its period, from Terreau's own data.

Nothing is recomputed here that the program's dashboard already computes: sessions held, attendance,
volunteer hours and unique participants come from terreau.activities.dashboard (its per-site, per-month
buckets); a regular participant is terreau.activities.reports.is_regular's (at least 3 sessions and half of
their site's held sessions since they registered, terreau.activities.rules); volunteer hours are valued at
the year's default hourly rate of terreau.contributions.rules (the SMIC, as for volunteering contributions);
partner contributions are the program's live contributions pledged in the period, at the value
terreau.contributions.valuation gave them. Every site of the program counts (the report shows aggregates
only, to whoever may see the evaluation).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from terreau.activities import dashboard
from terreau.activities.models import Attendance, Participant, Session
from terreau.activities.reports import is_regular
from terreau.contributions.models import Contribution
from terreau.contributions.rules import MissingYear, rules
from terreau.evaluation.models import Evaluation, Indicator

Metric = Indicator.Metric
CENT = Decimal("0.01")


@dataclass
class Outputs:
    sessions_held: int = 0
    sessions_planned: int = 0
    attendance: int = 0
    participants_reached: int = 0
    regular_participants: int = 0
    volunteer_hours: float = 0.0
    volunteer_value: Decimal | None = None  # None when a year has no known hourly rate
    contributions_value: Decimal = Decimal("0.00")
    contributions_count: int = 0
    contributions_by_kind: list[tuple[str, int, Decimal]] = field(default_factory=list)
    sites_active: int = 0
    sites_total: int = 0
    sites: dict[int, tuple[str, str, str]] = field(default_factory=dict)  # id -> (name, dept, dept name)
    notes: list[str] = field(default_factory=list)

    def value(self, metric: str) -> float | Decimal | int | None:
        """The measured value of an output indicator's metric."""
        return getattr(self, metric, None) if metric in Metric.values else None

    def as_dict(self) -> dict:
        return {
            "sessions_held": self.sessions_held,
            "sessions_planned": self.sessions_planned,
            "attendance": self.attendance,
            "participants_reached": self.participants_reached,
            "regular_participants": self.regular_participants,
            "volunteer_hours": self.volunteer_hours,
            "volunteer_value": None if self.volunteer_value is None else float(self.volunteer_value),
            "contributions_value": float(self.contributions_value),
            "contributions_count": self.contributions_count,
            "contributions_by_kind": [
                {"kind": kind, "count": n, "value": float(value)}
                for kind, n, value in self.contributions_by_kind
            ],
            "sites_active": self.sites_active,
            "sites_total": self.sites_total,
        }


def _bounds(evaluation: Evaluation) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(evaluation.period_start, datetime.time.min))
    end = timezone.make_aware(
        datetime.datetime.combine(evaluation.period_end + datetime.timedelta(days=1), datetime.time.min)
    )
    return start, end


def scope(evaluation: Evaluation) -> dashboard.Scope:
    """Every site of the program over the evaluation's period (the dashboard's scope, without a user)."""
    from terreau.programs.models import HostSite

    rows = HostSite.objects.filter(program_id=evaluation.program_id).values_list(
        "pk", "name", "commune__department_id", "commune__department__name"
    )
    start, end = _bounds(evaluation)
    return dashboard.Scope(
        sites={pk: (name, str(dept), str(dept_name)) for pk, name, dept, dept_name in rows},
        start=start,
        end=end,
    )


def regular_participants(where: dashboard.Scope) -> int:
    """Participants of the sites in scope who are regular over the period (reports.is_regular): present
    at 3 sessions at least, and at half of their site's sessions held since they registered (3 queries)."""
    if not where.sites:
        return 0
    sites = list(where.sites)
    counts = dict(
        Attendance.objects.filter(
            report__session__site_id__in=sites,
            report__session__status=Session.Status.HELD,
            report__session__starts_at__gte=where.start,
            report__session__starts_at__lt=where.end,
        )
        .order_by()
        .values_list("participant_id")
        .annotate(n=Count("pk"))
        .values_list("participant_id", "n")
    )
    if not counts:
        return 0
    held: dict[int, list[datetime.datetime]] = defaultdict(list)
    for site_id, starts_at in (
        where.sessions().filter(status=Session.Status.HELD).values_list("site_id", "starts_at")
    ):
        held[site_id].append(starts_at)
    regular = 0
    for pk, site_id, created_at in Participant.objects.filter(pk__in=list(counts)).values_list(
        "pk", "site_id", "created_at"
    ):
        since = max(where.start, created_at - datetime.timedelta(days=1))
        total = sum(1 for at in held.get(site_id, ()) if at >= since) or 1
        n = counts[pk]
        regular += is_regular(n, min(n / total, 1.0))
    return regular


def _volunteer_value(dash: dashboard.Dashboard) -> tuple[Decimal | None, list[str]]:
    """Hours of each month × the year's default hourly rate (terreau.contributions.rules)."""
    total = Decimal("0")
    for row in dash.months:
        if not row.volunteer_hours:
            continue  # a month without volunteering needs no rate
        year = int(row.key[:4])
        try:
            rate = rules().hourly_rate(year).value
        except MissingYear as missing:
            return None, [str(missing.message)]
        total += Decimal(str(row.volunteer_hours)) * rate
    return total.quantize(CENT), []


def compute(*, evaluation: Evaluation) -> Outputs:
    where = scope(evaluation)
    dash = dashboard.build(scope=where)
    out = Outputs(
        sessions_held=dash.held,
        sessions_planned=dash.planned,
        attendance=dash.attendance,
        participants_reached=dash.unique_participants,
        volunteer_hours=dash.volunteer_hours,
        sites_active=sum(1 for row in dash.sites if row.held),
        sites_total=len(where.sites),
        sites=dict(where.sites),
    )
    out.regular_participants = regular_participants(where)
    out.volunteer_value, notes = _volunteer_value(dash)
    out.notes.extend(notes)
    contributions = (
        Contribution.objects.for_program(evaluation.program)
        .live()
        .filter(pledged_on__gte=evaluation.period_start, pledged_on__lte=evaluation.period_end)
    )
    for kind, n, value in (
        contributions.order_by().values_list("kind").annotate(n=Count("pk"), v=Sum("value")).order_by("kind")
    ):
        out.contributions_by_kind.append((kind, n, value or Decimal("0.00")))
        out.contributions_count += n
        out.contributions_value += value or Decimal("0.00")
    return out
