"""The session planner's data and hard rules: windows, sites, volunteers, session occurrences (slots), the
plan handed back with its gaps, the objective's weights, and what each volunteer already does (Load).

Pure Python (no Django import), like terreau.activities.planner which uses it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from terreau.activities import rules
from terreau.territories.geo import haversine_km


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
    absent: frozenset[date] = frozenset()  # days away (leave, training...): nothing assigned


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


# Objective weights (integers, for CP-SAT): a filled place dominates everything else; then fully staffed
# sessions, then the same faces at a site, then short trips.
PLACE_WEIGHT = 1000
FULL_SESSION_WEIGHT = 100  # a session with all the volunteers it needs (only for sessions needing 2+)
CONTINUITY_WEIGHT = 10  # per session already served at the site by this volunteer, up to CONTINUITY_CAP
CONTINUITY_CAP = 6
TRAVEL_CAP_KM = 60  # one point per km from home to site, capped


def _minute(dt: datetime) -> int:
    return dt.hour * 60 + dt.minute


def inside(windows: Iterable[Window], slot: Slot) -> bool:
    """The slot (which must end on its start day) lies in one of the windows."""
    if slot.end.date() != slot.start.date() and not (slot.end.hour == 0 and slot.end.minute == 0):
        return False
    end = _minute(slot.end) or 24 * 60
    return any(w.contains(slot.start.weekday(), _minute(slot.start), end) for w in windows)


def site_accepts(site: Site, slot: Slot) -> bool:
    return not site.windows or inside(site.windows, slot)


def reach_km(volunteer: Volunteer, site: Site) -> float | None:
    """Distance from the volunteer's home to the site, None when a position is unknown."""
    if None in (volunteer.lat, volunteer.lon, site.lat, site.lon):
        return None
    return haversine_km(volunteer.lat, volunteer.lon, site.lat, site.lon)


def within_reach(volunteer: Volunteer, site: Site) -> bool:
    if volunteer.site_ids:
        return site.id in volunteer.site_ids
    km = reach_km(volunteer, site)
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


class Load:
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

    def remove(self, volunteer_id: int, slot: Slot) -> None:
        self.minutes[(volunteer_id, week_of(slot.start.date()))] -= slot.minutes
        self.day[(volunteer_id, slot.start.date())].remove(slot)
        self.at_site[(volunteer_id, slot.site_id)] -= 1

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


def static_candidates(
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
    present = [v for v in dated if day not in v.absent]
    if not present:
        return [], "absent"
    available = [v for v in present if inside(v.availability, slot)]
    if not available:
        return [], "availability"
    return available, None
