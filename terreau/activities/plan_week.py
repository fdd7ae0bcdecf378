"""The session planner's weekly stage: plans one ISO week at a time on the shared load, with the heuristic
(scarcest sessions first, completing a session before half-staffing another, the usual volunteers and
short trips preferred), a repair pass of swaps, and the exact stage (plan_exact) when asked.

Pure Python (no Django import), used by terreau.activities.planner.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta

from terreau.activities.plan_exact import ExactSolver
from terreau.activities.plan_instance import (
    CONTINUITY_CAP,
    CONTINUITY_WEIGHT,
    FULL_SESSION_WEIGHT,
    PLACE_WEIGHT,
    TRAVEL_CAP_KM,
    Load,
    Site,
    Slot,
    Volunteer,
    reach_km,
    travel_minutes,
    week_of,
)


class WeekPlanner(ExactSolver):
    """Plans one ISO week at a time on the shared load (see plan())."""

    def __init__(self, site_by_id, load: Load, result, statics, *, optimise: bool) -> None:
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
        """Same rule as Load.free: one volunteer cannot do both (same day, overlap or no time to travel)."""
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
