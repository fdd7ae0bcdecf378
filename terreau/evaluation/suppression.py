"""Statistical confidentiality of the evaluation report (pure Python, no Django).

No figure computed on fewer than ``min_count`` respondents is shown, so that no one can be
recognised. Counts from 1 to ``min_count - 1`` are hidden (primary suppression; 0 is shown).
A hidden count must not be recoverable by subtraction either (secondary suppression): in every
line of a table whose total is shown, the hidden entries are 0 or at least 2, and when all the
hidden cells of a line are non-zero their sum is more than their number (otherwise each would
be known to be 1). Extra cells are hidden smallest first; a total is hidden when nothing else
is left to hide.

This is the usual « deux cases masquées par ligne » heuristic, not a linear-programming audit.
``None`` stands for a hidden figure throughout.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

from terreau.evaluation.stats import Describe, Distribution, Paired, SignificanceTest

K = TypeVar("K", bound=Hashable)
R = TypeVar("R", bound=Hashable)
C = TypeVar("C", bound=Hashable)

HIDDEN_REASON = "masqué (trop peu de réponses, secret statistique)"


def visible_stat(n: int | None, *, min_count: int) -> bool:
    """True when a figure computed on ``n`` respondents may be shown."""
    return n is not None and n >= min_count and n > 0


def _primary(count: int, min_count: int) -> bool:
    return 0 < count < min_count


def _check_counts(counts: Mapping[K, int]) -> None:
    for key, count in counts.items():
        if count < 0:
            raise ValueError(f"Counts cannot be negative (got {count} for {key!r}).")


@dataclass(frozen=True)
class SuppressedRow:
    cells: dict  # key -> count or None when hidden
    total: int | None


def _protect_line(cells: list, total: object, values: dict, hidden: set) -> bool:
    """Hide one more entry of a line (cells summing to ``total``) if a hidden one is exposed.

    ``values`` maps every entry to its count; ``hidden`` is updated in place. Returns True when
    an entry was hidden (call again until False).
    """
    if total in hidden:
        # the total is unknown: it is recoverable only when every cell is shown
        if any(cell in hidden for cell in cells):
            return False
        return _hide_one(cells, total, values, hidden)
    hidden_values = [values[cell] for cell in cells if cell in hidden and values[cell] > 0]
    if not hidden_values:
        return False
    if len(hidden_values) >= 2 and sum(hidden_values) > len(hidden_values):
        return False  # at least two unknowns, and not all known to be 1
    return _hide_one(cells, total, values, hidden)


def _hide_one(cells: list, total: object, values: dict, hidden: set) -> bool:
    """Hide the smallest shown non-zero cell, else the total, else a shown zero."""
    shown = [cell for cell in cells if cell not in hidden]
    nonzero = [(values[cell], position) for position, cell in enumerate(shown) if values[cell]]
    if nonzero:
        hidden.add(shown[min(nonzero)[1]])
    elif total not in hidden:
        hidden.add(total)
    elif shown:
        hidden.add(shown[0])
    else:
        return False
    return True


def suppress_row(cells: Mapping[K, int], *, min_count: int) -> SuppressedRow:
    """Suppress one breakdown (e.g. answers per category) whose total is published."""
    _check_counts(cells)
    keys = list(cells)
    total_key = object()
    values: dict = dict(cells)
    values[total_key] = sum(cells.values())
    hidden = {key for key, count in values.items() if _primary(count, min_count)}
    while _protect_line(keys, total_key, values, hidden):
        pass
    return SuppressedRow(
        cells={key: (None if key in hidden else cells[key]) for key in keys},
        total=None if total_key in hidden else values[total_key],
    )


def suppress_counts(cells: Mapping[K, int], *, min_count: int) -> dict[K, int | None]:
    """Counts of one breakdown with small counts hidden (primary and secondary suppression).

    The total of the breakdown may be shown only as ``suppress_row(...).total`` (it is hidden
    in the rare case where all hidden counts would otherwise be known to be 1).
    """
    return suppress_row(cells, min_count=min_count).cells


@dataclass(frozen=True)
class SuppressedTable:
    """A breakdown by rows (e.g. sites) and columns (e.g. answers) with its margins."""

    rows: dict  # row -> {column: count or None}
    row_totals: dict  # row -> count or None
    column_totals: dict | None  # column -> count or None (None when total=False)
    grand_total: int | None


_TOTAL = ("__total__",)


def suppress_table(
    rows: Mapping[R, Mapping[C, int]], *, min_count: int, total: bool = True
) -> SuppressedTable:
    """Suppress a two-way table whose row totals (and, with ``total``, the totals row) are shown.

    Every row, every column and the line of margins is protected, repeating until stable.
    """
    row_keys = list(rows)
    columns: list = []
    for cells in rows.values():
        _check_counts(cells)
        columns.extend(column for column in cells if column not in columns)
    values: dict = {}
    for row in row_keys:
        for column in columns:
            values[(row, column)] = rows[row].get(column, 0)
        values[(row, _TOTAL)] = sum(values[(row, column)] for column in columns)
    lines: list[tuple[list, tuple]] = [
        ([(row, column) for column in columns], (row, _TOTAL)) for row in row_keys
    ]
    if total:
        for column in [*columns, _TOTAL]:
            values[(_TOTAL, column)] = sum(values[(row, column)] for row in row_keys)
            lines.append(([(row, column) for row in row_keys], (_TOTAL, column)))
        lines.append(([(_TOTAL, column) for column in columns], (_TOTAL, _TOTAL)))
    hidden = {key for key, count in values.items() if _primary(count, min_count)}
    changed = True
    while changed:
        changed = False
        for cells, line_total in lines:
            while _protect_line(cells, line_total, values, hidden):
                changed = True

    def show(key):
        return None if key in hidden else values[key]

    return SuppressedTable(
        rows={row: {column: show((row, column)) for column in columns} for row in row_keys},
        row_totals={row: show((row, _TOTAL)) for row in row_keys},
        column_totals={column: show((_TOTAL, column)) for column in columns} if total else None,
        grand_total=show((_TOTAL, _TOTAL)) if total else None,
    )


# --------------------------------------------------------------------------- statistics


def shown_describe(stat: Describe, *, min_count: int) -> Describe | None:
    """The description, or None when computed on too few respondents.

    The median goes with the rest, only from ``min_count`` answers on. With an odd count it is one person's own
    answer, and that is accepted: it is the middle value, never an extreme one (the minimum and the maximum,
    which single out the outlier, are never shown), no one can tell whose it is, and the mean shown beside it
    gives away at least as much to people who know all the other answers (``n - 1`` respondents who pool their
    answers get the last one exactly from the mean, whatever the median says). The usual rules for statistical
    outputs (a threshold on the count for every statistic, extremes withheld) treat a median above the
    threshold the same way; rounding it would not protect more than the mean is protected.
    """
    return stat if visible_stat(stat.n, min_count=min_count) else None


def shown_distribution(stat: Distribution, *, min_count: int) -> Distribution | None:
    """The distribution with small counts (and their shares) hidden; None when n is too small.

    For single-choice answers the counts add up to ``n``, which is shown: the row rules apply.
    Multiple-choice counts do not add up to anything shown, so only primary suppression applies.
    """
    if not visible_stat(stat.n, min_count=min_count):
        return None
    if sum(stat.counts.values()) == stat.n:
        row = suppress_row(stat.counts, min_count=min_count)
        if row.total is None:
            return None
        counts, n = row.cells, row.total
    else:
        counts = {k: (None if _primary(v, min_count) else v) for k, v in stat.counts.items()}
        n = stat.n
    shares = {key: (None if counts[key] is None else stat.shares[key]) for key in counts}
    return Distribution(n=n, counts=counts, shares=shares, n_other=stat.n_other)


def shown_paired(stat: Paired, *, min_count: int) -> Paired | None:
    """The paired comparison, or None on too few pairs; small improved/same/worse hidden.

    Yes/no answers need more care, their figures being counts in disguise: the means are
    shares of « oui » (hidden, with the change, when « oui » or « non » is rare before or
    after); the mean change is the net number of changes, and the spread of the changes, the
    confidence interval, the effect size and the McNemar test follow from the discordant
    counts. So when improved, same or worse is hidden, all three are, with the interval, the
    effect size and the test; the means and the change stay.
    """
    if not visible_stat(stat.n, min_count=min_count):
        return None
    row = suppress_row(
        {"improved": stat.n_improved, "same": stat.n_same, "worse": stat.n_worse},
        min_count=min_count,
    )
    if row.total is None:
        return None
    cells = dict(row.cells)
    changes: dict = {}
    if stat.scale == "yes_no":
        if None in cells.values():
            cells = dict.fromkeys(cells)
            changes.update(ci_low=None, ci_high=None, cohen_dz=None, test=hidden_test(stat.test))
        for mean_field in ("mean_before", "mean_after"):
            yes = round((getattr(stat, mean_field) or 0) * stat.n)
            if _primary(yes, min_count) or _primary(stat.n - yes, min_count):
                changes.update(mean_before=None, mean_after=None, mean_change=None)
                changes.update(ci_low=None, ci_high=None, cohen_dz=None)
    changes.update(
        n_improved=cells["improved"],
        n_same=cells["same"],
        n_worse=cells["worse"],
        share_improved=None if cells["improved"] is None else stat.share_improved,
        share_same=None if cells["same"] is None else stat.share_same,
        share_worse=None if cells["worse"] is None else stat.share_worse,
    )
    return replace(stat, **changes)


def hidden_test(test: SignificanceTest) -> SignificanceTest:
    """The same test with its figures hidden for confidentiality."""
    return SignificanceTest(test.name, None, None, reason=HIDDEN_REASON)
