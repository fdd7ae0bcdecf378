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


# Objective weights (integers, for CP-SAT): a filled place dominates everything else; then fully staffed
# sessions, then the same faces at a site, then short trips.
PLACE_WEIGHT = 1000
FULL_SESSION_WEIGHT = 100  # a session with all the volunteers it needs (only for sessions needing 2+)
CONTINUITY_WEIGHT = 10  # per session already served at the site by this volunteer, up to CONTINUITY_CAP
CONTINUITY_CAP = 6
TRAVEL_CAP_KM = 60  # one point per km from home to site, capped
# CP-SAT budget per independent part of a week, in deterministic time units (reproducible, unlike
# wall-clock limits): most parts are solved to optimality far below it.
SOLVER_BUDGET = 0.05
# optimise=None (auto) polishes with CP-SAT only up to this many sessions to plan (a month of a large
# program); beyond, the heuristic and its repair pass alone (seconds for a year, see docs/bench-programs.md).
AUTO_SOLVER_MAX_SLOTS = 2000


def plan(
    *,
    sites: Sequence[Site],
    volunteers: Sequence[Volunteer],
    slots: Sequence[Slot],
    history: dict[int, dict[int, int]] | None = None,
    baseline: bool = False,
    optimise: bool | None = None,
) -> Plan:
    """Assign volunteers to slots.

    history: {site id: {volunteer id: sessions already served there}} to keep the same faces at a site.
    baseline: the naive greedy (chronological, first eligible volunteer by id), for benchmarks.
    optimise: also polish each week with an exact solver (OR-Tools CP-SAT, deterministic budget) warm-started
    by the heuristic, keeping whichever is better; None (default): only for up to AUTO_SOLVER_MAX_SLOTS
    sessions to plan. The heuristic: scarcest sessions first, completing a session before half-staffing
    another, the usual volunteers and short trips preferred, then a repair pass of swaps.

    Weeks are independent for the hard rules (weekly hours, same-day overlaps), so the planner works week by
    week in date order, carrying the continuity counts (who served where) from one week to the next.
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
        for slot in sorted(slots, key=lambda s: (s.start, s.id)):
            missing = slot.needed - len(result[slot.id])
            if missing <= 0:
                continue
            taken = set(result[slot.id])
            fit = [
                v
                for v in statics[slot.id][0]
                if v.id not in taken and load.hours_left(v, slot) and load.free(v.id, slot)
            ]
            for v in fit[:missing]:
                result[slot.id].append(v.id)
                load.add(v.id, slot)
    else:
        weeks: dict[tuple[int, int], list[Slot]] = defaultdict(list)
        for slot in slots:
            if slot.needed > len(result[slot.id]) and statics[slot.id][0]:
                weeks[week_of(slot.start.date())].append(slot)
        if optimise is None:
            optimise = sum(len(w) for w in weeks.values()) <= AUTO_SOLVER_MAX_SLOTS
        week_planner = _WeekPlanner(site_by_id, load, result, statics, optimise=optimise)
        for week in sorted(weeks):
            week_planner.run(sorted(weeks[week], key=lambda s: (s.start, s.id)))

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


class _WeekPlanner:
    """Plans one ISO week at a time on the shared load (see plan())."""

    def __init__(self, site_by_id, load: _Load, result, statics, *, optimise: bool) -> None:
        self.sites = site_by_id
        self.load = load
        self.result = result
        self.statics = statics
        self.optimise = optimise
        self._travel: dict[tuple[int, int], int] = {}
        self._km: dict[tuple[int, int], int] = {}

    # --- helpers -------------------------------------------------------------------------------------

    def travel(self, a: int, b: int) -> int:
        key = (a, b) if a <= b else (b, a)
        if key not in self._travel:
            self._travel[key] = travel_minutes(self.sites.get(a), self.sites.get(b))
        return self._travel[key]

    def conflict(self, a: Slot, b: Slot) -> bool:
        """Same rule as _Load.free: one volunteer cannot do both (same day, overlap or no time to travel)."""
        if a.start.date() != b.start.date():
            return False
        gap = timedelta(minutes=self.travel(a.site_id, b.site_id))
        return b.start < a.end + gap and a.start < b.end + gap

    def km(self, v: Volunteer, site_id: int) -> int:
        key = (v.id, site_id)
        if key not in self._km:
            d = reach_km(v, self.sites.get(site_id, Site(id=site_id)))
            self._km[key] = min(round(d or 0.0), TRAVEL_CAP_KM)
        return self._km[key]

    def weight(self, v: Volunteer, slot: Slot) -> int:
        """Value of one place filled by ``v`` at ``slot`` (continuity counts frozen at the week's start)."""
        served = min(self.at_start.get((v.id, slot.site_id), 0), CONTINUITY_CAP)
        return PLACE_WEIGHT + CONTINUITY_WEIGHT * served - self.km(v, slot.site_id)

    def value(self, pairs: Iterable[tuple[int, Volunteer]], slots: dict[int, Slot]) -> int:
        total, count = 0, defaultdict(int)
        for slot_id, v in pairs:
            total += self.weight(v, slots[slot_id])
            count[slot_id] += 1
        for slot_id, n in count.items():
            if slots[slot_id].needed >= 2 and n >= self.missing[slot_id]:
                total += FULL_SESSION_WEIGHT
        return total

    def fits(self, v: Volunteer, slot: Slot) -> bool:
        return (
            v.id not in self.result[slot.id] and self.load.hours_left(v, slot) and self.load.free(v.id, slot)
        )

    def assign(self, v: Volunteer, slot: Slot) -> None:
        self.result[slot.id].append(v.id)
        self.load.add(v.id, slot)
        self.new[(slot.id, v.id)] = v

    def unassign(self, v: Volunteer, slot: Slot) -> None:
        self.result[slot.id].remove(v.id)
        self.load.remove(v.id, slot)
        del self.new[(slot.id, v.id)]

    # --- one week ------------------------------------------------------------------------------------

    def run(self, slots: list[Slot]) -> None:
        by_id = {s.id: s for s in slots}
        self.at_start = {
            (v.id, s.site_id): self.load.at_site[(v.id, s.site_id)]
            for s in slots
            for v in self.statics[s.id][0]
        }
        self.missing = {s.id: s.needed - len(self.result[s.id]) for s in slots}
        # Candidates given only the pre-assigned sessions (the week is still empty of new assignments).
        cands = {s.id: [v for v in self.statics[s.id][0] if self.fits(v, s)] for s in slots}
        week = week_of(slots[0].start.date())
        self.base_minutes = {v.id: self.load.minutes[(v.id, week)] for vs in cands.values() for v in vs}
        self.new: dict[tuple[int, int], Volunteer] = {}
        self._heuristic(slots, cands)
        self._repair(slots, cands)
        if not self.optimise:
            return
        heuristic = [(slot_id, v) for (slot_id, _vid), v in self.new.items()]
        solved = self._solve(by_id, cands, heuristic)
        if solved is not None and self.value(solved, by_id) > self.value(heuristic, by_id):
            for slot_id, v in heuristic:
                self.unassign(v, by_id[slot_id])
            for slot_id, v in solved:
                self.assign(v, by_id[slot_id])

    def _score(self, v: Volunteer, slot: Slot) -> tuple:
        used = self.load.minutes[(v.id, week_of(slot.start.date()))] / max(v.weekly_hours * 60, 1)
        return (
            -self.weight(v, slot),
            -min(self.load.at_site[(v.id, slot.site_id)], CONTINUITY_CAP),
            used,
            v.id,
        )

    def _heuristic(self, slots: list[Slot], cands: dict[int, list[Volunteer]]) -> None:
        """Scarcest sessions first; first pass only staffs sessions it can complete, second fills the rest."""
        order = sorted(slots, key=lambda s: (len(cands[s.id]) - self.missing[s.id], s.start, s.id))
        for complete_only in (True, False):
            for slot in order:
                missing = slot.needed - len(self.result[slot.id])
                if missing <= 0:
                    continue
                fit = [v for v in cands[slot.id] if self.fits(v, slot)]
                if complete_only and len(fit) < missing:
                    continue
                fit.sort(key=lambda v, slot=slot: self._score(v, slot))
                for v in fit[:missing]:
                    self.assign(v, slot)

    def _repair(self, slots: list[Slot], cands: dict[int, list[Volunteer]]) -> None:
        """Augmenting swaps: to fill a place, move a blocking volunteer off another session of the week
        when someone else can take their place there (one level deep)."""
        by_vol: dict[int, list[Slot]] = defaultdict(list)
        for slot in slots:
            for vid in self.result[slot.id]:
                by_vol[vid].append(slot)
        for slot in slots:
            while len(self.result[slot.id]) < slot.needed and self._augment(slot, cands, by_vol):
                pass

    def _augment(self, slot: Slot, cands, by_vol) -> bool:
        for v in cands[slot.id]:
            if self.fits(v, slot):
                self.assign(v, slot)
                by_vol[v.id].append(slot)
                return True
        for v in cands[slot.id]:
            if v.id in self.result[slot.id]:
                continue
            for other in list(by_vol[v.id]):
                if (other.id, v.id) not in self.new:
                    continue  # pre-assigned: kept
                self.unassign(v, other)
                if self.fits(v, slot):
                    self.assign(v, slot)
                    for w in sorted(cands[other.id], key=lambda w, o=other: self._score(w, o)):
                        if self.fits(w, other):
                            self.assign(w, other)
                            by_vol[v.id].remove(other)
                            by_vol[v.id].append(slot)
                            by_vol[w.id].append(other)
                            return True
                    self.unassign(v, slot)
                self.assign(v, other)
        return False

    def _solve(self, by_id: dict[int, Slot], cands, hint) -> list[tuple[int, Volunteer]] | None:
        """Exact weekly assignment (CP-SAT), per independent part; None when OR-Tools is not there."""
        try:
            from ortools.sat.python import cp_model
        except ImportError:  # pragma: no cover - ortools is a declared dependency
            return None
        pairs = [(slot_id, v) for slot_id, vs in cands.items() for v in vs]
        if not pairs:
            return []
        # Independent parts: volunteers linked through the sessions they could take.
        parent: dict[object, object] = {}

        def find(x):
            parent.setdefault(x, x)
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for slot_id, v in pairs:
            parent[find(("s", slot_id))] = find(("v", v.id))
        parts: dict[object, list[tuple[int, Volunteer]]] = defaultdict(list)
        for pair in pairs:
            parts[find(("s", pair[0]))].append(pair)
        hinted = {(slot_id, v.id) for slot_id, v in hint}
        out: list[tuple[int, Volunteer]] = []
        for part in parts.values():
            open_places = {slot_id: self.missing[slot_id] for slot_id, _v in part}
            for slot_id, _vid in hinted:
                if slot_id in open_places:
                    open_places[slot_id] -= 1
            if not any(open_places.values()):
                chosen = None  # the heuristic filled every place of this part: keep it
            else:
                chosen = self._solve_part(cp_model, part, by_id, hinted)
            if chosen is None:
                chosen = [(slot_id, v) for slot_id, v in part if (slot_id, v.id) in hinted]
            out += chosen
        return out

    def _no_overlap(self, model, items: list[tuple[Slot, object]]) -> None:
        """One volunteer's sessions that cannot go together: cliques (at most one) where sessions pile up
        at the same hour (a tighter model than pairs), pairs for the rest."""
        by_day: dict[date, list[tuple[Slot, object]]] = defaultdict(list)
        for slot, var in items:
            by_day[slot.start.date()].append((slot, var))
        for day_items in by_day.values():
            day_items.sort(key=lambda it: (it[0].start, it[0].id))
            pairs = {
                (i, j)
                for i in range(len(day_items))
                for j in range(i + 1, len(day_items))
                if self.conflict(day_items[i][0], day_items[j][0])
            }
            for i in range(len(day_items)):
                clique = [i]
                for j in range(i + 1, len(day_items)):
                    if all((k, j) in pairs for k in clique):
                        clique.append(j)
                if len(clique) >= 2 and any((clique[0], j) in pairs for j in clique[1:]):
                    model.AddAtMostOne([day_items[k][1] for k in clique])
                    pairs -= {(a, b) for a in clique for b in clique if a < b}
            for i, j in pairs:
                model.AddBoolOr([day_items[i][1].Not(), day_items[j][1].Not()])

    def _solve_part(self, cp_model, part, by_id, hinted):
        model = cp_model.CpModel()
        x = {}
        per_slot: dict[int, list] = defaultdict(list)
        per_vol: dict[int, list[tuple[Slot, object]]] = defaultdict(list)
        vol = {}
        objective = []
        for slot_id, v in part:
            var = model.NewBoolVar("")
            slot = by_id[slot_id]
            x[(slot_id, v.id)] = var
            vol[v.id] = v
            per_slot[slot_id].append(var)
            per_vol[v.id].append((slot, var))
            objective.append(self.weight(v, slot) * var)
            model.AddHint(var, (slot_id, v.id) in hinted)
        for slot_id, vars_ in per_slot.items():
            missing = self.missing[slot_id]
            model.Add(sum(vars_) <= missing)
            if by_id[slot_id].needed >= 2:
                full = model.NewBoolVar("")
                model.Add(sum(vars_) >= missing).OnlyEnforceIf(full)
                objective.append(FULL_SESSION_WEIGHT * full)
                model.AddHint(full, sum((slot_id, vid) in hinted for vid in vol) >= missing)
        for vid, items in per_vol.items():
            v = vol[vid]
            budget = v.weekly_hours * 60 - self.base_minutes[vid]
            if sum(s.minutes for s, _ in items) > budget:
                model.Add(sum(s.minutes * var for s, var in items) <= math.floor(budget))
            self._no_overlap(model, items)
        model.Maximize(sum(objective))
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = 5
        solver.parameters.max_deterministic_time = SOLVER_BUDGET
        status = solver.Solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        return [(slot_id, vol[vid]) for (slot_id, vid), var in x.items() if solver.Value(var)]


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


def unavailable(
    *,
    sites: Sequence[Site],
    volunteers: Sequence[Volunteer],
    slots: Sequence[Slot],
    others: Sequence[Slot] = (),
) -> dict[int, tuple[int, ...]]:
    """The volunteers already assigned to ``slots`` (``Slot.assigned``) who no longer meet the hard rules
    that depend on the time of a session: mission dates, availability windows, weekly hours and being in
    two places at once (travel included), given the ``others`` sessions they keep (their ``assigned``: the
    volunteers concerned). For sessions that moved or grew longer: {slot id: volunteer ids to release}.

    Slots are taken in date order: when two of them now clash for a volunteer, the later one releases them.
    """
    vol_by_id = {v.id: v for v in volunteers}
    load = _Load({s.id: s for s in sites})
    for slot in others:
        for vid in slot.assigned:
            load.add(vid, slot)
    out: dict[int, tuple[int, ...]] = {}
    for slot in sorted(slots, key=lambda s: (s.start, s.id)):
        released = []
        for vid in dict.fromkeys(slot.assigned):
            v = vol_by_id.get(vid)
            if v is None:  # not described: nothing to check
                continue
            if (
                v.starts_on <= slot.start.date() <= v.ends_on
                and _inside(v.availability, slot)
                and load.hours_left(v, slot)
                and load.free(vid, slot)
            ):
                load.add(vid, slot)
            else:
                released.append(vid)
        if released:
            out[slot.id] = tuple(released)
    return out


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
