"""Session planner: assigns civic-service volunteers to session occurrences over a period.

Pure Python (no Django import): plain data in, plain data out, so that the web app, the CLI, the
benchmarks and the property tests run the very same code.

Hard rules (never broken, see tests/test_session_planner.py):
- a volunteer serves only while their mission runs (starts_on <= day <= ends_on);
- the session lies inside one of the volunteer's weekly availability windows;
- the session lies inside one of the site's time windows (a site declaring no window accepts any time);
- a volunteer's session minutes in an ISO week never exceed their mission's weekly hours;
- a volunteer is never in two sessions at once, and has the travel time between two sites on one day;
- a volunteer goes only to their assigned sites when they have some, else only to sites within
  ``max_travel_km`` of their home (when both positions are known).

Preferences (soft): keep the same volunteers at a site, travel less, spread the load.
Sessions that cannot be fully covered are listed with French reasons.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from terreau.activities import rules
from terreau.territories.proximity import haversine_km


@dataclass(frozen=True)
class Window:
    """A weekly window: weekday 0 (Monday) to 6, minutes since midnight [start, end)."""

    weekday: int
    start: int
    end: int

    def contains(self, weekday: int, start: int, end: int) -> bool:
        return weekday == self.weekday and self.start <= start and end <= self.end


@dataclass(frozen=True)
class Site:
    id: int
    lat: float | None = None
    lon: float | None = None
    windows: tuple[Window, ...] = ()


@dataclass(frozen=True)
class Volunteer:
    id: int
    starts_on: date
    ends_on: date
    weekly_hours: float
    availability: tuple[Window, ...] = ()
    site_ids: frozenset[int] = frozenset()  # assigned sites; empty: any site within reach
    lat: float | None = None
    lon: float | None = None
    max_travel_km: float = rules.MAX_TRAVEL_KM


@dataclass(frozen=True)
class Slot:
    """One session occurrence. ``start`` is local wall-clock time (naive)."""

    id: int
    site_id: int
    start: datetime
    minutes: int
    needed: int = 1
    assigned: tuple[int, ...] = ()  # volunteers already assigned (kept; they count in hours and overlaps)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)


@dataclass(frozen=True)
class Gap:
    slot_id: int
    missing: int
    reasons: tuple[str, ...]


@dataclass
class Plan:
    assignments: dict[int, tuple[int, ...]]  # slot id -> volunteer ids (pre-assigned ones included)
    gaps: list[Gap] = field(default_factory=list)
    needed: int = 0
    covered: int = 0

    @property
    def coverage(self) -> float:
        return self.covered / self.needed if self.needed else 1.0


REASONS = {
    "site_window": "la séance est en dehors des créneaux d'accueil du site",
    "no_volunteer": "aucun volontaire n'est affecté à ce site ni à portée de trajet",
    "dates": "aucune mission de volontaire n'est en cours à cette date",
    "availability": "aucun volontaire n'est disponible à cet horaire",
    "busy": "les volontaires disponibles sont déjà en séance (ou en trajet) à cette heure",
    "hours": "les volontaires disponibles ont atteint leurs heures de la semaine",
}


def _minute(dt: datetime) -> int:
    return dt.hour * 60 + dt.minute


def _inside(windows: Iterable[Window], slot: Slot) -> bool:
    """The slot (which must end on its start day) lies in one of the windows."""
    if slot.end.date() != slot.start.date() and not (slot.end.hour == 0 and slot.end.minute == 0):
        return False
    end = _minute(slot.end) or 24 * 60
    return any(w.contains(slot.start.weekday(), _minute(slot.start), end) for w in windows)


def site_accepts(site: Site, slot: Slot) -> bool:
    return not site.windows or _inside(site.windows, slot)


def distance_km(volunteer: Volunteer, site: Site) -> float | None:
    if None in (volunteer.lat, volunteer.lon, site.lat, site.lon):
        return None
    return haversine_km(volunteer.lat, volunteer.lon, site.lat, site.lon)


def within_reach(volunteer: Volunteer, site: Site) -> bool:
    if volunteer.site_ids:
        return site.id in volunteer.site_ids
    km = distance_km(volunteer, site)
    return km is None or km <= volunteer.max_travel_km


def site_distance_km(a: Site | None, b: Site | None) -> float:
    if a is None or b is None or a.id == b.id:
        return 0.0
    if None in (a.lat, a.lon, b.lat, b.lon):
        return 0.0
    return haversine_km(a.lat, a.lon, b.lat, b.lon)


def travel_minutes(a: Site | None, b: Site | None) -> int:
    km = site_distance_km(a, b)
    return math.ceil(km / rules.TRAVEL_SPEED_KMH * 60) if km else 0


def week_of(day: date) -> tuple[int, int]:
    iso = day.isocalendar()
    return (iso[0], iso[1])


class _Load:
    """What each volunteer already does: minutes per ISO week and sessions per day."""

    def __init__(self, sites: dict[int, Site]) -> None:
        self.sites = sites
        self.minutes: dict[tuple[int, tuple[int, int]], int] = defaultdict(int)
        self.day: dict[tuple[int, date], list[Slot]] = defaultdict(list)
        self.at_site: dict[tuple[int, int], int] = defaultdict(int)

    def add(self, volunteer_id: int, slot: Slot) -> None:
        self.minutes[(volunteer_id, week_of(slot.start.date()))] += slot.minutes
        self.day[(volunteer_id, slot.start.date())].append(slot)
        self.at_site[(volunteer_id, slot.site_id)] += 1

    def hours_left(self, volunteer: Volunteer, slot: Slot) -> bool:
        used = self.minutes[(volunteer.id, week_of(slot.start.date()))]
        return used + slot.minutes <= volunteer.weekly_hours * 60

    def free(self, volunteer_id: int, slot: Slot) -> bool:
        here = self.sites.get(slot.site_id)
        for other in self.day[(volunteer_id, slot.start.date())]:
            gap = travel_minutes(here, self.sites.get(other.site_id))
            if slot.start < other.end + timedelta(minutes=gap) and other.start < slot.end + timedelta(
                minutes=gap
            ):
                return False
        return True


def _static_candidates(
    volunteers: Sequence[Volunteer], site: Site, slot: Slot
) -> tuple[list[Volunteer], str | None]:
    """Volunteers who pass the rules that do not depend on other assignments; else the failing stage."""
    reach = [v for v in volunteers if within_reach(v, site)]
    if not reach:
        return [], "no_volunteer"
    day = slot.start.date()
    dated = [v for v in reach if v.starts_on <= day <= v.ends_on]
    if not dated:
        return [], "dates"
    available = [v for v in dated if _inside(v.availability, slot)]
    if not available:
        return [], "availability"
    return available, None


def plan(
    *,
    sites: Sequence[Site],
    volunteers: Sequence[Volunteer],
    slots: Sequence[Slot],
    history: dict[int, dict[int, int]] | None = None,
    baseline: bool = False,
) -> Plan:
    """Assign volunteers to slots.

    history: {site id: {volunteer id: sessions already served there}} to keep the same faces at a site.
    baseline: the naive greedy (chronological, first eligible volunteer by id), for benchmarks.
    """
    site_by_id = {s.id: s for s in sites}
    load = _Load(site_by_id)
    for site_id, counts in (history or {}).items():
        for vid, n in counts.items():
            load.at_site[(vid, site_id)] += n
    result: dict[int, list[int]] = {}
    for slot in slots:
        result[slot.id] = list(dict.fromkeys(slot.assigned))
        for vid in result[slot.id]:
            load.add(vid, slot)

    statics: dict[int, tuple[list[Volunteer], str | None]] = {}
    for slot in slots:
        site = site_by_id.get(slot.site_id, Site(id=slot.site_id))
        if not site_accepts(site, slot):
            statics[slot.id] = ([], "site_window")
        else:
            statics[slot.id] = _static_candidates(volunteers, site, slot)

    if baseline:
        order = sorted(slots, key=lambda s: (s.start, s.id))
    else:
        # Week by week (continuity builds up over time); inside a week, the hardest slots first.
        order = sorted(slots, key=lambda s: (week_of(s.start.date()), len(statics[s.id][0]), s.start, s.id))

    for slot in order:
        missing = slot.needed - len(result[slot.id])
        if missing <= 0:
            continue
        candidates, _stage = statics[slot.id]
        taken = set(result[slot.id])
        fit = [
            v for v in candidates if v.id not in taken and load.hours_left(v, slot) and load.free(v.id, slot)
        ]
        if not baseline:
            site = site_by_id.get(slot.site_id, Site(id=slot.site_id))

            def score(v: Volunteer, site: Site = site, slot: Slot = slot) -> tuple:
                used = load.minutes[(v.id, week_of(slot.start.date()))] / max(v.weekly_hours * 60, 1)
                km = distance_km(v, site)
                return (-min(load.at_site[(v.id, slot.site_id)], 4), round(km or 0.0), used, v.id)

            fit.sort(key=score)
        for v in fit[:missing]:
            result[slot.id].append(v.id)
            load.add(v.id, slot)

    out = Plan(assignments={k: tuple(v) for k, v in result.items()})
    for slot in slots:
        got = len(result[slot.id])
        out.needed += slot.needed
        out.covered += min(got, slot.needed)
        if got < slot.needed:
            out.gaps.append(
                Gap(slot.id, slot.needed - got, _reasons(slot, statics[slot.id], load, set(result[slot.id])))
            )
    return out


def _reasons(
    slot: Slot, static: tuple[list[Volunteer], str | None], load: _Load, taken: set[int]
) -> tuple[str, ...]:
    candidates, stage = static
    if stage is not None:
        return (REASONS[stage],)
    reasons = []
    others = [v for v in candidates if v.id not in taken]
    if any(not load.free(v.id, slot) for v in others):
        reasons.append(REASONS["busy"])
    if any(not load.hours_left(v, slot) for v in others):
        reasons.append(REASONS["hours"])
    return tuple(reasons) or (REASONS["availability"],)


def check(
    plan_: Plan, *, sites: Sequence[Site], volunteers: Sequence[Volunteer], slots: Sequence[Slot]
) -> list[str]:
    """Every hard rule the plan breaks (empty when valid): used by the tests and the benchmark."""
    site_by_id = {s.id: s for s in sites}
    vol_by_id = {v.id: v for v in volunteers}
    slot_by_id = {s.id: s for s in slots}
    problems: list[str] = []
    minutes: dict[tuple[int, tuple[int, int]], int] = defaultdict(int)
    by_day: dict[tuple[int, date], list[Slot]] = defaultdict(list)
    for slot_id, vids in plan_.assignments.items():
        slot = slot_by_id[slot_id]
        site = site_by_id.get(slot.site_id, Site(id=slot.site_id))
        if len(set(vids)) != len(vids):
            problems.append(f"slot {slot_id}: volunteer twice")
        for vid in vids:
            if vid in slot.assigned:
                continue
            v = vol_by_id[vid]
            day = slot.start.date()
            if not v.starts_on <= day <= v.ends_on:
                problems.append(f"slot {slot_id}: volunteer {vid} outside mission dates")
            if not _inside(v.availability, slot):
                problems.append(f"slot {slot_id}: volunteer {vid} not available")
            if not site_accepts(site, slot):
                problems.append(f"slot {slot_id}: outside the site's windows")
            if not within_reach(v, site):
                problems.append(f"slot {slot_id}: volunteer {vid} out of reach")
        for vid in vids:
            minutes[(vid, week_of(slot.start.date()))] += slot.minutes
            by_day[(vid, slot.start.date())].append(slot)
    for (vid, week), total in minutes.items():
        if total > vol_by_id[vid].weekly_hours * 60:
            problems.append(f"volunteer {vid}: {total} min in week {week}")
    for (vid, _day), day_slots in by_day.items():
        day_slots.sort(key=lambda s: s.start)
        for i, a in enumerate(day_slots):
            for b in day_slots[i + 1 :]:
                gap = travel_minutes(site_by_id.get(a.site_id), site_by_id.get(b.site_id))
                if b.start < a.end + timedelta(minutes=gap) and a.start < b.end + timedelta(minutes=gap):
                    problems.append(f"volunteer {vid}: slots {a.id} and {b.id} overlap")
    return problems
