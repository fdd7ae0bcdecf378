"""The session planner's exact stage: one week's assignment solved with OR-Tools CP-SAT, per independent part
(volunteers linked through the sessions they could take), warm-started by the heuristic's choice.

Pure Python (no Django import); a mixin of terreau.activities.plan_week.WeekPlanner, whose state it reads.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date

from terreau.activities.plan_instance import FULL_SESSION_WEIGHT, Slot, Volunteer

# CP-SAT budget per independent part of a week, in deterministic time units (reproducible, unlike
# wall-clock limits): most parts are solved to optimality far below it.
SOLVER_BUDGET = 0.05


class ExactSolver:
    """CP-SAT polish of a week (see WeekPlanner.run)."""

    def _solve(self, by_id: dict[int, Slot], cands, hint) -> list[tuple[int, Volunteer]] | None:
        """Exact weekly assignment (CP-SAT), per independent part."""
        from ortools.sat.python import cp_model  # imported when used: loading OR-Tools is slow

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
