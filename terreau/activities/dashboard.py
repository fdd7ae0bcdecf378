"""Dashboard figures of a program: a handful of aggregate queries per page, none per row.

Session figures (planned, held, cancelled, attendance, volunteer minutes) come from the per-site, per-month
buckets of terreau.activities.stats (SiteMonthStats), summed by month and by site in SQL; departments and
totals are sums of the site rows. A date filter that cuts a month in two reads that month's sessions
directly. Unique participants are counted over the sessions in scope with one semi-join.

Access: ``scope_for`` resolves once the program's sites whose sessions the user may see (through
terreau.core.access.visible on Session), then every query filters on ``site_id IN (...)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from terreau.activities import stats
from terreau.activities.models import Attendance, Participant, Session, SiteMonthStats
from terreau.core.access import visible

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
    # Sessions already started, and those of them held: the rate says nothing about sessions to come.
    past: int = 0
    past_held: int = 0

    @property
    def held_rate(self) -> int:
        return round(100 * self.past_held / self.past) if self.past else 0


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
    past: int = 0  # sessions already started in scope
    past_held: int = 0

    @property
    def held_rate(self) -> int:
        """Share of the sessions already started that were held (sessions to come do not count)."""
        return round(100 * self.past_held / self.past) if self.past else 0

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


@dataclass(frozen=True)
class Scope:
    """What a dashboard covers: visible sites (id -> name, department code, department name), a period."""

    sites: dict[int, tuple[str, str, str]]
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive

    def sessions(self):
        return _in_period(Session.objects.filter(site_id__in=list(self.sites)), self.start, self.end)


def _in_period(qs, start, end, prefix: str = ""):
    if start is not None:
        qs = qs.filter(**{f"{prefix}starts_at__gte": start})
    if end is not None:
        qs = qs.filter(**{f"{prefix}starts_at__lt": end})
    return qs


def scope_for(
    *,
    user,
    program,
    site_id: int | None = None,
    department: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Scope:
    """The program's sites whose sessions ``user`` may see (one query), narrowed by the filters."""
    from terreau.programs.models import HostSite

    # Session.ACCESS is decided by the session's site alone: probing one session per site is exact.
    seen = visible(user, Session.objects.filter(site=OuterRef("pk")))
    sites = HostSite.objects.filter(program=program).filter(Exists(seen))
    if site_id is not None:
        sites = sites.filter(pk=site_id)
    if department:
        sites = sites.filter(commune__department_id=department)
    rows = sites.values_list("pk", "name", "commune__department_id", "commune__department__name")
    return Scope(
        sites={pk: (name, str(dept), str(dept_name)) for pk, name, dept, dept_name in rows},
        start=start,
        end=end,
    )


def _full_months(start, end):
    """(first full month, first month after the full ones, partial periods read from the sessions)."""
    low = high = None
    if start is not None:
        low = stats.month_of(start)
        if stats.month_start(low) != start:
            low = stats.next_month(low)
    if end is not None:
        high = stats.month_of(end)
    if low is not None and high is not None and low >= high:
        return None, None, [(start, end)]
    edges = []
    if start is not None and start < stats.month_start(low):
        edges.append((start, stats.month_start(low)))
    if end is not None and stats.month_start(high) < end:
        edges.append((stats.month_start(high), end))
    return low, high, edges


def _add(target: dict, key, values: dict) -> None:
    row = target.setdefault(key, dict.fromkeys(stats.FIGURES, 0))
    for k in stats.FIGURES:
        row[k] += values[k] or 0


def _hours(minutes: int) -> float:
    return round(minutes / 60, 1)


def _figures(sites: list[int], start, end) -> tuple[dict[date, dict], dict[int, dict]]:
    """Figures of the sites' sessions in [start, end) by month and by site: the monthly buckets for full
    months, the sessions themselves for the partial months at either end."""
    by_month: dict[date, dict] = {}
    by_site: dict[int, dict] = {}
    low, high, edges = _full_months(start, end)
    if edges != [(start, end)]:
        buckets = SiteMonthStats.objects.filter(site_id__in=sites)
        if low is not None:
            buckets = buckets.filter(month__gte=low)
        if high is not None:
            buckets = buckets.filter(month__lt=high)
        sums = {k: Sum(k) for k in stats.FIGURES}
        for row in buckets.order_by().values("month").annotate(**sums):
            _add(by_month, row["month"], row)
        for row in buckets.order_by().values("site_id").annotate(**sums):
            _add(by_site, row["site_id"], row)
    for lo, hi in edges:
        sessions = _in_period(Session.objects.filter(site_id__in=sites), lo, hi)
        for (site_id, month), values in stats.bucket_figures(sessions).items():
            _add(by_month, month, values)
            _add(by_site, site_id, values)
    return by_month, by_site


def build(*, scope: Scope, equipment=None) -> Dashboard:
    """Figures for ``scope``; ``equipment`` items (already scoped) for their status."""
    dash = Dashboard()
    by_month: dict[date, dict] = {}
    by_site: dict[int, dict] = {}
    if scope.sites:
        by_month, by_site = _figures(list(scope.sites), scope.start, scope.end)
    past_by_month, past_by_site = _past_figures(scope) if scope.sites else ({}, {})
    for month in sorted(by_month):
        dash.months.append(
            _row(month.strftime("%Y-%m"), month.strftime("%m/%Y"), by_month[month], past_by_month.get(month))
        )
    by_dept: dict[str, dict] = {}
    past_by_dept: dict[str, list[int]] = {}
    for site_id in sorted(by_site):
        name, dept, _dept_name = scope.sites[site_id]
        dash.sites.append(_row(str(site_id), name, by_site[site_id], past_by_site.get(site_id)))
        _add(by_dept, dept, by_site[site_id])
        total = past_by_dept.setdefault(dept, [0, 0])
        for i, n in enumerate(past_by_site.get(site_id, (0, 0))):
            total[i] += n
    names = {dept: dept_name for _name, dept, dept_name in scope.sites.values()}
    dash.departments = [
        _row(dept, names[dept], by_dept[dept], past_by_dept.get(dept)) for dept in sorted(by_dept)
    ]
    dash.planned = sum(r.planned for r in dash.sites)
    dash.held = sum(r.held for r in dash.sites)
    dash.cancelled = sum(r.cancelled for r in dash.sites)
    dash.attendance = sum(r.attendance for r in dash.sites)
    dash.volunteer_hours = round(sum(r.volunteer_hours for r in dash.sites), 1)
    dash.past = sum(r.past for r in dash.sites)
    dash.past_held = sum(r.past_held for r in dash.sites)
    dash.unique_participants = unique_participants(scope) if scope.sites else 0
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


def _row(key: str, label: str, values: dict, past=None) -> Row:
    past_count, past_held = past or (0, 0)
    return Row(
        key=key,
        label=str(label),
        planned=values["planned"],
        held=values["held"],
        cancelled=values["cancelled"],
        attendance=values["attendance"],
        volunteer_hours=_hours(values["volunteer_minutes"]),
        past=past_count,
        past_held=past_held,
    )


def _past_figures(scope: Scope) -> tuple[dict[date, tuple[int, int]], dict[int, tuple[int, int]]]:
    """(sessions started, of which held) in scope by month and by site. Every session of a month before the
    current one has started, so those months come from the monthly buckets; only the current month, where
    "started" moves with the clock, is read live from its sessions (one small grouped query)."""
    now = timezone.now()
    sites = list(scope.sites)
    cut = stats.month_start(stats.month_of(now))
    by_month: dict[date, tuple[int, int]] = {}
    by_site: dict[int, tuple[int, int]] = {}

    def add(month, site_id, n, n_held):
        for target, key in ((by_month, month), (by_site, site_id)):
            was = target.get(key, (0, 0))
            target[key] = (was[0] + n, was[1] + n_held)

    if scope.start is None or scope.start < cut:
        before_end = cut if scope.end is None else min(scope.end, cut)
        months, per_site = _figures(sites, scope.start, before_end)
        for month, row in months.items():
            add(month, None, row["planned"], row["held"])
        for site_id, row in per_site.items():
            add(None, site_id, row["planned"], row["held"])
    live_start = cut if scope.start is None else max(scope.start, cut)
    live_end = now if scope.end is None else min(scope.end, now)
    if live_start < live_end:
        rows = (
            _in_period(Session.objects.filter(site_id__in=sites), live_start, live_end)
            .order_by()
            .values_list("site_id")
            .annotate(n=Count("id"), n_held=Count("id", filter=HELD))
        )
        for site_id, n, n_held in rows:
            add(stats.month_of(live_start), site_id, n, n_held)
    by_month.pop(None, None)
    by_site.pop(None, None)
    return by_month, by_site


def unique_participants(scope: Scope) -> int:
    """Registered people of the sites in scope present at least once at a session in scope.

    A participant attends only their own site's sessions (services.report_save refuses anyone else), so
    without a period it is the sites' participants with any attendance: one index-only probe per person on
    attendance(participant_id). With a period, the probe also checks the session's date (semi-join).
    """
    attended = Attendance.objects.filter(participant=OuterRef("pk"))
    if scope.start is not None or scope.end is not None:
        attended = _in_period(
            attended.filter(report__session__site_id__in=list(scope.sites)),
            scope.start,
            scope.end,
            prefix="report__session__",
        )
    return Participant.objects.filter(site_id__in=list(scope.sites)).filter(Exists(attended)).count()


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
