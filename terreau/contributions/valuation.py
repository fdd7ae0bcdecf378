"""What a contribution is worth, and how that was computed (the one valuation module).

``value_of(kind=..., year=..., <inputs>)`` returns a Valuation: the value (Decimal, 2 places, ROUND_HALF_UP), the
basis (a French sentence, with French number formatting, kept in Contribution.value_basis and shown on screen
and in PDFs) and the inputs the kind requires. The rules (ceilings, monthly hours, default hourly rate) come
from terreau.contributions.rules (data/tax_rules.json).

- money (gift, sponsorship, grant): the amount;
- in kind (equipment, goods, services): quantity × unit cost price (coût de revient, never the sale price);
- premises or vehicles lent: the value of the loan (amount), or hours × hourly rate;
- skills sponsorship: min(monthly gross salary, 3 × PMSS of the year) × (1 + employer charges rate), pro rata of
  the hours over the monthly hours of a full-time job (151.67);
- volunteering and skills volunteering: hours × hourly rate (the year's default when none is given), a value
  for the accounts only: it gives no tax reduction.

Bad inputs raise django.core.exceptions.ValidationError keyed by field name, with French messages. Floats are
refused: money is Decimal.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from terreau.contributions.models import IN_KIND_KINDS, MONEY_KINDS, TIME_KINDS, Kind
from terreau.contributions.rules import Account, MissingYear, rules

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
# Contribution.value has 12 digits, 2 of them decimal places.
MAX_VALUE = Decimal("9999999999.99")

# Which inputs each kind needs ("amount|hours+hourly_rate": one or the other, for premises).
INPUTS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(MONEY_KINDS, ("amount",)),
    Kind.EQUIPMENT: ("quantity", "unit_cost"),
    Kind.GOODS: ("quantity", "unit_cost"),
    Kind.SERVICES: ("quantity", "unit_cost"),
    Kind.PREMISES: ("amount", "hours", "hourly_rate"),
    Kind.SKILLS_SPONSORSHIP: ("hours", "monthly_gross_salary", "employer_charges_rate"),
    **dict.fromkeys(TIME_KINDS, ("hours", "hourly_rate")),
}


@dataclass(frozen=True)
class Valuation:
    value: Decimal
    basis: str
    inputs_required: tuple[str, ...]


# --- French number formatting (independent of the active locale: the basis is stored text) ----------------

NBSP = "\xa0"  # Django's French thousand separator


def fr_number(value: Decimal | int, places: int | None = 2) -> str:
    """1234.5 -> "1 234,50" (places=2); places=None keeps up to 2 places and drops trailing zeros ("7,5")."""
    value = Decimal(value)
    if places is None:
        value = value.quantize(CENT, rounding=ROUND_HALF_UP).normalize()
        if value == value.to_integral():
            value = value.quantize(Decimal(1))
    else:
        value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign, text = ("-", f"{-value:f}") if value < 0 else ("", f"{value:f}")
    whole, _dot, frac = text.partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    out = NBSP.join(groups)
    return f"{sign}{out},{frac}" if frac else f"{sign}{out}"


def fr_money(value: Decimal | int) -> str:
    """1234.5 -> "1 234,50 €"."""
    return f"{fr_number(value)}{NBSP}€"


def fr_percent(rate: Decimal) -> str:
    """A fraction as a French percentage: Decimal("0.6") -> "60 %", Decimal("0.005") -> "0,5 %"."""
    return f"{fr_number(Decimal(rate) * HUNDRED, None)}{NBSP}%"


def money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


# --- Inputs -------------------------------------------------------------------------------------------------


def _decimal(field: str, raw: Any) -> Decimal | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, float):
        raise TypeError(f"{field}: floats are not accepted for money or quantities, use Decimal")
    if isinstance(raw, bool):
        raise TypeError(f"{field}: a number is expected")
    if isinstance(raw, str):
        raw = raw.strip().replace(NBSP, "").replace("\u202f", "").replace(" ", "").replace(",", ".")
    try:
        value = Decimal(raw)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({field: [_("Saisissez un nombre.")]}) from None
    if not value.is_finite():
        raise ValidationError({field: [_("Saisissez un nombre.")]})
    return value


MESSAGES = {
    "amount": lambda: _("Indiquez le montant (en euros)."),
    "quantity": lambda: _("Indiquez la quantité."),
    "unit_cost": lambda: _("Indiquez le coût de revient unitaire (et non le prix de vente)."),
    "hours": lambda: _("Indiquez le nombre d'heures."),
    "monthly_gross_salary": lambda: _("Indiquez le salaire brut mensuel."),
    "employer_charges_rate": lambda: _("Indiquez le taux de charges patronales (en %)."),
    "hourly_rate": lambda: _("Indiquez le taux horaire de valorisation."),
}


class _Inputs:
    """The raw inputs, read as Decimal; errors gathered per field and raised together."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.errors: dict[str, list[str]] = {}
        self.values: dict[str, Decimal | None] = {}
        for field, value in raw.items():
            try:
                self.values[field] = _decimal(field, value)
            except ValidationError as exc:
                self.errors.update(exc.message_dict)
                self.values[field] = None

    def given(self, field: str) -> bool:
        return self.values.get(field) is not None or field in self.errors

    def positive(self, field: str) -> Decimal:
        value = self.values.get(field)
        if field in self.errors:
            return Decimal(0)
        if value is None:
            self.errors[field] = [MESSAGES[field]()]
        elif value <= 0:
            self.errors[field] = [_("La valeur doit être supérieure à zéro.")]
        else:
            return value
        return Decimal(0)

    def rate(self, field: str) -> Decimal:
        value = self.values.get(field)
        if field in self.errors:
            return Decimal(0)
        if value is None:
            self.errors[field] = [MESSAGES[field]()]
        elif not Decimal(0) <= value <= HUNDRED:
            self.errors[field] = [_("Le taux doit être compris entre 0 et 100 %.")]
        else:
            return value
        return Decimal(0)

    def check(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


# --- Valuation ----------------------------------------------------------------------------------------------


def value_of(
    *,
    kind: str,
    amount: Any = None,
    quantity: Any = None,
    unit_cost: Any = None,
    hours: Any = None,
    monthly_gross_salary: Any = None,
    employer_charges_rate: Any = None,
    hourly_rate: Any = None,
    year: int,
) -> Valuation:
    """The value of a contribution of ``kind`` made in ``year``, and the French sentence that explains it.

    ``employer_charges_rate`` is a percentage (45 for 45 %), as in Contribution.employer_charges_rate.
    """
    if kind not in INPUTS:
        raise ValidationError({"kind": [_("Nature de contribution inconnue.")]})
    inputs = _Inputs(
        {
            "amount": amount,
            "quantity": quantity,
            "unit_cost": unit_cost,
            "hours": hours,
            "monthly_gross_salary": monthly_gross_salary,
            "employer_charges_rate": employer_charges_rate,
            "hourly_rate": hourly_rate,
        }
    )
    try:
        if kind in MONEY_KINDS:
            value, basis = _money(inputs, kind)
        elif kind == Kind.PREMISES:
            value, basis = _premises(inputs)
        elif kind in IN_KIND_KINDS:
            value, basis = _in_kind(inputs)
        elif kind == Kind.SKILLS_SPONSORSHIP:
            value, basis = _skills_sponsorship(inputs, year)
        else:
            value, basis = _time(inputs, kind, year)
    except MissingYear as exc:
        inputs.check()
        raise ValidationError({"year": [exc.message]}) from None
    value = money(value)
    if value > MAX_VALUE:
        raise ValidationError({"amount": [_("La valeur calculée est trop élevée.")]})
    if value <= 0:
        raise ValidationError({INPUTS[kind][0]: [_("La valeur calculée doit être supérieure à zéro.")]})
    return Valuation(value=value, basis=basis, inputs_required=INPUTS[kind])


def _money(inputs: _Inputs, kind: str) -> tuple[Decimal, str]:
    amount = inputs.positive("amount")
    inputs.check()
    return amount, _("%(kind)s : montant de %(amount)s.") % {
        "kind": Kind(kind).label,
        "amount": fr_money(amount),
    }


def _in_kind(inputs: _Inputs) -> tuple[Decimal, str]:
    quantity = inputs.positive("quantity")
    unit_cost = inputs.positive("unit_cost")
    inputs.check()
    value = quantity * unit_cost
    return value, _(
        "Valorisé au coût de revient (jamais au prix de vente) : %(quantity)s × %(unit)s = %(value)s."
    ) % {"quantity": fr_number(quantity, None), "unit": fr_money(unit_cost), "value": fr_money(value)}


def _premises(inputs: _Inputs) -> tuple[Decimal, str]:
    if inputs.given("amount") or not (inputs.given("hours") or inputs.given("hourly_rate")):
        amount = inputs.positive("amount")
        inputs.check()
        return amount, _("Valeur de la mise à disposition : %(amount)s.") % {"amount": fr_money(amount)}
    hours = inputs.positive("hours")
    rate = inputs.positive("hourly_rate")
    inputs.check()
    value = hours * rate
    return value, _("Mise à disposition : %(hours)s h × %(rate)s de l'heure = %(value)s.") % {
        "hours": fr_number(hours, None),
        "rate": fr_money(rate),
        "value": fr_money(value),
    }


def _skills_sponsorship(inputs: _Inputs, year: int) -> tuple[Decimal, str]:
    hours = inputs.positive("hours")
    salary = inputs.positive("monthly_gross_salary")
    charges = inputs.rate("employer_charges_rate")
    inputs.check()
    tax_rules = rules()
    ceiling = tax_rules.ceiling(year)
    multiple = tax_rules.company.salary_cap_pmss_multiple.value
    monthly_hours = tax_rules.monthly_hours.value
    cap = ceiling.pmss * multiple
    retained = min(salary, cap)
    monthly_cost = retained * (1 + charges / HUNDRED)
    value = monthly_cost * hours / monthly_hours
    if salary > cap:
        salary_text = _(
            "salaire brut mensuel de %(salary)s plafonné à %(multiple)s × le plafond mensuel de la sécurité "
            "sociale %(year)s (%(pmss)s), soit %(retained)s"
        )
    else:
        salary_text = _(
            "salaire brut mensuel de %(salary)s (sous le plafond de %(multiple)s × le plafond mensuel de la "
            "sécurité sociale %(year)s, soit %(cap)s)"
        )
    salary_text %= {
        "salary": fr_money(salary),
        "multiple": fr_number(multiple, None),
        "year": ceiling.year,
        "pmss": fr_money(ceiling.pmss),
        "retained": fr_money(retained),
        "cap": fr_money(cap),
    }
    return value, _(
        "Mécénat de compétences valorisé au coût de revient : %(salary)s, plus %(charges)s de charges "
        "patronales, soit %(monthly)s par mois ; au prorata de %(hours)s h sur %(monthly_hours)s h par mois "
        "= %(value)s."
    ) % {
        "salary": salary_text,
        "charges": fr_percent(charges / HUNDRED),
        "monthly": fr_money(monthly_cost),
        "hours": fr_number(hours, None),
        "monthly_hours": fr_number(monthly_hours, None),
        "value": fr_money(money(value)),
    }


def _time(inputs: _Inputs, kind: str, year: int) -> tuple[Decimal, str]:
    hours = inputs.positive("hours")
    if inputs.given("hourly_rate"):
        rate = inputs.positive("hourly_rate")
        inputs.check()
        origin = _("taux horaire indiqué")
    else:
        inputs.check()
        rule = rules().hourly_rate(year)
        rate = rule.value
        origin = _("taux par défaut de %(year)s, SMIC horaire brut") % {"year": year}
    value = hours * rate
    return value, _(
        "%(kind)s valorisé pour les comptes (contributions volontaires en nature, sans réduction d'impôt) : "
        "%(hours)s h × %(rate)s (%(origin)s) = %(value)s."
    ) % {
        "kind": Kind(kind).label,
        "hours": fr_number(hours, None),
        "rate": fr_money(rate),
        "origin": origin,
        "value": fr_money(money(value)),
    }


def apply(contribution: Any) -> Valuation:
    """Set ``contribution.value`` and ``value_basis`` from its fields (not saved). Errors are keyed by the
    contribution's fields (the year's error on ``pledged_on``)."""
    if contribution.pledged_on is None:
        raise ValidationError({"pledged_on": [_("Indiquez la date de la promesse.")]})
    try:
        valuation = value_of(
            kind=contribution.kind,
            amount=contribution.amount,
            quantity=contribution.quantity,
            unit_cost=contribution.unit_cost,
            hours=contribution.hours,
            monthly_gross_salary=contribution.monthly_gross_salary,
            employer_charges_rate=contribution.employer_charges_rate,
            hourly_rate=contribution.hourly_rate,
            year=contribution.pledged_on.year,
        )
    except ValidationError as exc:
        errors = exc.message_dict
        if "year" in errors:
            errors["pledged_on"] = errors.pop("year")
        raise ValidationError(errors) from None
    contribution.value = valuation.value
    contribution.value_basis = valuation.basis
    return valuation


# --- Accounts: "contributions volontaires en nature" --------------------------------------------------------


def account_for(kind: str) -> Account | None:
    """The account (870 volunteering, 871 services in kind, 875 gifts in kind) a kind of contribution goes to
    in the associations' accounts; None for money, which is income, not a contribution in kind."""
    return rules().account_for(kind)


def accounts_by_kind() -> dict[str, Account]:
    return {kind: account for kind in Kind.values if (account := account_for(kind)) is not None}
