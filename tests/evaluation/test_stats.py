"""Statistics of the evaluation, checked against scipy (no database)."""

import math
import statistics

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from terreau.evaluation import stats
from terreau.evaluation.stats import describe, distribution, paired, small_sample

P_TOLERANCE = {"rel": 1e-9, "abs": 1e-12}  # scipy computes some far tails as 1 - (1 - p)

# Likert 1-5, 12 linked respondents, with ties and zero changes (scipy: permutation test)
LIKERT_12_BEFORE = [2, 3, 3, 1, 4, 2, 2, 3, 5, 1, 2, 3]
LIKERT_12_AFTER = [4, 3, 4, 3, 4, 3, 5, 2, 5, 3, 4, 4]

# Likert 1-5, 60 linked respondents (scipy: normal approximation with tie correction)
LIKERT_60_BEFORE = [
    *[1, 2, 2, 3, 3, 3, 4, 2, 1, 3, 2, 4, 5, 3, 2, 1, 2, 3, 4, 3],
    *[2, 2, 3, 1, 4, 3, 2, 3, 3, 2, 5, 4, 3, 2, 1, 2, 3, 3, 4, 2],
    *[3, 1, 2, 4, 3, 3, 2, 2, 5, 3, 2, 3, 1, 4, 2, 3, 3, 2, 4, 3],
]
LIKERT_60_AFTER = [
    *[2, 3, 2, 4, 3, 4, 4, 3, 3, 3, 4, 4, 5, 4, 2, 2, 3, 3, 5, 4],
    *[3, 2, 4, 2, 3, 4, 3, 3, 4, 2, 5, 5, 3, 4, 2, 2, 3, 4, 4, 3],
    *[3, 2, 3, 4, 2, 4, 3, 2, 5, 4, 3, 3, 2, 4, 3, 4, 3, 3, 5, 3],
]

# Numbers (e.g. hours per week), 15 respondents, all changes distinct (scipy: exact)
NUMBER_BEFORE = [12.5, 8.0, 15.2, 9.9, 20.1, 7.4, 11.0, 13.3, 6.2, 18.8, 10.4, 9.1, 14.6, 5.5, 16.0]
NUMBER_AFTER = [14.0, 8.7, 15.0, 12.2, 22.9, 8.0, 14.6, 13.2, 9.3, 21.2, 10.0, 12.4, 16.1, 9.8, 16.9]

# Yes/no, 40 respondents: 14 no→yes, 9 yes→yes, 12 no→no, 5 yes→no
YES_NO_BEFORE = [0] * 14 + [1] * 9 + [0] * 12 + [1] * 5
YES_NO_AFTER = [1] * 14 + [1] * 9 + [0] * 12 + [0] * 5


def scipy_wilcoxon(before, after):
    return sps.wilcoxon(np.asarray(after, float), np.asarray(before, float))


def test_likert_12_pairs_with_ties_and_zeros_matches_scipy_permutation():
    result = paired(LIKERT_12_BEFORE, LIKERT_12_AFTER, scale="likert")
    ref = scipy_wilcoxon(LIKERT_12_BEFORE, LIKERT_12_AFTER)
    assert result.test.name == "test des rangs signés de Wilcoxon"
    assert result.test.method == "permutation"
    assert result.test.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert result.test.p_value == pytest.approx(ref.pvalue, **P_TOLERANCE)
    assert result.n == 12
    assert (result.n_improved, result.n_same, result.n_worse) == (8, 3, 1)
    assert result.share_improved == pytest.approx(8 / 12)
    assert result.other_tests == ()


def test_likert_60_pairs_matches_scipy_normal_approximation():
    result = paired(LIKERT_60_BEFORE, LIKERT_60_AFTER, scale="likert")
    ref = scipy_wilcoxon(LIKERT_60_BEFORE, LIKERT_60_AFTER)
    assert result.test.method == "normal"
    assert result.test.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert result.test.p_value == pytest.approx(ref.pvalue, **P_TOLERANCE)
    assert result.mean_before == pytest.approx(np.mean(LIKERT_60_BEFORE), rel=1e-12)
    assert result.mean_after == pytest.approx(np.mean(LIKERT_60_AFTER), rel=1e-12)


def test_likert_30_pairs_with_ties_uses_the_normal_approximation_like_scipy():
    before, after = LIKERT_60_BEFORE[:30], LIKERT_60_AFTER[:30]
    result = paired(before, after, scale="likert")
    ref = scipy_wilcoxon(before, after)
    assert result.test.method == "normal"
    assert result.test.p_value == pytest.approx(ref.pvalue, **P_TOLERANCE)


def test_numbers_paired_t_test_confidence_interval_and_exact_wilcoxon_match_scipy():
    result = paired(NUMBER_BEFORE, NUMBER_AFTER, scale="number")
    ref = sps.ttest_rel(NUMBER_AFTER, NUMBER_BEFORE)
    ci = ref.confidence_interval(confidence_level=0.95)
    assert result.test.name == "test t de Student apparié"
    assert result.test.statistic == pytest.approx(ref.statistic, rel=1e-9)
    assert result.test.p_value == pytest.approx(ref.pvalue, **P_TOLERANCE)
    assert result.ci_low == pytest.approx(ci.low, rel=1e-9)
    assert result.ci_high == pytest.approx(ci.high, rel=1e-9)
    diffs = np.asarray(NUMBER_AFTER) - np.asarray(NUMBER_BEFORE)
    assert result.mean_change == pytest.approx(diffs.mean(), rel=1e-12)
    assert result.cohen_dz == pytest.approx(diffs.mean() / diffs.std(ddof=1), rel=1e-9)
    (signed_rank,) = result.other_tests
    ref_w = scipy_wilcoxon(NUMBER_BEFORE, NUMBER_AFTER)
    assert signed_rank.method == "exact"
    assert signed_rank.statistic == pytest.approx(ref_w.statistic)
    assert signed_rank.p_value == pytest.approx(ref_w.pvalue, **P_TOLERANCE)


def test_confidence_level_can_change():
    result = paired(NUMBER_BEFORE, NUMBER_AFTER, scale="number", confidence=0.9)
    ci = sps.ttest_rel(NUMBER_AFTER, NUMBER_BEFORE).confidence_interval(confidence_level=0.9)
    assert (result.ci_low, result.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-9)


def test_yes_no_exact_mcnemar_matches_binomtest():
    result = paired(YES_NO_BEFORE, YES_NO_AFTER, scale="yes_no")
    assert result.test.name == "test de McNemar"
    assert (result.n_improved, result.n_worse, result.n_same) == (14, 5, 21)
    ref = sps.binomtest(14, 19, 0.5)
    assert result.test.p_value == pytest.approx(ref.pvalue, **P_TOLERANCE)
    assert result.test.statistic == 5
    assert result.mean_before == pytest.approx(14 / 40)
    assert result.mean_after == pytest.approx(23 / 40)
    assert result.rank_biserial is None


def test_booleans_are_yes_no_answers():
    result = paired([False, True, False], [True, True, True], scale="yes_no")
    assert result.n_improved == 2
    assert result.test.p_value == pytest.approx(sps.binomtest(2, 2).pvalue)


def test_mcnemar_balanced_discordant_pairs_gives_one():
    assert stats.mcnemar(improved=7, worsened=7).p_value == 1.0


def test_rank_biserial_by_hand():
    # changes +1, +2, -3: ranks 1, 2, 3 -> (3 - 3) / 6
    result = paired([1, 1, 4], [2, 3, 1], scale="likert")
    assert result.rank_biserial == 0.0
    assert paired([1, 2], [3, 5], scale="likert").rank_biserial == 1.0


def test_lower_is_better_swaps_improved_and_worse():
    result = paired([5, 4, 4], [3, 4, 5], scale="likert", higher_is_better=False)
    assert (result.n_improved, result.n_same, result.n_worse) == (1, 1, 1)
    assert result.mean_change == pytest.approx(-1 / 3)  # raw change: after - before


@pytest.mark.parametrize("scale", ["likert", "number", "yes_no"])
def test_no_pair_never_raises(scale):
    result = paired([], [], scale=scale)
    assert result.n == 0
    assert result.test.p_value is None and result.test.reason
    assert result.mean_before is None and result.share_improved is None


@pytest.mark.parametrize("scale", ["likert", "number"])
def test_one_pair_has_no_p_value(scale):
    result = paired([2], [4], scale=scale)
    assert result.n == 1 and result.mean_change == 2
    assert result.test.p_value is None
    assert result.test.reason == stats.ONE_PAIR
    assert result.ci_low is None and result.cohen_dz is None


def test_no_change_at_all_has_no_p_value():
    result = paired([3, 4, 2, 5], [3, 4, 2, 5], scale="likert")
    assert result.test.p_value is None and result.test.reason == stats.NO_CHANGE
    assert result.rank_biserial is None and result.share_same == 1
    number = paired([3, 4, 2, 5], [3, 4, 2, 5], scale="number")
    assert number.test.reason == stats.NO_CHANGE
    assert number.other_tests[0].reason == stats.NO_CHANGE
    assert paired([1, 0], [1, 0], scale="yes_no").test.reason == stats.NO_DISCORDANT


def test_identical_change_for_everyone():
    result = paired([1.0, 2.0, 3.0], [2.0, 3.0, 4.0], scale="number")
    assert result.test.p_value is None and result.test.reason == stats.SAME_CHANGE
    assert result.ci_low is None and result.cohen_dz is None
    assert result.mean_change == 1


def test_missing_answers_are_dropped_pair_by_pair():
    before = [1, None, 3, float("nan"), 2, 4, "?"]
    after = [2, 3, None, 4, 4, 5, 3]
    result = paired(before, after, scale="number")
    assert result.n == 3 and result.n_dropped == 4
    assert result.mean_change == pytest.approx((1 + 2 + 1) / 3)


def test_length_mismatch_and_bad_input_raise_value_error():
    with pytest.raises(ValueError, match="as many"):
        paired([1, 2], [1], scale="likert")
    with pytest.raises(ValueError, match="Unknown scale"):
        paired([1], [1], scale="ordinal")
    with pytest.raises(ValueError, match="0/1"):
        paired([2], [1], scale="yes_no")


def test_describe_matches_statistics_module():
    values = [3, 1, 4, 1, 5, 9, 2, 6, None, float("nan")]
    clean = [3, 1, 4, 1, 5, 9, 2, 6]
    result = describe(values)
    assert result.n == 8
    assert result.mean == pytest.approx(statistics.mean(clean))
    assert result.sd == pytest.approx(statistics.stdev(clean))
    assert result.median == statistics.median(clean)
    assert (result.min, result.max) == (1, 9)
    assert describe([7]).sd is None and describe([7]).median == 7
    assert describe([]) == stats.Describe(0, None, None, None, None, None)
    # hostile values are missing answers, never a crash
    assert describe([10**400, "12", {"a": 1}, float("inf"), 4]).n == 1


def test_distribution_counts_and_shares():
    result = distribution(["oui", "non", "oui", None, "peut-être", "oui"], ["oui", "non"])
    assert result.n == 4 and result.n_other == 1
    assert result.counts == {"oui": 3, "non": 1}
    assert result.shares == {"oui": 0.75, "non": 0.25}
    empty = distribution([], ["a"])
    assert empty.counts == {"a": 0} and empty.shares == {"a": None}


def test_distribution_of_multiple_choices_counts_respondents():
    result = distribution([["a", "b"], ["a"], [], ("b", "z")], ["a", "b", "c"])
    assert result.n == 4
    assert result.counts == {"a": 2, "b": 2, "c": 0}
    assert result.shares["a"] == 0.5
    assert result.n_other == 1


def test_small_sample_flag():
    assert small_sample(29) and not small_sample(30)
    assert small_sample(10, threshold=12)


# --------------------------------------------------------------------------- properties

likert = st.integers(min_value=1, max_value=5)


@st.composite
def likert_pairs(draw):
    n = draw(st.integers(min_value=2, max_value=70))
    before = draw(st.lists(likert, min_size=n, max_size=n))
    after = draw(st.lists(likert, min_size=n, max_size=n))
    return before, after


@settings(max_examples=50, deadline=None)
@given(likert_pairs())
def test_random_likert_pairs_agree_with_scipy_wilcoxon(data):
    before, after = data
    result = paired(before, after, scale="likert")
    if all(b == a for a, b in zip(before, after, strict=True)):
        assert result.test.p_value is None
        return
    ref = scipy_wilcoxon(before, after)
    assert result.test.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert result.test.p_value == pytest.approx(ref.pvalue, **P_TOLERANCE)


@st.composite
def number_pairs(draw):
    n = draw(st.integers(min_value=2, max_value=60))
    tenths = st.integers(min_value=-500, max_value=500)
    before = [x / 10 for x in draw(st.lists(tenths, min_size=n, max_size=n))]
    after = [x / 10 for x in draw(st.lists(tenths, min_size=n, max_size=n))]
    return before, after


@settings(max_examples=50, deadline=None)
@given(number_pairs())
def test_random_number_pairs_agree_with_scipy(data):
    before, after = data
    result = paired(before, after, scale="number")
    diffs = np.asarray(after) - np.asarray(before)
    if np.all(diffs == diffs[0]):
        assert result.test.p_value is None
        return
    ref = sps.ttest_rel(after, before)
    ci = ref.confidence_interval(confidence_level=0.95)
    assert result.test.statistic == pytest.approx(ref.statistic, rel=1e-9, abs=1e-12)
    assert result.test.p_value == pytest.approx(ref.pvalue, **P_TOLERANCE)
    assert result.ci_low == pytest.approx(ci.low, rel=1e-9, abs=1e-12)
    assert result.ci_high == pytest.approx(ci.high, rel=1e-9, abs=1e-12)
    signed_rank = result.other_tests[0]
    if signed_rank.p_value is not None:
        ref_w = scipy_wilcoxon(before, after)
        assert signed_rank.p_value == pytest.approx(ref_w.pvalue, **P_TOLERANCE)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=300))
def test_random_yes_no_pairs_agree_with_binomtest(pairs):
    before = [b for b, _ in pairs]
    after = [a for _, a in pairs]
    result = paired(before, after, scale="yes_no")
    up = sum(1 for b, a in pairs if a and not b)
    down = sum(1 for b, a in pairs if b and not a)
    if up + down == 0:
        assert result.test.p_value is None
        return
    assert result.test.p_value == pytest.approx(sps.binomtest(up, up + down).pvalue, **P_TOLERANCE)
    assert result.share_improved + result.share_same + result.share_worse == pytest.approx(1)


def test_large_mcnemar_matches_binomtest():
    result = stats.mcnemar(improved=5210, worsened=4790)
    assert result.p_value == pytest.approx(sps.binomtest(5210, 10000).pvalue, **P_TOLERANCE)


def test_exact_wilcoxon_at_fifty_pairs_without_ties():
    diffs = [(-1) ** i * (i + 1) + 0.5 * (i % 3 == 0) for i in range(50)]
    diffs = [d if i % 4 else abs(d) for i, d in enumerate(diffs)]
    assert len({abs(d) for d in diffs}) == 50
    result = stats.wilcoxon(diffs)
    ref = sps.wilcoxon(diffs)
    assert result.method == "exact"
    assert result.p_value == pytest.approx(ref.pvalue, **P_TOLERANCE)
    assert math.isfinite(result.statistic)
