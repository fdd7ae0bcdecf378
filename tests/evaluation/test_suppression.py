"""Statistical confidentiality: small counts hidden, and not recoverable from totals."""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terreau.evaluation.stats import describe, distribution, paired
from terreau.evaluation.suppression import (
    HIDDEN_REASON,
    shown_describe,
    shown_distribution,
    shown_paired,
    suppress_counts,
    suppress_row,
    suppress_table,
    visible_stat,
)


def test_small_counts_hidden_zero_shown_and_a_second_cell_hidden():
    result = suppress_counts({"oui": 3, "non": 10, "nsp": 0, "peut-être": 12}, min_count=5)
    # 3 is hidden; alone, it would be total - 22: the smallest other count (10) goes too
    assert result == {"oui": None, "non": None, "nsp": 0, "peut-être": 12}
    assert suppress_row({"oui": 3, "non": 10, "nsp": 0}, min_count=5).total == 13


def test_nothing_hidden_when_every_count_is_large_or_zero():
    cells = {"a": 5, "b": 0, "c": 40}
    assert suppress_counts(cells, min_count=5) == cells


def test_two_small_counts_protect_each_other():
    assert suppress_counts({"a": 2, "b": 3, "c": 20}, min_count=5) == {
        "a": None,
        "b": None,
        "c": 20,
    }


def test_hidden_ones_only_are_not_safe():
    # both hidden counts would be known to be 1 (zeros are shown): hide one more
    assert suppress_counts({"a": 1, "b": 1, "c": 7, "d": 9}, min_count=5) == {
        "a": None,
        "b": None,
        "c": None,
        "d": 9,
    }
    # nothing else to hide: the total goes
    row = suppress_row({"a": 1, "b": 1, "c": 1, "d": 1, "e": 1}, min_count=5)
    assert set(row.cells.values()) == {None} and row.total is None


def test_small_total_is_hidden():
    row = suppress_row({"a": 2, "b": 0}, min_count=5)
    assert row.cells == {"a": None, "b": 0} and row.total is None


def test_negative_count_is_a_programming_error():
    with pytest.raises(ValueError, match="negative"):
        suppress_counts({"a": -1}, min_count=5)


def test_table_by_site_with_totals():
    rows = {
        "Lyon": {"oui": 12, "non": 3},
        "Brest": {"oui": 20, "non": 15},
        "Metz": {"oui": 9, "non": 8},
    }
    table = suppress_table(rows, min_count=5)
    assert table.rows["Lyon"]["non"] is None
    assert table.row_totals == {"Lyon": 15, "Brest": 35, "Metz": 17}
    assert table.grand_total == 67
    assert_table_protected(table, rows)
    # Lyon's « non » must not be recoverable from its column either
    column = [table.rows[site]["non"] for site in table.rows]
    assert column.count(None) >= 2 or table.column_totals["non"] is None


def test_table_without_totals_row():
    table = suppress_table({"A": {"x": 1, "y": 9}, "B": {"x": 8}}, min_count=3, total=False)
    assert table.column_totals is None and table.grand_total is None
    assert table.rows["A"] == {"x": None, "y": None}
    assert table.rows["B"] == {"x": 8, "y": 0}


def test_visible_stat():
    assert visible_stat(5, min_count=5)
    assert not visible_stat(4, min_count=5)
    assert not visible_stat(0, min_count=0)
    assert not visible_stat(None, min_count=5)


def test_blanking_statistics_on_too_few_respondents():
    assert shown_describe(describe([1, 2, 3]), min_count=5) is None
    kept = describe(range(10))
    assert shown_describe(kept, min_count=5) is kept
    assert shown_distribution(distribution(["a", "b"], ["a", "b"]), min_count=5) is None
    assert shown_paired(paired([1, 2], [2, 3], scale="likert"), min_count=5) is None


def test_distribution_small_categories_hidden():
    values = ["a"] * 20 + ["b"] * 2 + ["c"] * 8
    result = shown_distribution(distribution(values, ["a", "b", "c", "d"]), min_count=5)
    assert result.counts == {"a": 20, "b": None, "c": None, "d": 0}
    assert result.shares == {"a": 20 / 30, "b": None, "c": None, "d": 0}
    assert result.n == 30
    multi = distribution([["a", "b"]] * 6 + [["a"]] * 2, ["a", "b", "c"])
    shown = shown_distribution(multi, min_count=5)
    assert shown.counts == {"a": 8, "b": 6, "c": 0}


def test_paired_yes_no_small_changes_hide_every_change_count_and_the_test():
    before = [0] * 30 + [1] * 10
    after = [0] * 27 + [1] * 3 + [1] * 10
    result = shown_paired(paired(before, after, scale="yes_no"), min_count=5)
    assert result.n == 40
    # 3 improved, 0 worse: the net change (+3) and a shown « worse » would give it away
    assert (result.n_improved, result.n_same, result.n_worse) == (None, None, None)
    assert result.share_improved is None and result.share_worse is None
    assert result.test.p_value is None and result.test.reason == HIDDEN_REASON
    assert result.ci_low is None and result.cohen_dz is None
    assert result.mean_before == 0.25 and result.mean_after == 13 / 40
    few_yes = shown_paired(paired([0] * 38 + [1] * 2, [0] * 40, scale="yes_no"), min_count=5)
    assert few_yes.mean_before is None and few_yes.mean_after is None
    assert few_yes.mean_change is None


def test_paired_likert_small_change_count_hidden():
    before = [2] * 40
    after = [3] * 3 + [2] * 30 + [1] * 7
    result = shown_paired(paired(before, after, scale="likert"), min_count=5)
    assert result.n_improved is None and result.n_worse is None and result.n_same == 30
    assert result.test.p_value is not None and result.mean_change is not None


def test_paired_likert_kept_when_large_enough():
    result = shown_paired(paired([2] * 20, [3] * 10 + [2] * 10, scale="likert"), min_count=5)
    assert result.n_improved == 10 and result.n_same == 10 and result.n_worse == 0
    assert result.test.p_value is not None


# --------------------------------------------------------------------------- properties


def compositions(total, parts):
    """Every way to write ``total`` as ``parts`` positive integers."""
    if parts == 1:
        yield (total,)
        return
    for first in range(1, total - parts + 2):
        for rest in compositions(total - first, parts - 1):
            yield (first, *rest)


rows = st.dictionaries(
    st.sampled_from("abcdef"), st.integers(min_value=0, max_value=9), min_size=1, max_size=5
)


@settings(max_examples=50, deadline=None)
@given(rows, st.integers(min_value=1, max_value=8))
def test_row_suppression_properties(cells, min_count):
    row = suppress_row(cells, min_count=min_count)
    for key, shown in row.cells.items():
        assert shown is None or shown == cells[key]
        assert shown is None or not 0 < shown < min_count
    total = sum(cells.values())
    assert row.total is None or (row.total == total and not 0 < total < min_count)
    if row.total is None:
        return
    # Brute force: an attacker knowing the total, the shown cells and that hidden cells are
    # non-zero (zeros are shown) lists every possible content of the hidden cells.
    hidden = [key for key, shown in row.cells.items() if shown is None]
    nonzero_hidden = [key for key in hidden if cells[key] > 0]
    assert len(nonzero_hidden) in (0,) or len(nonzero_hidden) >= 2
    if not hidden:
        return
    remainder = total - sum(v for v in row.cells.values() if v is not None)
    possible = [set() for _ in hidden]
    for candidate in compositions(remainder, len(hidden)):
        for index, value in enumerate(candidate):
            possible[index].add(value)
    for index, key in enumerate(hidden):
        assert cells[key] in possible[index]
        assert len(possible[index]) >= 2, f"{key} recoverable in {cells} -> {row}"


def assert_table_protected(table, rows_in):
    """In every line with a shown total, the hidden non-zero cells are 0, or 2+ not all ones;
    a hidden total is never the sum of shown cells."""
    columns = list(next(iter(table.rows.values())))

    def original(row, column):
        return rows_in[row].get(column, 0)

    lines = [
        ([(cells[c], original(row, c)) for c in columns], table.row_totals[row])
        for row, cells in table.rows.items()
    ]
    if table.column_totals is not None:
        for column in columns:
            cells = [(table.rows[row][column], original(row, column)) for row in table.rows]
            lines.append((cells, table.column_totals[column]))
        margins = [(table.column_totals[c], sum(original(row, c) for row in table.rows)) for c in columns]
        lines.append((margins, table.grand_total))
    for cells, total in lines:
        if total is None:
            assert any(shown is None for shown, _ in cells), "hidden total = sum of shown cells"
            continue
        hidden = [value for shown, value in cells if shown is None and value > 0]
        assert len(hidden) != 1
        assert not hidden or sum(hidden) > len(hidden)


tables = st.dictionaries(
    st.sampled_from(["Lyon", "Brest", "Metz", "Lille"]),
    st.dictionaries(st.sampled_from("xyz"), st.integers(0, 15), min_size=1, max_size=3),
    min_size=1,
    max_size=4,
)


@settings(max_examples=50, deadline=None)
@given(tables, st.integers(min_value=1, max_value=8), st.booleans())
def test_table_suppression_properties(rows_in, min_count, with_total):
    table = suppress_table(rows_in, min_count=min_count, total=with_total)
    for row, cells in table.rows.items():
        for column, shown in cells.items():
            original = rows_in[row].get(column, 0)
            assert shown is None or (shown == original and not 0 < shown < min_count)
        row_total = sum(rows_in[row].values())
        assert table.row_totals[row] in (None, row_total)
    shown_margins = [*table.row_totals.values()]
    if with_total:
        shown_margins += [*table.column_totals.values(), table.grand_total]
    assert all(value is None or not 0 < value < min_count for value in shown_margins)
    assert_table_protected(table, rows_in)


def test_compositions_helper():
    assert list(compositions(3, 2)) == [(1, 2), (2, 1)]
    assert len(list(compositions(6, 3))) == len(list(itertools.combinations(range(5), 2)))
