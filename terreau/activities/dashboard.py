"""Dashboard figures of a program: aggregate queries only (a handful per page, none per row).

The callers pass querysets already scoped by terreau.core.access (visible sessions); the unique
participants figure counts registered people behind those sessions without reading who they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from terreau.activities.models import Attendance, Session, SessionReport

HELD = Q(status=Session.Status.HELD)
CANCELLED = Q(status=Session.Status.CANCELLED)


@dataclass
class Row:
    key: str
    label: str
    planned: int = 0
    held: int = 0
    cancelled: int = 0
    attendance: int = 0
    volunteer_hours: float = 0.0

    @property
    def held_rate(self) -> int:
        return round(100 * self.held / self.planned) if self.planned else 0


@dataclass
class Dashboard:
    months: list[Row] = field(default_factory=list)
    sites: list[Row] = field(default_factory=list)
    departments: list[Row] = field(default_factory=list)
    planned: int = 0
    held: int = 0
    cancelled: int = 0
    attendance: int = 0
    unique_participants: int = 0
    volunteer_hours: float = 0.0
    equipment: list[tuple[str, int]] = field(default_factory=list)

    def chart(self, rows: list[Row]) -> list[dict]:
        """Bar geometry (percent of the largest value) for the server-side SVG charts."""
        top = max([r.planned for r in rows] + [1])
        return [
            {
                "row": r,
                "planned_pct": round(100 * r.planned / top, 1),
                "held_pct": round(100 * r.held / top, 1),
            }
            for r in rows
        ]

    @property
    def month_chart(self) -> list[dict]:
        return self.chart(self.months)


def _rows(qs, group: str, label: str, hours: dict) -> list[Row]:
    data = (
        qs.values(group, label)
        .annotate(
            planned=Count("id"),
            held=Count("id", filter=HELD),
            cancelled=Count("id", filter=CANCELLED),
            attendance=Sum("report__headcount", filter=HELD),
        )
        .order_by(group)
    )
    return [
        Row(
            key=str(d[group]),
            label=str(d[label]),
            planned=d["planned"],
            held=d["held"],
            cancelled=d["cancelled"],
            attendance=d["attendance"] or 0,
            volunteer_hours=round(hours.get(d[group], 0) / 60, 1),
        )
        for d in data
    ]


def _volunteer_minutes(qs, group: str) -> dict:
    through = Session.volunteers.through
    return dict(
        through.objects.filter(session__in=qs.filter(HELD).values("pk"))
        .values_list(f"session__{group}")
        .annotate(m=Sum("session__duration_minutes"))
        .values_list(f"session__{group}", "m")
    )


def build(*, sessions, equipment=None) -> Dashboard:
    """Figures for ``sessions`` (already scoped and filtered); ``equipment`` items for their status."""
    dash = Dashboard()
    months = (
        sessions.annotate(month=TruncMonth("starts_at"))
        .values("month")
        .annotate(
            planned=Count("id"),
            held=Count("id", filter=HELD),
            cancelled=Count("id", filter=CANCELLED),
            attendance=Sum("report__headcount", filter=HELD),
        )
        .order_by("month")
    )
    through = Session.volunteers.through
    month_minutes = dict(
        through.objects.filter(session__in=sessions.filter(HELD).values("pk"))
        .annotate(month=TruncMonth("session__starts_at"))
        .values_list("month")
        .annotate(m=Sum("session__duration_minutes"))
        .values_list("month", "m")
    )
    for d in months:
        month = d["month"]
        key = timezone.localtime(month).date() if hasattr(month, "tzinfo") and month.tzinfo else month
        if not isinstance(key, date):
            key = month.date()
        dash.months.append(
            Row(
                key=key.strftime("%Y-%m"),
                label=key.strftime("%m/%Y"),
                planned=d["planned"],
                held=d["held"],
                cancelled=d["cancelled"],
                attendance=d["attendance"] or 0,
                volunteer_hours=round((month_minutes.get(month) or 0) / 60, 1),
            )
        )
    dash.sites = _rows(sessions, "site_id", "site__name", _volunteer_minutes(sessions, "site_id"))
    dash.departments = _rows(
        sessions,
        "site__commune__department_id",
        "site__commune__department__name",
        _volunteer_minutes(sessions, "site__commune__department_id"),
    )
    totals = sessions.aggregate(
        planned=Count("id"),
        held=Count("id", filter=HELD),
        cancelled=Count("id", filter=CANCELLED),
        attendance=Sum("report__headcount", filter=HELD),
    )
    dash.planned, dash.held, dash.cancelled = totals["planned"], totals["held"], totals["cancelled"]
    dash.attendance = totals["attendance"] or 0
    dash.volunteer_hours = round(sum(r.volunteer_hours for r in dash.sites), 1)
    dash.unique_participants = (
        Attendance.objects.filter(report__in=SessionReport.objects.filter(session__in=sessions.values("pk")))
        .values("participant_id")
        .distinct()
        .count()
    )
    if equipment is not None:
        labels = dict(equipment.model._meta.get_field("state").choices)
        dash.equipment = [
            (str(labels.get(state, state)), n)
            for state, n in equipment.values_list("state")
            .annotate(n=Count("id"))
            .values_list("state", "n")
            .order_by("state")
        ]
    return dash


def session_rows(sessions):
    """Flat rows for the XLSX export (one query)."""
    return (
        sessions.annotate(n_volunteers=Count("volunteers", distinct=True))
        .values(
            "starts_at",
            "site__name",
            "site__commune__name",
            "site__commune__department_id",
            "status",
            "duration_minutes",
            "cancel_reason",
            "report__headcount",
            "n_volunteers",
        )
        .order_by("starts_at")
    )
