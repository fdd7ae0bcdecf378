"""Estimates of the donor's tax reduction, and the counterparts check (pure: plain data in, plain data out).

Every number comes from terreau.contributions.rules (data/tax_rules.json, with its sources). These are
ESTIMATES, labelled so wherever they are shown: the donor's own accounts and adviser decide.

Companies (art. 238 bis CGI), ``company_estimate``:
- the year's gifts give 60 %; from the 2020 financial year, the part of the year's gifts above 2 M€ gives
  40 %, except gifts to bodies giving free meals, care or housing to people in difficulty (``aid_gifts_by_year``),
  which stay at 60 % (and do not count towards the 2 M€);
- gifts are taken within the yearly cap, the higher of 20 000 € or 0.5 % of the turnover excluding tax (the
  floor alone when the turnover is unknown);
- what exceeds the cap carries forward over the 5 following years: it is used after that year's own gifts,
  within that year's cap, oldest first; what is still unused after 5 years expires.
Terreau's convention inside the cap (not settled by facts.md): the year's 60 % gifts are taken before its 40 %
part, so the 40 % part is the first to be carried; a carried gift keeps the rate of the year it was made.

Individuals (art. 200 CGI), ``individual_estimate``: 75 % on aid gifts up to the yearly limit (unconfirmed
amount), 66 % on the rest, all within 20 % of the taxable income; the excess may be carried forward.

Only gifts that may give a reduction count (models.RECEIPTABLE_KINDS; volunteering never does): see
``gifts_by_year``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from terreau.contributions.models import RECEIPTABLE_KINDS
from terreau.contributions.rules import rules
from terreau.contributions.valuation import fr_money, fr_percent

ESTIMATE_LABEL = gettext_lazy("Estimation, non contractuelle")
ZERO = Decimal(0)
CENT = Decimal("0.01")


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _amount(value, field: str) -> Decimal:
    if isinstance(value, float | bool):
        raise TypeError(f"{field}: Decimal expected, not {type(value).__name__}")
    value = Decimal(value or 0)
    if not value.is_finite() or value < 0:
        raise ValidationError({field: [_("Le montant ne peut pas être négatif.")]})
    return value


def gifts_by_year(rows: Iterable[tuple[str, int, Decimal]]) -> dict[int, Decimal]:
    """Sum (kind, year, value) rows per year, keeping only the kinds that may give a tax reduction."""
    totals: dict[int, Decimal] = {}
    for kind, year, value in rows:
        if kind in RECEIPTABLE_KINDS:
            totals[int(year)] = totals.get(int(year), ZERO) + Decimal(value)
    return totals


# --- Companies ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lot:
    """Gifts of one year at one rate, not yet used for a reduction (carried forward)."""

    from_year: int
    amount: Decimal
    rate: Decimal

    @property
    def last_year(self) -> int:
        return self.from_year + int(rules().company.carry_forward_years.value)


@dataclass(frozen=True)
class Use:
    """Gifts of ``from_year`` used in the estimate's year, at ``rate``."""

    from_year: int
    amount: Decimal
    rate: Decimal

    @property
    def reduction(self) -> Decimal:
        return _money(self.amount * self.rate)


@dataclass(frozen=True)
class Estimate:
    year: int
    gifts: Decimal  # the year's gifts that may give a reduction (aid gifts included)
    aid_gifts: Decimal
    turnover: Decimal | None
    cap: Decimal
    cap_from_turnover: bool
    at_full_rate: Decimal  # the year's gifts at 60 %
    at_reduced_rate: Decimal  # the year's gifts above 2 M€, at 40 %
    own_used: tuple[Use, ...]
    carried_used: tuple[Use, ...]
    reduction: Decimal
    carried_out: Decimal  # the year's gifts above the cap, carried forward
    balance: tuple[Lot, ...]  # what is still carried after the year, by year of origin
    expired: Decimal  # carried gifts lost at the end of the year (made 5 years before)
    label: str = ESTIMATE_LABEL
    is_estimate: bool = True

    @property
    def reduction_of_year_gifts(self) -> Decimal:
        return _money(sum((u.amount * u.rate for u in self.own_used), ZERO))

    @property
    def reduction_from_carry(self) -> Decimal:
        return self.reduction - self.reduction_of_year_gifts

    @property
    def used_from_carry(self) -> Decimal:
        return sum((u.amount for u in self.carried_used), ZERO)

    @property
    def carried_total(self) -> Decimal:
        return sum((lot.amount for lot in self.balance), ZERO)


def company_cap(turnover: Decimal | None) -> tuple[Decimal, bool]:
    """The yearly cap on gifts, and whether it comes from the turnover (else the 20 000 € floor)."""
    company = rules().company
    floor = company.cap_floor.value
    from_turnover = ZERO if turnover is None else _money(Decimal(turnover) * company.cap_turnover_rate.value)
    return (from_turnover, True) if from_turnover > floor else (_money(floor), False)


def _year_lots(year: int, gifts: Decimal, aid: Decimal) -> list[Lot]:
    company = rules().company
    lots = [Lot(year, aid, company.aid_bodies_rate.value)]
    other = gifts - aid
    if year >= int(company.reduced_rate_first_year.value):
        threshold = company.reduced_rate_threshold.value
        lots.append(Lot(year, min(other, threshold), company.rate.value))
        lots.append(Lot(year, max(other - threshold, ZERO), company.reduced_rate.value))
    else:
        lots.append(Lot(year, other, company.rate.value))
    return [lot for lot in lots if lot.amount > 0]


def _take(lots: list[Lot], room: Decimal) -> tuple[list[Use], list[Lot], Decimal]:
    """Use lots in order within ``room``: (uses, what is left of the lots, room left)."""
    uses, left = [], []
    for lot in lots:
        used = min(lot.amount, room)
        room -= used
        if used > 0:
            uses.append(Use(lot.from_year, used, lot.rate))
        if lot.amount > used:
            left.append(Lot(lot.from_year, lot.amount - used, lot.rate))
    return uses, left, room


def company_estimate(
    *,
    gifts_by_year: Mapping[int, Decimal],
    turnover_by_year: Mapping[int, Decimal | None],
    year: int,
    aid_gifts_by_year: Mapping[int, Decimal] | None = None,
) -> Estimate:
    """The estimated reduction of ``year`` for a company, from its gifts of that year and of the years before
    (their excess over the cap carried forward). ``aid_gifts_by_year`` is the part of each year's gifts made to
    bodies giving free meals, care or housing to people in difficulty (included in ``gifts_by_year``)."""
    aid_gifts_by_year = aid_gifts_by_year or {}
    gifts = {int(y): _amount(v, "gifts") for y, v in gifts_by_year.items()}
    aid = {int(y): _amount(v, "aid_gifts") for y, v in aid_gifts_by_year.items()}
    for y, value in aid.items():
        if value > gifts.get(y, ZERO):
            raise ValidationError(
                {"aid_gifts": [_("Les dons aux organismes d'aide dépassent les dons de l'année.")]}
            )
    carry_years = int(rules().company.carry_forward_years.value)
    pending: list[Lot] = []
    start = min([y for y in gifts if y <= year], default=year)
    for y in range(start, year + 1):
        turnover = turnover_by_year.get(y)
        turnover = None if turnover is None else _amount(turnover, "turnover")
        cap, from_turnover = company_cap(turnover)
        own = _year_lots(y, gifts.get(y, ZERO), aid.get(y, ZERO))
        own_used, own_left, room = _take(own, cap)
        carried_used, pending, room = _take(pending, room)
        pending += own_left
        expired = sum((lot.amount for lot in pending if lot.from_year <= y - carry_years), ZERO)
        pending = [lot for lot in pending if lot.from_year > y - carry_years]
    year_gifts = gifts.get(year, ZERO)
    year_aid = aid.get(year, ZERO)
    reduced = sum((lot.amount for lot in own if lot.rate == rules().company.reduced_rate.value), ZERO)
    reduced = reduced if year >= int(rules().company.reduced_rate_first_year.value) else ZERO
    return Estimate(
        year=year,
        gifts=year_gifts,
        aid_gifts=year_aid,
        turnover=turnover,
        cap=cap,
        cap_from_turnover=from_turnover,
        at_full_rate=year_gifts - reduced,
        at_reduced_rate=reduced,
        own_used=tuple(own_used),
        carried_used=tuple(carried_used),
        reduction=_money(sum((u.amount * u.rate for u in (*own_used, *carried_used)), ZERO)),
        carried_out=sum((lot.amount for lot in own_left), ZERO),
        balance=tuple(pending),
        expired=expired,
    )


def explain(estimate: Estimate) -> list[str]:
    """The estimate in French sentences, for the donor's page."""
    company = rules().company
    lines = []
    if estimate.cap_from_turnover:
        lines.append(
            _("Plafond annuel : %(rate)s du chiffre d'affaires hors taxes (%(turnover)s), soit %(cap)s.")
            % {
                "rate": fr_percent(company.cap_turnover_rate.value),
                "turnover": fr_money(estimate.turnover),
                "cap": fr_money(estimate.cap),
            }
        )
    elif estimate.turnover is None:
        lines.append(
            _(
                "Plafond annuel : %(floor)s (plancher retenu, le chiffre d'affaires hors taxes n'étant pas indiqué)."
            )
            % {"floor": fr_money(estimate.cap)}
        )
    else:
        lines.append(
            _(
                "Plafond annuel : %(floor)s (plancher, plus élevé que %(rate)s du chiffre d'affaires hors taxes "
                "de %(turnover)s)."
            )
            % {
                "floor": fr_money(estimate.cap),
                "rate": fr_percent(company.cap_turnover_rate.value),
                "turnover": fr_money(estimate.turnover),
            }
        )
    params = {
        "gifts": fr_money(estimate.gifts),
        "full": fr_money(estimate.at_full_rate),
        "rate": fr_percent(company.rate.value),
        "reduced": fr_money(estimate.at_reduced_rate),
        "reduced_rate": fr_percent(company.reduced_rate.value),
        "threshold": fr_money(company.reduced_rate_threshold.value),
    }
    if estimate.at_reduced_rate:
        lines.append(
            _(
                "Dons de l'année : %(gifts)s, dont %(full)s à %(rate)s et %(reduced)s à %(reduced_rate)s (part "
                "au-delà de %(threshold)s)."
            )
            % params
        )
    else:
        lines.append(_("Dons de l'année : %(gifts)s, à %(rate)s.") % params)
    for use in estimate.carried_used:
        lines.append(
            _(
                "Report des dons de %(year)s utilisé cette année : %(amount)s, soit %(reduction)s de réduction."
            )
            % {"year": use.from_year, "amount": fr_money(use.amount), "reduction": fr_money(use.reduction)}
        )
    if estimate.carried_out:
        lines.append(
            _(
                "Dons au-delà du plafond : %(amount)s, reportables sur les %(years)s exercices suivants "
                "(jusqu'en %(last)s)."
            )
            % {
                "amount": fr_money(estimate.carried_out),
                "years": int(company.carry_forward_years.value),
                "last": estimate.year + int(company.carry_forward_years.value),
            }
        )
    if estimate.expired:
        lines.append(
            _("Report perdu à la fin de l'année (dons de plus de %(years)s ans) : %(amount)s.")
            % {"years": int(company.carry_forward_years.value), "amount": fr_money(estimate.expired)}
        )
    return lines


# --- Individuals --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndividualEstimate:
    gifts: Decimal
    aid_gifts: Decimal
    limit: Decimal  # 20 % of the taxable income
    at_aid_rate: Decimal
    at_rate: Decimal
    reduction: Decimal
    carried_out: Decimal
    label: str = ESTIMATE_LABEL
    is_estimate: bool = True


def individual_estimate(
    *, gifts: Decimal, taxable_income: Decimal, aid_gifts: Decimal = ZERO
) -> IndividualEstimate:
    """An individual's estimated reduction for a year's gifts (``aid_gifts``, included in ``gifts``, are those
    to bodies giving free meals, care or housing to people in difficulty)."""
    person = rules().individual
    gifts, income, aid = (
        _amount(gifts, "gifts"),
        _amount(taxable_income, "taxable_income"),
        _amount(aid_gifts, "aid_gifts"),
    )
    if aid > gifts:
        raise ValidationError(
            {"aid_gifts": [_("Les dons aux organismes d'aide dépassent le total des dons.")]}
        )
    limit = _money(income * person.income_cap_rate.value)
    at_aid = min(aid, person.aid_limit.value, limit)
    at_rate = min(gifts - at_aid, limit - at_aid)
    return IndividualEstimate(
        gifts=gifts,
        aid_gifts=aid,
        limit=limit,
        at_aid_rate=at_aid,
        at_rate=at_rate,
        reduction=_money(at_aid * person.aid_rate.value + at_rate * person.rate.value),
        carried_out=gifts - at_aid - at_rate,
    )


# --- Counterparts -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CounterpartsCheck:
    flagged: bool
    ratio: Decimal  # counterparts / gift
    limit: Decimal  # the most the counterparts may be worth
    message: str
    source: str


def counterparts_check(
    *, gift_value: Decimal, counterparts_value: Decimal, donor_is_company: bool
) -> CounterpartsCheck:
    """Whether the counterparts a donor receives are disproportionate to the gift (flagged), and why."""
    gift, counterparts = _amount(gift_value, "gift_value"), _amount(counterparts_value, "counterparts_value")
    if gift <= 0:
        raise ValidationError({"gift_value": [_("La valeur du don doit être supérieure à zéro.")]})
    tax_rules = rules()
    ratio_rule = (
        tax_rules.company.counterparts_ratio if donor_is_company else tax_rules.individual.counterparts_ratio
    )
    limit = _money(gift * ratio_rule.value)
    sources = [ratio_rule.source]
    if not donor_is_company:
        flat = tax_rules.individual.counterparts_flat_max
        limit = min(limit, flat.value)
        sources.append(flat.source)
    ratio = counterparts / gift
    flagged = counterparts > limit
    params = {
        "counterparts": fr_money(counterparts),
        "gift": fr_money(gift),
        "ratio": fr_percent(ratio.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)),
        "tolerance": fr_percent(ratio_rule.value),
        "limit": fr_money(limit),
    }
    if flagged:
        message = _(
            "Contreparties disproportionnées : %(counterparts)s pour un don de %(gift)s (%(ratio)s), au-delà de "
            "la tolérance de %(tolerance)s (%(limit)s au plus). La réduction d'impôt du donateur pourrait être "
            "remise en cause."
        )
    else:
        message = _(
            "Contreparties de %(counterparts)s pour un don de %(gift)s (%(ratio)s) : dans la tolérance de "
            "%(tolerance)s (%(limit)s au plus)."
        )
    return CounterpartsCheck(
        flagged=flagged, ratio=ratio, limit=limit, message=message % params, source=" ; ".join(sources)
    )


def contribution_counterparts_check(contribution) -> CounterpartsCheck | None:
    """The counterparts check of a recorded contribution (its Counterpart rows against its value); None when it
    has no counterpart or no value yet. A donor organisation is checked with the companies' tolerance (art. 238
    bis), a private individual with the individuals' (art. 200)."""
    counterparts = sum((c.value for c in contribution.counterparts.all()), ZERO)
    if not counterparts or not contribution.value:
        return None
    return counterparts_check(
        gift_value=contribution.value,
        counterparts_value=counterparts,
        donor_is_company=contribution.donor_id is not None,
    )
