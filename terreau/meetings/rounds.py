"""Spreading meetings over rounds: list edge-colouring with availability, table limits and degree caps.

`Schedule` keeps a partial assignment of edges (pairs) to rounds and only ever makes moves that keep every
hard constraint true: a person meets at most once per round and only in rounds where they are free (each
edge carries the bitmask of rounds its two ends share), a round holds at most `tables[r]` meetings and a
person at most `caps[p]` meetings. On top of it: greedy placement, Kempe-chain repair (swapping two rounds
along an alternating path frees a round at both ends of an edge), and an exact assignment by CP-SAT of a
given set of edges, hinted by the current assignment. Pure Python, no Django.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def bits(mask: int) -> list[int]:
    """Indices of the set bits of mask, lowest first."""
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


class Schedule:
    def __init__(
        self,
        *,
        n: int,
        tables: Sequence[int],
        edges: Sequence[tuple[int, int]],
        common: Sequence[int],
        caps: Sequence[int],
        values: Sequence[int],
        avail: Sequence[int],
    ) -> None:
        self.n = n
        self.tables = list(tables)
        self.rounds = len(tables)
        self.edges = edges
        self.common = common
        self.caps = caps
        self.values = values
        self.avail = avail
        self.round_of = [-1] * len(edges)
        self.slot: list[dict[int, int]] = [{} for _ in range(n)]  # person -> round -> edge
        self.busy = [0] * n  # bitmask of rounds where the person already meets someone
        self.degree = [0] * n
        self.load = [0] * self.rounds
        self.open = sum(1 << r for r in range(self.rounds) if self.tables[r] > 0)  # rounds with a free table
        self.members: list[set[int]] = [set() for _ in range(self.rounds)]  # round -> edges placed there
        self.journal: list[tuple[int, int, int]] | None = None  # (placed?, edge, round) while trying a move

    # -- elementary moves -------------------------------------------------------------------------
    def place(self, e: int, r: int) -> None:
        u, v = self.edges[e]
        assert self.round_of[e] < 0 and not (self.busy[u] | self.busy[v]) >> r & 1 and self.common[e] >> r & 1
        if self.journal is not None:
            self.journal.append((1, e, r))
        self.round_of[e] = r
        self.slot[u][r] = e
        self.slot[v][r] = e
        self.busy[u] |= 1 << r
        self.busy[v] |= 1 << r
        self.degree[u] += 1
        self.degree[v] += 1
        self.load[r] += 1
        self.members[r].add(e)
        if self.load[r] >= self.tables[r]:
            self.open &= ~(1 << r)

    def remove(self, e: int) -> None:
        r = self.round_of[e]
        u, v = self.edges[e]
        if self.journal is not None:
            self.journal.append((0, e, r))
        self.round_of[e] = -1
        del self.slot[u][r]
        del self.slot[v][r]
        self.busy[u] &= ~(1 << r)
        self.busy[v] &= ~(1 << r)
        self.degree[u] -= 1
        self.degree[v] -= 1
        self.load[r] -= 1
        self.members[r].discard(e)
        self.open |= 1 << r

    def has_room(self, e: int) -> bool:
        u, v = self.edges[e]
        return self.degree[u] < self.caps[u] and self.degree[v] < self.caps[v]

    def free_rounds(self, e: int) -> int:
        u, v = self.edges[e]
        return self.common[e] & ~self.busy[u] & ~self.busy[v] & self.open

    def scheduled(self) -> list[int]:
        return [e for e, r in enumerate(self.round_of) if r >= 0]

    def value(self) -> int:
        return sum(self.values[e] for e, r in enumerate(self.round_of) if r >= 0)

    # -- heuristics -------------------------------------------------------------------------------
    def _best_round(self, mask: int, preferred: int = -1) -> int:
        if preferred >= 0 and mask >> preferred & 1:
            return preferred
        best, best_room = -1, -1
        for r in bits(mask):
            room = self.tables[r] - self.load[r]
            if room > best_room:
                best, best_room = r, room
        return best

    def try_place(self, e: int, preferred: int = -1) -> bool:
        if not self.has_room(e):
            return False
        mask = self.free_rounds(e)
        if not mask:
            return False
        self.place(e, self._best_round(mask, preferred))
        return True

    def greedy(self, order: Iterable[int], preferred: dict[int, int] | None = None) -> list[int]:
        """Place edges in order where they fit; return those left out."""
        preferred = preferred or {}
        left = []
        for e in order:
            if self.round_of[e] < 0 and not self.try_place(e, preferred.get(e, -1)):
                left.append(e)
        return left

    def _kempe_path(self, start: int, first: int, second: int, avoid: int, limit: int) -> list[int] | None:
        """Edges of the path from `start` alternating rounds first/second, or None if it is not swappable."""
        path: list[int] = []
        cur, colour, other = start, first, second
        seen = {start}
        while colour in self.slot[cur]:
            e = self.slot[cur][colour]
            path.append(e)
            u, v = self.edges[e]
            cur = v if u == cur else u
            if cur == avoid or cur in seen or len(path) > limit:
                return None
            seen.add(cur)
            colour, other = other, colour
        # `cur` ends the path: its last edge moves to `colour`, where `cur` must be available.
        if path and not self.avail[cur] >> colour & 1:
            return None
        return path

    def kempe_place(self, e: int, *, limit: int = 400) -> bool:
        """Place e by swapping two rounds along an alternating path starting at one of its ends."""
        if not self.has_room(e):
            return False
        u, v = self.edges[e]
        free_u = self.common[e] & ~self.busy[u]
        free_v = self.common[e] & ~self.busy[v]
        for x, y, free_x, free_y in ((u, v, free_u, free_v), (v, u, free_v, free_u)):
            # Round a is free at x, not at y; b is free at y. Swap a/b on the path from y starting with a.
            for a in bits(free_x & ~free_y):
                for b in bits(free_y):
                    if a == b:
                        continue
                    path = self._kempe_path(y, a, b, x, limit)
                    if path is None:
                        continue
                    n_a = sum(1 for f in path if self.round_of[f] == a)
                    n_b = len(path) - n_a
                    if (
                        self.load[a] - n_a + n_b + 1 > self.tables[a]
                        or self.load[b] - n_b + n_a > self.tables[b]
                    ):
                        continue
                    for f in path:
                        self.remove(f)
                    # The path starts with an a-edge at y and alternates: a, b, a, ... becomes b, a, b, ...
                    for i, f in enumerate(path):
                        self.place(f, b if i % 2 == 0 else a)
                    self.place(e, a)
                    return True
        return False

    def relocate_place(self, e: int) -> bool:
        """Place e in a round where both ends are free but every table is taken, by moving one meeting of
        that round to another round where it fits."""
        if not self.has_room(e):
            return False
        u, v = self.edges[e]
        full = self.common[e] & ~self.busy[u] & ~self.busy[v] & ~self.open
        for r in bits(full):
            for f in sorted(self.members[r]):
                a, b = self.edges[f]
                target = self.common[f] & ~self.busy[a] & ~self.busy[b] & self.open
                if target:
                    self.remove(f)
                    self.place(f, self._best_round(target))
                    self.place(e, r)
                    return True
        return False

    def _rollback(self, journal: list[tuple[int, int, int]]) -> None:
        self.journal = None
        for placed, e, r in reversed(journal):
            if placed:
                self.remove(e)
            else:
                self.place(e, r)

    def eject_place(self, e: int, *, sideways: bool = False, rounds: list[int] | None = None) -> int | None:
        """Place e in a round by taking out the meetings that block it there (at most one per end), then
        putting those back elsewhere when they fit. Kept if the total value rises (or, sideways, stays);
        returns the gain, None when nothing was done."""
        u, v = self.edges[e]
        value = self.values[e]
        for r in rounds if rounds is not None else bits(self.common[e]):
            blockers = sorted({self.slot[p][r] for p in (u, v) if r in self.slot[p]})
            if not blockers and not self.open >> r & 1:
                continue
            journal: list[tuple[int, int, int]] = []
            self.journal = journal
            for f in blockers:
                self.remove(f)
            if not (self.open >> r & 1 and self.has_room(e)):
                self._rollback(journal)
                continue
            self.place(e, r)
            gain = value
            for f in sorted(blockers, key=lambda f: (-self.values[f], f)):
                if not (self.try_place(f) or self.kempe_place(f)):
                    gain -= self.values[f]
            if gain > 0 or (sideways and gain == 0):
                self.journal = None
                return gain
            self._rollback(journal)
        return None

    def assignment(self) -> dict[int, int]:
        return {e: r for e, r in enumerate(self.round_of) if r >= 0}


def exact_assignment(
    schedule: Schedule,
    edges: Sequence[int],
    *,
    time_limit: float,
    workers: int,
    upper: int | None = None,
    stall: float = 3.0,
) -> tuple[dict[int, int] | None, int | None]:
    """Best assignment of `edges` to rounds by CP-SAT (maximum total value), hinted by the schedule.

    Only the given edges are modelled: the caller makes sure no other edge is placed. Degree caps are
    modelled where they bind. `upper`, a proven bound on the value (the b-matching optimum), lets the solver
    stop as soon as it is reached; the search also stops after `stall` seconds without improvement. Returns
    (edge -> round for the edges placed, or None when the solver found nothing better than the hint; the
    solver's proven bound on the value, or None).
    """
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    var: dict[tuple[int, int], cp_model.IntVar] = {}
    by_person_round: dict[tuple[int, int], list] = {}
    by_person: dict[int, list] = {}
    by_round: list[list] = [[] for _ in range(schedule.rounds)]
    objective = []
    hint_value = 0
    for e in edges:
        u, v = schedule.edges[e]
        terms = []
        for r in bits(schedule.common[e]):
            x = model.new_bool_var(f"x{e}_{r}")
            var[e, r] = x
            terms.append(x)
            by_person_round.setdefault((u, r), []).append(x)
            by_person_round.setdefault((v, r), []).append(x)
            by_person.setdefault(u, []).append(x)
            by_person.setdefault(v, []).append(x)
            by_round[r].append(x)
            objective.append(schedule.values[e] * x)
            hinted = schedule.round_of[e] == r
            model.add_hint(x, hinted)
            if hinted:
                hint_value += schedule.values[e]
        if len(terms) > 1:
            model.add_at_most_one(terms)
    for xs in by_person_round.values():
        if len(xs) > 1:
            model.add_at_most_one(xs)
    for p, xs in by_person.items():
        if len(xs) > schedule.caps[p] and schedule.caps[p] < schedule.avail[p].bit_count():
            model.add(sum(xs) <= schedule.caps[p])
    for r, xs in enumerate(by_round):
        if len(xs) > schedule.tables[r]:
            model.add(sum(xs) <= schedule.tables[r])
    total = sum(objective)
    if upper is not None:
        if hint_value >= upper:
            return None, None
        model.add(total <= upper)
    model.maximize(total)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit)
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = 0
    status = _solve_with_stall(solver, model, stall)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, None
    bound = int(solver.objective_value) if status == cp_model.OPTIMAL else None
    if solver.objective_value <= hint_value:
        return None, bound
    return {e: r for (e, r), x in var.items() if solver.boolean_value(x)}, bound


def _solve_with_stall(solver, model, stall: float) -> int:
    """Solve, stopping the search once `stall` seconds pass without a better solution."""
    import threading
    import time

    from ortools.sat.python import cp_model

    class _Watch(cp_model.CpSolverSolutionCallback):
        def __init__(self) -> None:
            super().__init__()
            self.last = time.perf_counter()

        def on_solution_callback(self) -> None:
            self.last = time.perf_counter()

    watch = _Watch()
    done = threading.Event()

    def _watchdog() -> None:
        while not done.wait(0.1):
            if time.perf_counter() - watch.last > stall:
                solver.stop_search()
                return

    thread = threading.Thread(target=_watchdog, daemon=True)
    thread.start()
    try:
        return solver.solve(model, watch)
    finally:
        done.set()
        thread.join()
