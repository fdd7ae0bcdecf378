"""The meeting planner's data: a planned Meeting, the Plan handed back (contract meeting-schedule.md), and the
Instance the solver stages work on (participants as indices, free rounds as bitmasks, wished pairs as edges),
which also turns an assignment of edges to rounds back into a Plan.

Pure Python (no Django import), like terreau.meetings.planner which uses it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from terreau.meetings.bmatching import BMatching, bipartite_bmatching, general_bmatching
from terreau.meetings.rounds import Schedule
from terreau.meetings.schedule_input import Event, Wish

_INT64_SAFE = 1 << 60


@dataclass(frozen=True, slots=True)
class Meeting:
    round: int
    table: int
    a: str
    b: str
    value: int | float

    def as_dict(self) -> dict[str, Any]:
        return {"round": self.round, "table": self.table, "a": self.a, "b": self.b, "value": self.value}


@dataclass(slots=True)
class Plan:
    meetings: list[Meeting]
    total_value: int | float
    upper_bound: int | float
    unmet_wishes: list[Wish]
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def quality(self) -> float:
        """total_value / upper_bound (1.0 when nothing can be gained)."""
        return 1.0 if not self.upper_bound else self.total_value / self.upper_bound

    def as_dict(self) -> dict[str, Any]:
        return {
            "meetings": [m.as_dict() for m in self.meetings],
            "total_value": self.total_value,
            "upper_bound": self.upper_bound,
            "unmet_wishes": [
                {"from": w.source, "to": w.target, "weight": w.weight} for w in self.unmet_wishes
            ],
            "stats": self.stats,
        }


def _number(value: Fraction) -> int | float:
    return int(value) if value.denominator == 1 else float(value)


def _integer_values(values: Sequence[Fraction], edge_count: int) -> tuple[list[int], Fraction]:
    """Integer edge values for the solvers, and their scale: int_value >= value * scale, equality when the
    weights have at most 6 decimals (so the integer optimum / scale is still a proven upper bound)."""
    if not values:
        return [], Fraction(1)
    top = max(values)
    for digits in range(7):
        scale = Fraction(10**digits)
        if all((v * scale).denominator == 1 for v in values):
            break
    while scale > Fraction(1, 10**18) and top * scale * (edge_count + 1) >= _INT64_SAFE:
        scale /= 10
    return [math.ceil(v * scale) for v in values], scale


class Instance:
    """Participants as indices, free rounds as bitmasks, wished pairs as edges with a common-rounds mask."""

    def __init__(self, event: Event, *, fixed: Sequence[Meeting] = (), closed_rounds: int = 0) -> None:
        self.event = event
        self.ids = [p.id for p in event.participants]
        self.index = {pid: i for i, pid in enumerate(self.ids)}
        n = self.n = len(self.ids)
        rounds = event.rounds
        full = (1 << rounds) - 1
        self.tables = list(event.tables)
        avail = []
        for p in event.participants:
            mask = full & ~closed_rounds
            for r in p.unavailable:
                mask &= ~(1 << r)
            avail.append(mask)
        weights: dict[tuple[int, int], list[Fraction]] = {}
        for w in event.wishes:
            s, t = self.index[w.source], self.index[w.target]
            key = (s, t) if s < t else (t, s)
            weights.setdefault(key, [Fraction(0), Fraction(0)])[0 if s < t else 1] = Fraction(w.weight)
        self.pair_value = {key: a + b for key, (a, b) in weights.items()}

        # Meetings kept as they are (re-planning): their people and tables are taken, their pairs have met.
        fixed_degree = [0] * n
        self.met: set[tuple[int, int]] = set()
        for m in fixed:
            u, v = self.index[m.a], self.index[m.b]
            avail[u] &= ~(1 << m.round)
            avail[v] &= ~(1 << m.round)
            self.tables[m.round] -= 1
            fixed_degree[u] += 1
            fixed_degree[v] += 1
            self.met.add((u, v) if u < v else (v, u))
        self.fixed = list(fixed)
        open_rounds = sum(1 << r for r in range(rounds) if self.tables[r] > 0)
        self.avail = [mask & open_rounds for mask in avail]
        self.caps = []
        for i, p in enumerate(event.participants):
            cap = self.avail[i].bit_count()
            if p.max_meetings is not None:
                cap = min(cap, max(0, p.max_meetings - fixed_degree[i]))
            self.caps.append(cap)
        self.left = [p.side != "B" for p in event.participants]

        self.edges: list[tuple[int, int]] = []
        self.common: list[int] = []
        values: list[Fraction] = []
        for (u, v), value in sorted(self.pair_value.items()):
            common = self.avail[u] & self.avail[v]
            if value > 0 and common and self.caps[u] and self.caps[v] and (u, v) not in self.met:
                self.edges.append((u, v))
                self.common.append(common)
                values.append(value)
        self.values = values
        self.int_values, self.scale = _integer_values(values, len(self.edges))
        self.total_tables = sum(self.tables)

    def value_of(self, a: str, b: str) -> Fraction:
        u, v = self.index[a], self.index[b]
        return self.pair_value.get((u, v) if u < v else (v, u), Fraction(0))

    def schedule(self) -> Schedule:
        return Schedule(
            n=self.n,
            tables=self.tables,
            edges=self.edges,
            common=self.common,
            caps=self.caps,
            values=self.int_values,
            avail=self.avail,
        )

    def bmatching(self, *, time_limit: float, workers: int) -> BMatching:
        if self.event.bipartite:
            return bipartite_bmatching(
                n=self.n,
                left=self.left,
                edges=self.edges,
                values=self.int_values,
                caps=self.caps,
                total_cap=self.total_tables,
            )
        return general_bmatching(
            n=self.n,
            edges=self.edges,
            values=self.int_values,
            caps=self.caps,
            total_cap=self.total_tables,
            time_limit=time_limit,
            workers=workers,
        )

    def build_plan(
        self, assignment: dict[int, int], *, bound_int: int | None, started: float, extra: dict[str, Any]
    ) -> Plan:
        """Turn edge -> round (plus the fixed meetings) into the contract's output, with table numbers."""
        event = self.event
        rows: list[tuple[int, int, int, Fraction, int]] = []  # round, a, b, value, fixed table or 0
        for m in self.fixed:
            rows.append((m.round, self.index[m.a], self.index[m.b], self.value_of(m.a, m.b), m.table))
        for e, r in assignment.items():
            u, v = self.edges[e]
            if event.bipartite and not self.left[u]:
                u, v = v, u
            rows.append((r, u, v, self.values[e], 0))
        taken: dict[int, set[int]] = {}
        for r, _, _, _, table in rows:
            if table:
                taken.setdefault(r, set()).add(table)
        meetings = []
        next_table: dict[int, int] = {}
        for r, u, v, value, table in sorted(
            rows, key=lambda row: (row[0], row[4] == 0, row[4], row[1], row[2])
        ):
            if not table:
                table = next_table.get(r, 1)
                while table in taken.get(r, ()):
                    table += 1
                next_table[r] = table + 1
            meetings.append(Meeting(r, table, self.ids[u], self.ids[v], _number(value)))
        meetings.sort(key=lambda m: (m.round, m.table))

        met = set()
        for m in meetings:
            u, v = self.index[m.a], self.index[m.b]
            met.add((u, v) if u < v else (v, u))
        unmet = []
        for w in event.wishes:
            s, t = self.index[w.source], self.index[w.target]
            if ((s, t) if s < t else (t, s)) not in met:
                unmet.append(w)
        total = sum((self.value_of(m.a, m.b) for m in meetings), Fraction(0))
        if bound_int is None:
            upper = None
        else:
            fixed_value = sum((row[3] for row in rows if row[4]), Fraction(0))
            upper = max(total, fixed_value + Fraction(bound_int) / self.scale)
        stats = {
            "participants": len(event.participants),
            "meetings": len(meetings),
            "seconds": round(time.perf_counter() - started, 3),
            "wishes": len(event.wishes),
            "candidate_pairs": len(self.edges),
            **extra,
        }
        if upper is not None:
            stats["quality"] = round(float(total / upper), 6) if upper else 1.0
        return Plan(
            meetings=meetings,
            total_value=_number(total),
            upper_bound=_number(upper) if upper is not None else None,  # type: ignore[arg-type]
            unmet_wishes=unmet,
            stats=stats,
        )
