"""Session planning: the period's occurrences generated, then volunteers assigned by the pure planner
(terreau.activities.planner) to those still missing some; and, after a weekly session moved, the volunteers
who no longer meet the planner's rules taken off its occurrences. Translates between the database and the
planner's plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from terreau.activities import planner, stats
from terreau.activities.closed_days import absent_days, closed_days_by_site, public_holidays
from terreau.activities.models import Mission, RecurringSession, Session
from terreau.activities.plan_instance import Site, Slot, Volunteer, Window
from terreau.activities.sessions import local_dt, monday_of, sessions_generate


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def to_windows(data: Any) -> tuple[Window, ...]:
    """Stored JSON windows as planner windows (malformed entries are skipped)."""
    out = []
    for w in data or []:
        try:
            out.append(Window(int(w["weekday"]), _minutes(w["start"]), _minutes(w["end"])))
        except (KeyError, TypeError, ValueError):
            continue
    return tuple(out)


@dataclass(frozen=True)
class Skipped:
    """A weekly session's day left without a session: a public holiday or a closure of its site."""

    site: Any
    day: date
    at: time
    why: str


@dataclass
class PlanOutcome:
    sessions: int
    needed: int
    covered: int
    gaps: list[tuple[Session, int, tuple[str, ...]]]
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def coverage(self) -> float:
        return self.covered / self.needed if self.needed else 1.0


def _site_input(site) -> Site:
    lat = site.latitude if site.latitude is not None else getattr(site.commune, "latitude", None)
    lon = site.longitude if site.longitude is not None else getattr(site.commune, "longitude", None)
    return Site(id=site.pk, lat=lat, lon=lon, windows=to_windows(site.time_windows))


def _volunteer_input(mission: Mission, site_ids: frozenset[int], absent=frozenset()) -> Volunteer:
    commune = mission.home_commune
    return Volunteer(
        id=mission.pk,
        starts_on=mission.starts_on,
        ends_on=mission.ends_on,
        weekly_hours=float(mission.weekly_hours),
        availability=to_windows(mission.availability),
        site_ids=site_ids,
        lat=getattr(commune, "latitude", None),
        lon=getattr(commune, "longitude", None),
        absent=absent,
    )


@transaction.atomic
def plan_sessions(*, program, start: date, end: date, by=None) -> PlanOutcome:
    """Generate the period's occurrences, then assign volunteers to those still missing some."""
    sessions_generate(program=program, start=start, end=end)
    week_start = start - timedelta(days=start.weekday())
    week_end = end + timedelta(days=6 - end.weekday())
    sites = list(program.sites.select_related("commune"))
    missions = list(
        Mission.objects.filter(
            program=program, starts_on__lte=week_end, ends_on__gte=week_start
        ).select_related("home_commune")
    )
    through = Session.volunteers.through
    mission_sites: dict[int, set[int]] = {}
    for mid, sid in Mission.sites.through.objects.filter(mission__in=missions).values_list(
        "mission_id", "hostsite_id"
    ):
        mission_sites.setdefault(mid, set()).add(sid)
    sessions = list(
        Session.objects.filter(
            site__program=program,
            starts_at__gte=local_dt(week_start, time.min),
            starts_at__lt=local_dt(week_end + timedelta(days=1), time.min),
        )
        .exclude(status=Session.Status.CANCELLED)
        .select_for_update(of=("self",))
    )
    assigned: dict[int, list[int]] = {}
    for sid, mid in through.objects.filter(session__in=sessions).values_list("session_id", "mission_id"):
        assigned.setdefault(sid, []).append(mid)
    in_period = {
        s.pk
        for s in sessions
        if start <= timezone.localtime(s.starts_at).date() <= end and s.status == "planned"
    }
    slots = [
        Slot(
            id=s.pk,
            site_id=s.site_id,
            start=timezone.localtime(s.starts_at).replace(tzinfo=None),
            minutes=s.duration_minutes,
            needed=s.volunteers_needed if s.pk in in_period else len(assigned.get(s.pk, ())),
            assigned=tuple(assigned.get(s.pk, ())),
        )
        for s in sessions
    ]
    history: dict[int, dict[int, int]] = {}
    for site_id, mid, n in (
        through.objects.filter(
            session__site__program=program,
            session__starts_at__lt=local_dt(week_start, time.min),
            session__starts_at__gte=local_dt(week_start - timedelta(days=120), time.min),
        )
        .values_list("session__site_id", "mission_id")
        .annotate(n=Count("id"))
    ):
        history.setdefault(site_id, {})[mid] = n
    away = absent_days([m.pk for m in missions], week_start, week_end)
    result = planner.plan(
        sites=[_site_input(s) for s in sites],
        volunteers=[
            _volunteer_input(m, frozenset(mission_sites.get(m.pk, ())), away.get(m.pk, frozenset()))
            for m in missions
        ],
        slots=slots,
        history=history,
    )
    new_rows = [
        through(session_id=sid, mission_id=mid)
        for sid, mids in result.assignments.items()
        for mid in mids
        if mid not in assigned.get(sid, ())
    ]
    through.objects.bulk_create(new_rows, batch_size=1000)
    by_pk = {s.pk: s for s in sessions}
    stats.refresh(stats.buckets_of({by_pk[row.session_id] for row in new_rows}))  # no m2m signal either
    by_id = {s.pk: s for s in sessions}
    gaps = [(by_id[g.slot_id], g.missing, g.reasons) for g in result.gaps if g.slot_id in in_period]
    gaps.sort(key=lambda g: g[0].starts_at)
    needed = sum(s.needed for s in slots if s.id in in_period)
    covered = sum(min(len(result.assignments[s.id]), s.needed) for s in slots if s.id in in_period)
    return PlanOutcome(
        sessions=len(in_period),
        needed=needed,
        covered=covered,
        gaps=gaps,
        skipped=skipped_days(program=program, start=start, end=end),
    )


def skipped_days(*, program, start: date, end: date) -> list[Skipped]:
    """The days between start and end a weekly session of the program would have met but does not, because
    its site is closed (a public holiday of its department or a closure), with the French reason."""
    recurring = list(
        RecurringSession.objects.filter(site__program=program, starts_on__lte=end)
        .exclude(ends_on__lt=start)
        .select_related("site__commune")
        .order_by("weekday", "start_time", "pk")
    )
    if not recurring:
        return []
    sites = {rec.site_id: rec.site for rec in recurring}
    closed = closed_days_by_site(sites.values(), start, end)
    out = []
    for rec in recurring:
        first = max(start, rec.starts_on)
        last = min(end, rec.ends_on) if rec.ends_on else end
        day = first + timedelta(days=(rec.weekday - first.weekday()) % 7)
        while day <= last:
            if day in closed[rec.site_id]:
                dept = getattr(rec.site.commune, "department_id", None)
                holiday = public_holidays(dept, day, day).get(day)
                reason = closed[rec.site_id][day]
                if holiday:
                    why = _("jour férié (%(name)s)") % {"name": holiday}
                elif reason and reason != _("Fermeture du site"):
                    why = _("site fermé (%(reason)s)") % {"reason": reason}
                else:
                    why = _("site fermé")
                out.append(Skipped(site=rec.site, day=day, at=rec.start_time, why=why))
            day += timedelta(days=7)
    out.sort(key=lambda s: (s.day, s.at, s.site.name))
    return out


def _slot(session: Session, assigned) -> Slot:
    return Slot(
        id=session.pk,
        site_id=session.site_id,
        start=timezone.localtime(session.starts_at).replace(tzinfo=None),
        minutes=session.duration_minutes,
        needed=session.volunteers_needed,
        assigned=tuple(assigned),
    )


def release_unavailable(sessions: list[Session]) -> list[tuple[Session, Mission]]:
    """Take off ``sessions`` (just moved or lengthened, saved) the volunteers who no longer meet the planner's
    rules there, given their other sessions of those weeks; the others stay. Returns who left what."""
    from terreau.programs.models import HostSite

    through = Session.volunteers.through
    assigned: dict[int, list[int]] = {}
    for sid, mid in through.objects.filter(session__in=sessions).values_list("session_id", "mission_id"):
        assigned.setdefault(sid, []).append(mid)
    if not assigned:
        return []
    missions = {
        m.pk: m
        for m in Mission.objects.filter(pk__in={mid for mids in assigned.values() for mid in mids})
        .select_related("user", "home_commune")
        .order_by()
    }
    days = [timezone.localtime(s.starts_at).date() for s in sessions]
    others = Session.objects.filter(
        starts_at__gte=local_dt(monday_of(min(days)), time.min),
        starts_at__lt=local_dt(monday_of(max(days)) + timedelta(days=7), time.min),
        volunteers__in=list(missions),
    ).exclude(status=Session.Status.CANCELLED)
    others = others.exclude(pk__in=[s.pk for s in sessions]).distinct()
    other_assigned: dict[int, list[int]] = {}
    for sid, mid in through.objects.filter(session__in=others, mission__in=list(missions)).values_list(
        "session_id", "mission_id"
    ):
        other_assigned.setdefault(sid, []).append(mid)
    other_rows = list(others.order_by())
    site_ids = {s.site_id for s in sessions} | {s.site_id for s in other_rows}
    by_id = {s.pk: s for s in sessions}
    released = planner.unavailable(
        sites=[
            _site_input(site) for site in HostSite.objects.filter(pk__in=site_ids).select_related("commune")
        ],
        volunteers=[_volunteer_input(m, frozenset()) for m in missions.values()],
        slots=[_slot(s, assigned.get(s.pk, ())) for s in sessions if s.pk in assigned],
        others=[_slot(s, other_assigned.get(s.pk, ())) for s in other_rows],
    )
    if not released:
        return []
    pairs = [(by_id[sid], missions[mid]) for sid, mids in released.items() for mid in mids]
    pairs.sort(key=lambda pair: (pair[0].starts_at, pair[0].pk, pair[1].pk))
    gone = Q(pk__in=[])
    for s, m in pairs:
        gone |= Q(session_id=s.pk, mission_id=m.pk)
    through.objects.filter(gone).delete()
    stats.refresh(stats.buckets_of(s for s, _m in pairs))  # no m2m signal for a bulk delete
    return pairs
