"""Statistics of the evaluation: descriptions, distributions and paired before/after tests.

Pure Python on plain data (no Django import): the report builds its figures from here, and
``suppression.py`` decides what may be shown. The paired tests reproduce ``scipy.stats``
(``wilcoxon`` with its defaults, ``ttest_rel``, ``binomtest`` for McNemar); the tests compare
both. Only the Student t distribution is taken from ``scipy.special`` (a runtime dependency).

Missing answers (``None``, NaN, infinities) are left out, pair by pair. Degenerate data (no
pair, one pair, no change, identical changes) never raise: the p-value is ``None`` and
``reason`` says why, in French, ready to be shown.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from scipy import special

Scale = Literal["likert", "number", "yes_no"]
SCALES = ("likert", "number", "yes_no")

#: Below this many respondents, figures are shown but flagged « à lire avec prudence ».
SMALL_SAMPLE_THRESHOLD = 30

WILCOXON = "test des rangs signés de Wilcoxon"
T_TEST = "test t de Student apparié"
MCNEMAR = "test de McNemar"

NO_PAIR = "aucune paire de réponses complète"
ONE_PAIR = "une seule paire de réponses, trop peu pour un test"
NO_CHANGE = "aucun changement entre avant et après"
SAME_CHANGE = "changement identique pour toutes les personnes (aucune dispersion)"
NO_DISCORDANT = "aucune réponse oui/non n’a changé entre avant et après"

# scipy.stats.wilcoxon(method="auto"): more than 50 pairs -> normal approximation; otherwise the
# exact distribution without ties or zeros, an exhaustive sign-flip permutation test (exact,
# 2**n <= 9999 resamples) up to 13 pairs, and the normal approximation beyond.
_WILCOXON_EXACT_MAX = 50
_WILCOXON_PERMUTATION_MAX = 13


def small_sample(n: int, *, threshold: int = SMALL_SAMPLE_THRESHOLD) -> bool:
    """True when ``n`` respondents are too few for firm conclusions (figures to read with caution)."""
    return n < threshold


def _number(value: object) -> float | None:
    """A finite float, or None for a missing answer (None, NaN, infinity, not a number)."""
    kind = type(value)
    if kind is float:  # fast paths: analysis passes tens of thousands of values
        return value if math.isfinite(value) else None  # type: ignore[arg-type]
    if kind is int and -(2**53) <= value <= 2**53:  # type: ignore[operator]
        return float(value)  # type: ignore[arg-type]
    if value is None or isinstance(value, str):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _clean(values: Iterable[object]) -> list[float]:
    return [x for x in map(_number, values) if x is not None]


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


def _sd(values: Sequence[float], mean: float) -> float:
    """Sample standard deviation (n - 1 denominator); needs two values at least."""
    return math.sqrt(math.fsum((x - mean) ** 2 for x in values) / (len(values) - 1))


# --------------------------------------------------------------------------- descriptions


@dataclass(frozen=True)
class Describe:
    n: int
    mean: float | None
    sd: float | None
    median: float | None
    min: float | None
    max: float | None


def describe(values: Iterable[object]) -> Describe:
    """Count, mean, standard deviation (n - 1), median, minimum and maximum of the known values."""
    data = sorted(_clean(values))
    n = len(data)
    if n == 0:
        return Describe(n=0, mean=None, sd=None, median=None, min=None, max=None)
    mean = _mean(data)
    middle = n // 2
    median = data[middle] if n % 2 else (data[middle - 1] + data[middle]) / 2
    return Describe(
        n=n,
        mean=mean,
        sd=_sd(data, mean) if n >= 2 else None,
        median=median,
        min=data[0],
        max=data[-1],
    )


@dataclass(frozen=True)
class Distribution:
    """Answers per category. ``shares`` are fractions of ``n`` (respondents who answered).

    For multiple-choice answers (a list, tuple or set per respondent) a respondent counts once
    in each category chosen, so shares may add up to more than 1.
    """

    n: int
    counts: dict[Hashable, int | None]  # None only once hidden by suppression
    shares: dict[Hashable, float | None]
    n_other: int = 0  # values outside ``categories`` (left out of n and of the counts)


def distribution(values: Iterable[object], categories: Sequence[Hashable]) -> Distribution:
    counts: dict[Hashable, int] = dict.fromkeys(categories, 0)
    n = n_other = 0
    for value in values:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if isinstance(value, list | tuple | set | frozenset):
            n += 1
            for choice in {c for c in value if isinstance(c, Hashable)}:
                if choice in counts:
                    counts[choice] += 1
                else:
                    n_other += 1
        elif isinstance(value, Hashable) and value in counts:
            n += 1
            counts[value] += 1
        else:
            n_other += 1
    shares = {key: (count / n if n else None) for key, count in counts.items()}
    return Distribution(n=n, counts=counts, shares=shares, n_other=n_other)


# --------------------------------------------------------------------------- paired tests


@dataclass(frozen=True)
class SignificanceTest:
    name: str  # in French, e.g. « test des rangs signés de Wilcoxon »
    statistic: float | None
    p_value: float | None
    method: str = ""  # "exact", "permutation", "normal", "student" or "" when not computed
    reason: str | None = None  # why there is no p-value, in French


@dataclass(frozen=True)
class Paired:
    """Before/after comparison of the same respondents."""

    scale: Scale
    n: int  # complete pairs
    n_dropped: int  # pairs left out because an answer was missing
    mean_before: float | None
    mean_after: float | None
    mean_change: float | None  # after - before
    ci_low: float | None  # confidence interval of the mean change (Student t)
    ci_high: float | None
    confidence: float
    cohen_dz: float | None  # mean change / sd of the changes
    rank_biserial: float | None  # matched-pairs rank-biserial correlation (likert, number)
    test: SignificanceTest  # the test fitting the scale
    other_tests: tuple[SignificanceTest, ...]  # also reported (Wilcoxon for numbers)
    n_improved: int | None  # None only once hidden by suppression.shown_paired
    n_same: int | None
    n_worse: int | None
    share_improved: float | None
    share_same: float | None
    share_worse: float | None


@dataclass(frozen=True)
class _SignedRanks:
    ranks: list[float]  # average ranks of |d| over the non-zero differences
    groups: list[int]  # sizes of the groups of tied |d|
    r_plus: float  # sum of the ranks of the positive differences
    r_minus: float


def _signed_ranks(differences: Sequence[float]) -> _SignedRanks:
    """Average ranks (1-based) of |d| for the non-zero differences, and the signed rank sums."""
    nonzero = [d for d in differences if d != 0]
    sizes = list(map(abs, nonzero))
    order = sorted(range(len(sizes)), key=sizes.__getitem__)
    ranks = [0.0] * len(sizes)
    groups: list[int] = []
    start, count = 0, len(order)
    while start < count:
        level = sizes[order[start]]
        stop = start + 1
        while stop < count and sizes[order[stop]] == level:
            stop += 1
        rank = (start + 1 + stop) / 2  # mean of the ranks start+1 .. stop
        for position in range(start, stop):
            ranks[order[position]] = rank
        groups.append(stop - start)
        start = stop
    r_plus = math.fsum(rank for rank, d in zip(ranks, nonzero, strict=True) if d > 0)
    r_minus = math.fsum(rank for rank, d in zip(ranks, nonzero, strict=True) if d < 0)
    return _SignedRanks(ranks=ranks, groups=groups, r_plus=r_plus, r_minus=r_minus)


@lru_cache(maxsize=512)
def _sign_flip_counts(doubled_ranks: tuple[int, ...]) -> tuple[int, ...]:
    """Number of sign patterns giving each value of 2 * R+ (R+ = sum of positive ranks)."""
    counts = [1]
    for rank in doubled_ranks:
        grown = counts + [0] * rank
        for total, ways in enumerate(counts):
            grown[total + rank] += ways
        counts = grown
    return tuple(counts)


def _sign_flip_p_value(ranks: Sequence[float], r_plus: float) -> float:
    """Two-sided p-value of R+ over the 2**m equally likely sign patterns (exact)."""
    doubled = tuple(sorted(round(2 * rank) for rank in ranks))
    counts = _sign_flip_counts(doubled)
    observed = round(2 * r_plus)
    lower = sum(counts[: observed + 1])
    upper = sum(counts[observed:])
    return min(1.0, 2 * min(lower, upper) / 2 ** len(ranks))


def wilcoxon(differences: Sequence[float], *, signed: _SignedRanks | None = None) -> SignificanceTest:
    """Wilcoxon signed-rank test, as ``scipy.stats.wilcoxon(differences)`` with its defaults.

    Zero differences are dropped (zero_method="wilcox"), no continuity correction, two-sided;
    method "auto" as in scipy (see the constants above). The statistic is min(R+, R-).
    """
    n_total = len(differences)
    if n_total == 0:
        return SignificanceTest(WILCOXON, None, None, reason=NO_PAIR)
    if n_total == 1:
        return SignificanceTest(WILCOXON, None, None, reason=ONE_PAIR)
    signed = signed or _signed_ranks(differences)
    ranks, groups, r_plus = signed.ranks, signed.groups, signed.r_plus
    m = len(ranks)
    if m == 0:
        return SignificanceTest(WILCOXON, 0.0, None, reason=NO_CHANGE)
    statistic = min(r_plus, signed.r_minus)
    has_ties = any(size > 1 for size in groups)
    exact = n_total <= _WILCOXON_EXACT_MAX and not has_ties and m == n_total
    if exact or (n_total <= _WILCOXON_PERMUTATION_MAX):
        p_value = _sign_flip_p_value(ranks, r_plus)
        return SignificanceTest(WILCOXON, statistic, p_value, method="exact" if exact else "permutation")
    mean = m * (m + 1) / 4
    tie_term = sum(size**3 - size for size in groups) / 2
    se = math.sqrt((m * (m + 1) * (2 * m + 1) - tie_term) / 24)
    z = (r_plus - mean) / se
    return SignificanceTest(WILCOXON, statistic, math.erfc(abs(z) / math.sqrt(2)), method="normal")


def t_test(differences: Sequence[float]) -> SignificanceTest:
    """Paired Student t test on the differences, as ``scipy.stats.ttest_rel`` (two-sided)."""
    n = len(differences)
    if n == 0:
        return SignificanceTest(T_TEST, None, None, reason=NO_PAIR)
    if n == 1:
        return SignificanceTest(T_TEST, None, None, reason=ONE_PAIR)
    mean = _mean(differences)
    sd = _sd(differences, mean)
    if sd == 0:
        return SignificanceTest(T_TEST, None, None, reason=SAME_CHANGE if mean else NO_CHANGE)
    t = mean / (sd / math.sqrt(n))
    p_value = float(2 * special.stdtr(n - 1, -abs(t)))
    return SignificanceTest(T_TEST, t, min(1.0, p_value), method="student")


def _binomial_lower_tail(k: int, n: int) -> int:
    """Sum of C(n, i) for i = 0..k, exactly."""
    term = total = 1
    for i in range(k):
        term = term * (n - i) // (i + 1)
        total += term
    return total


def mcnemar(*, improved: int, worsened: int) -> SignificanceTest:
    """Exact McNemar test: two-sided binomial test (p = 1/2) on the discordant pairs.

    Same p-value as ``scipy.stats.binomtest(improved, improved + worsened).pvalue``; the
    statistic is the smaller of the two discordant counts.
    """
    discordant = improved + worsened
    if discordant == 0:
        return SignificanceTest(MCNEMAR, None, None, reason=NO_DISCORDANT)
    k = min(improved, worsened)
    if 2 * k == discordant:
        p_value = 1.0
    else:
        p_value = min(1.0, _binomial_lower_tail(k, discordant) / (1 << (discordant - 1)))
    return SignificanceTest(MCNEMAR, float(k), p_value, method="exact")


def _pairs(before: Sequence[object], after: Sequence[object], scale: str) -> tuple[list[float], list[float]]:
    if scale not in SCALES:
        raise ValueError(f"Unknown scale {scale!r}: expected one of {', '.join(SCALES)}.")
    if len(before) != len(after):
        raise ValueError(
            f"Paired answers need as many 'before' as 'after' values (got {len(before)} and {len(after)})."
        )
    xs: list[float] = []
    ys: list[float] = []
    for raw_x, raw_y in zip(before, after, strict=True):
        x, y = _number(raw_x), _number(raw_y)
        if x is None or y is None:
            continue
        if scale == "yes_no" and (x not in (0, 1) or y not in (0, 1)):
            raise ValueError(f"Yes/no answers must be 0/1 or booleans (got {raw_x!r}, {raw_y!r}).")
        xs.append(x)
        ys.append(y)
    return xs, ys


def paired(
    before: Sequence[object],
    after: Sequence[object],
    *,
    scale: Scale,
    higher_is_better: bool = True,
    confidence: float = 0.95,
) -> Paired:
    """Compare the answers of the same respondents before and after.

    ``before[i]`` and ``after[i]`` belong to the same respondent; a pair with a missing answer
    is left out. Likert → Wilcoxon signed-rank; number → paired t test (Wilcoxon also given in
    ``other_tests``); yes/no (0/1 or booleans) → exact McNemar test. ``higher_is_better`` tells
    which direction counts as an improvement (« moins de stress » is lower).
    Raises ValueError only for unequal lengths, an unknown scale or yes/no values not 0/1.
    """
    xs, ys = _pairs(before, after, scale)
    n = len(xs)
    diffs = [y - x for x, y in zip(xs, ys, strict=True)]
    sign = 1 if higher_is_better else -1
    n_improved = sum(1 for d in diffs if sign * d > 0)
    n_worse = sum(1 for d in diffs if sign * d < 0)
    n_same = n - n_improved - n_worse

    mean_change = ci_low = ci_high = cohen_dz = rank_biserial = None
    if n:
        mean_change = _mean(diffs)
    if n >= 2:
        sd = _sd(diffs, mean_change)
        if sd > 0:
            cohen_dz = mean_change / sd
            half_width = float(special.stdtrit(n - 1, 0.5 + confidence / 2)) * sd / math.sqrt(n)
            ci_low, ci_high = mean_change - half_width, mean_change + half_width

    if scale == "yes_no":
        up = sum(1 for d in diffs if d > 0)
        test = mcnemar(improved=up, worsened=sum(1 for d in diffs if d < 0))
        others: tuple[SignificanceTest, ...] = ()
    else:
        signed = _signed_ranks(diffs)
        signed_rank = wilcoxon(diffs, signed=signed)
        if signed.ranks:
            # matched-pairs rank-biserial correlation, from -1 (all down) to 1 (all up)
            rank_biserial = (signed.r_plus - signed.r_minus) / (signed.r_plus + signed.r_minus)
        if scale == "likert":
            test, others = signed_rank, ()
        else:
            test, others = t_test(diffs), (signed_rank,)

    return Paired(
        scale=scale,
        n=n,
        n_dropped=len(before) - n,
        mean_before=_mean(xs) if n else None,
        mean_after=_mean(ys) if n else None,
        mean_change=mean_change,
        ci_low=ci_low,
        ci_high=ci_high,
        confidence=confidence,
        cohen_dz=cohen_dz,
        rank_biserial=rank_biserial,
        test=test,
        other_tests=others,
        n_improved=n_improved,
        n_same=n_same,
        n_worse=n_worse,
        share_improved=n_improved / n if n else None,
        share_same=n_same / n if n else None,
        share_worse=n_worse / n if n else None,
    )
