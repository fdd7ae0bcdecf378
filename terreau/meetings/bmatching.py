"""Maximum-weight degree-constrained subgraph (b-matching), with a cap on the total number of edges.

Edges carry non-negative integer values. Bipartite graphs go through a min-cost flow (integral and exact,
milliseconds); general graphs through an integer program solved by OR-Tools CP-SAT. Both return the chosen
edges and a proven upper bound on the optimum (equal to the chosen value when solved to optimality).
Pure Python, no Django.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class BMatching:
    chosen: list[int]  # edge indices
    value: int  # sum of the chosen edges' values
    bound: int  # proven upper bound on the best value
    optimal: bool


def bipartite_bmatching(
    *,
    n: int,
    left: Sequence[bool],
    edges: Sequence[tuple[int, int]],
    values: Sequence[int],
    caps: Sequence[int],
    total_cap: int,
) -> BMatching:
    """Exact maximum-weight b-matching of a bipartite graph by min-cost flow.

    Network: source -> left node (capacity cap) -> right node (capacity 1, cost -value) -> sink, plus a
    source -> sink bypass of cost 0, so the flow pushed (min(total_cap, ...)) never forces a bad edge in.
    """
    from ortools.graph.python import min_cost_flow

    if not edges:
        return BMatching([], 0, 0, True)
    source, sink = n, n + 1
    supply = min(
        total_cap, sum(caps[i] for i in range(n) if left[i]), sum(caps[i] for i in range(n) if not left[i])
    )
    if supply <= 0:
        return BMatching([], 0, 0, True)
    tails, heads, capacities, costs = [], [], [], []
    for u, v in edges:
        a, b = (u, v) if left[u] else (v, u)
        tails.append(a)
        heads.append(b)
    capacities = [1] * len(edges)
    costs = [-int(x) for x in values]
    for i in range(n):
        if caps[i] <= 0:
            continue
        if left[i]:
            tails.append(source)
            heads.append(i)
        else:
            tails.append(i)
            heads.append(sink)
        capacities.append(int(caps[i]))
        costs.append(0)
    tails.append(source)
    heads.append(sink)
    capacities.append(int(supply))
    costs.append(0)

    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        np.asarray(tails, dtype=np.int32),
        np.asarray(heads, dtype=np.int32),
        np.asarray(capacities, dtype=np.int64),
        np.asarray(costs, dtype=np.int64),
    )
    flow.set_nodes_supplies(
        np.asarray([source, sink], dtype=np.int32), np.asarray([supply, -supply], dtype=np.int64)
    )
    status = flow.solve()
    if status != flow.OPTIMAL:  # pragma: no cover - the network is always feasible
        raise RuntimeError(f"min-cost flow failed with status {status}")
    flows = flow.flows(np.arange(len(edges), dtype=np.int32))
    chosen = [i for i in range(len(edges)) if flows[i] > 0]
    value = sum(int(values[i]) for i in chosen)
    return BMatching(chosen, value, value, True)


def general_bmatching(
    *,
    n: int,
    edges: Sequence[tuple[int, int]],
    values: Sequence[int],
    caps: Sequence[int],
    total_cap: int,
    time_limit: float,
    workers: int,
    stall: float = 2.0,
) -> BMatching:
    """Maximum-weight b-matching of a general graph: integer program solved by CP-SAT (time-limited).

    First the fractional relaxation, exactly, by a min-cost flow on the bipartite double cover (each person
    as a left and a right copy; its optimum halved is the LP optimum, with half-integral edges); its integral
    edges plus a greedy completion hint CP-SAT. The bound is the lower of the LP optimum and CP-SAT's proven
    objective bound (the value itself when the solve is optimal).
    """
    from terreau.meetings.rounds import _solve_with_stall

    if not edges:
        return BMatching([], 0, 0, True)
    cover_edges = [(u, n + v) for u, v in edges] + [(v, n + u) for u, v in edges]
    cover = bipartite_bmatching(
        n=2 * n,
        left=[True] * n + [False] * n,
        edges=cover_edges,
        values=list(values) * 2,
        caps=list(caps) * 2,
        total_cap=2 * total_cap,
    )
    lp_bound = cover.value // 2
    times = [0] * len(edges)
    for i in cover.chosen:
        times[i % len(edges)] += 1
    degree = [0] * n
    hint = []
    for i in sorted(range(len(edges)), key=lambda i: (-times[i], -values[i], i)):
        u, v = edges[i]
        if times[i] and degree[u] < caps[u] and degree[v] < caps[v] and len(hint) < total_cap:
            degree[u] += 1
            degree[v] += 1
            hint.append(i)
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    x = [model.new_bool_var(f"e{i}") for i in range(len(edges))]
    incident: list[list[int]] = [[] for _ in range(n)]
    for i, (u, v) in enumerate(edges):
        incident[u].append(i)
        incident[v].append(i)
    for p in range(n):
        if len(incident[p]) > caps[p]:
            model.add(sum(x[i] for i in incident[p]) <= caps[p])
    if total_cap < len(edges):
        model.add(sum(x) <= total_cap)
    objective = sum(int(values[i]) * x[i] for i in range(len(edges)))
    model.maximize(objective)
    hinted = set(hint)
    hint_value = sum(int(values[i]) for i in hinted)
    if hint_value >= lp_bound:
        return BMatching(sorted(hinted), hint_value, hint_value, True)
    for i in range(len(edges)):
        model.add_hint(x[i], i in hinted)
    model.add(objective <= lp_bound)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit)
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = 0
    status = _solve_with_stall(solver, model, stall)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE) or solver.objective_value < hint_value:
        return BMatching(sorted(hinted), hint_value, lp_bound, False)
    chosen = [i for i in range(len(edges)) if solver.boolean_value(x[i])]
    value = sum(int(values[i]) for i in chosen)
    optimal = status == cp_model.OPTIMAL
    bound = value if optimal else max(value, min(lp_bound, int(np.ceil(solver.best_objective_bound - 1e-6))))
    return BMatching(chosen, value, bound, optimal)
