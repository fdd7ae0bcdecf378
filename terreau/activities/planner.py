"""Session planner: assigns civic-service volunteers to session occurrences over a period.

Pure Python (no Django import): plain data in, plain data out, so that the web app, the CLI, the
benchmarks and the property tests run the very same code.

Hard rules (never broken, see tests/activities/test_session_planner.py):
- a volunteer serves only while their mission runs (starts_on <= day <= ends_on);
- the session lies inside one of the volunteer's weekly availability windows;
- the session lies inside one of the site's time windows (a site declaring no window accepts any time);
- a volunteer's session minutes in an ISO week never exceed their mission's weekly hours;
- a volunteer is never in two sessions at once, and has the travel time between two sites on one day;
- a volunteer goes only to their assigned sites when they have some, else only to sites within
  ``max_travel_km`` of their home (when both positions are known).

Preferences (soft): keep the same volunteers at a site, travel less, spread the load.
Sessions that cannot be fully covered are listed with French reasons.

The planner is split by stage: plan_instance (data, hard rules, load), plan_week (the heuristic and its
repair pass, week by week) and plan_exact (CP-SAT); this module plans, explains gaps and checks plans.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from terreau.activities.plan_instance import (
    Gap,
    Load,
    Plan,
    Site,
    Slot,
    Volunteer,
    inside,
    site_accepts,
    static_candidates,
    travel_minutes,
    week_of,
    within_reach,
)
from terreau.activities.plan_week import WeekPlanner

# optimise=None (auto) polishes with CP-SAT only up to this many sessions to plan (a month of a large
# program); beyond, the heuristic and its repair pass alone (seconds for a year, see docs/bench-programs.md).
AUTO_SOLVER_MAX_SLOTS = 2000

REASONS = {
    "site_window": "la séance est en dehors des créneaux d'accueil du site",
    "no_volunteer": "aucun volontaire n'est affecté à ce site ni à portée de trajet",
    "dates": "aucune mission de volontaire n'est en cours à cette date",
    "absent": "les volontaires de ce site sont absents ce jour-là",
    "availability": "aucun volontaire n'est disponible à cet horaire",
    "busy": "les volontaires disponibles sont déjà en séance (ou en trajet) à cette heure",
    "hours": "les volontaires disponibles ont atteint leurs heures de la semaine",
}


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
    load = Load(site_by_id)
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
            statics[slot.id] = static_candidates(volunteers, site, slot)

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
        week_planner = WeekPlanner(site_by_id, load, result, statics, optimise=optimise)
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


def _reasons(
    slot: Slot, static: tuple[list[Volunteer], str | None], load: Load, taken: set[int]
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
    load = Load({s.id: s for s in sites})
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
                and slot.start.date() not in v.absent
                and inside(v.availability, slot)
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
            if day in v.absent:
                problems.append(f"slot {slot_id}: volunteer {vid} away that day")
            if not inside(v.availability, slot):
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
