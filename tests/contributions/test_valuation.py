"""Valuation: worked examples written from ../shared/domain/facts.md, the rules file, and properties."""

from __future__ import annotations

import json
from datetime import date
from decimal import ROUND_HALF_UP
from decimal import Decimal as D
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from terreau.contributions import rules as rules_module
from terreau.contributions.models import RECEIPTABLE_KINDS, Kind
from terreau.contributions.rules import MissingYear, RulesFileError, parse, rules
from terreau.contributions.valuation import INPUTS, account_for, apply, fr_money, fr_number, value_of

NB = "\xa0"


# --- The rules file ---------------------------------------------------------------------------------------


def test_every_rule_has_a_source_and_a_status():
    r = rules()
    for group in (r.company, r.individual):
        for name in group.__dataclass_fields__:
            rule = getattr(group, name)
            assert rule.source.strip(), name
            assert rule.status in {"confirmed", "unconfirmed", "convention"}, name


def test_rules_match_facts_md():
    r = rules()
    assert r.company.rate.value == D("0.60")
    assert r.company.reduced_rate.value == D("0.40")
    assert r.company.reduced_rate_threshold.value == D("2000000")
    assert r.company.cap_floor.value == D("20000")
    assert r.company.cap_turnover_rate.value == D("0.005")
    assert r.company.carry_forward_years.value == 5
    assert r.company.salary_cap_pmss_multiple.value == 3
    assert r.company.counterparts_ratio.value == D("0.25")
    assert r.individual.rate.value == D("0.66")
    assert r.individual.income_cap_rate.value == D("0.20")
    assert r.individual.aid_rate.value == D("0.75")
    # facts.md says "unconfirmed" for these: the file says so too.
    assert (r.individual.aid_limit.value, r.individual.aid_limit.status) == (D("1000"), "unconfirmed")
    assert (r.individual.counterparts_flat_max.value, r.individual.counterparts_flat_max.status) == (
        D("73"),
        "unconfirmed",
    )
    assert [(c.year, c.pass_, c.pmss) for c in sorted(r.ceilings.values(), key=lambda c: c.year)] == [
        (2024, D("46368"), D("3864")),
        (2025, D("47100"), D("3925")),
        (2026, D("48060"), D("4005")),
    ]
    assert r.ceiling(2026).status == "unconfirmed"
    assert r.monthly_hours.value == D("151.67")


def test_missing_year_is_a_clear_french_error():
    with pytest.raises(MissingYear) as exc:
        rules().ceiling(2031)
    assert "Aucun plafond de la sécurité sociale n'est connu pour l'année 2031" in exc.value.message
    with pytest.raises(MissingYear):
        rules().hourly_rate(1999)


def test_a_malformed_rules_file_fails_loudly():
    data = json.loads(rules_module.RULES_FILE.read_text(encoding="utf-8"))
    del data["company"]["cap_floor"]
    with pytest.raises(RulesFileError, match="cap_floor"):
        parse(data)
    data = json.loads(rules_module.RULES_FILE.read_text(encoding="utf-8"))
    data["company"]["rate"]["value"] = 0.6  # a float, not a decimal string
    with pytest.raises(RulesFileError):
        parse(data)


def test_accounts_of_contributions_in_kind():
    assert account_for(Kind.VOLUNTEERING).code == "870"
    assert account_for(Kind.SKILLS_VOLUNTEERING).code == "870"
    assert account_for(Kind.SERVICES).code == "871"
    assert account_for(Kind.PREMISES).code == "871"
    assert account_for(Kind.SKILLS_SPONSORSHIP).code == "871"
    assert account_for(Kind.EQUIPMENT).code == "875"
    assert account_for(Kind.GOODS).code == "875"
    assert account_for(Kind.GIFT) is None


# --- Worked examples --------------------------------------------------------------------------------------


def test_french_number_formatting():
    assert fr_number(D("1234567.891")) == f"1{NB}234{NB}567,89"
    assert fr_number(D("7.50"), None) == "7,5"
    assert fr_number(D("12.00"), None) == "12"
    assert fr_money(D("0.005")) == f"0,01{NB}€"  # ROUND_HALF_UP


def test_money_is_the_amount():
    v = value_of(kind=Kind.GIFT, amount=D("1500"), year=2025)
    assert v.value == D("1500.00")
    assert f"1{NB}500,00{NB}€" in v.basis
    assert v.inputs_required == ("amount",)


def test_in_kind_at_cost_price():
    # 5 tablets at a cost price of 180.40 € each (facts.md: cost price, never sale price).
    v = value_of(kind=Kind.EQUIPMENT, quantity=D("5"), unit_cost=D("180.40"), year=2025)
    assert v.value == D("902.00")
    assert "coût de revient" in v.basis and "jamais au prix de vente" in v.basis


def test_premises_lent_by_amount_or_by_hours():
    assert value_of(kind=Kind.PREMISES, amount=D("800"), year=2025).value == D("800.00")
    v = value_of(kind=Kind.PREMISES, hours=D("20"), hourly_rate=D("15"), year=2025)
    assert v.value == D("300.00")
    assert f"20 h × 15,00{NB}€" in v.basis


def test_skills_sponsorship_salary_capped_at_three_pmss_2025():
    # 2025: PMSS 3 925 € -> cap 11 775 €; a 15 000 € salary is taken at 11 775 €, + 45 % charges = 17 073.75 €
    # a month; 35 h of 151.67 -> 17 073.75 × 35 / 151.67 = 3 940.005... -> 3 940.01 €.
    v = value_of(
        kind=Kind.SKILLS_SPONSORSHIP,
        hours=D("35"),
        monthly_gross_salary=D("15000"),
        employer_charges_rate=D("45"),
        year=2025,
    )
    assert v.value == D("3940.01")
    assert f"plafonné à 3 × le plafond mensuel de la sécurité sociale 2025 (3{NB}925,00{NB}€)" in v.basis
    assert f"11{NB}775,00{NB}€" in v.basis


def test_skills_sponsorship_cap_follows_the_year_2026():
    # 2026: PMSS 4 005 € -> cap 12 015 €; full month (151.67 h) with no charges = the capped salary.
    v = value_of(
        kind=Kind.SKILLS_SPONSORSHIP,
        hours=D("151.67"),
        monthly_gross_salary=D("20000"),
        employer_charges_rate=D("0"),
        year=2026,
    )
    assert v.value == D("12015.00")


def test_skills_sponsorship_below_the_cap_uses_the_salary():
    # 3 000 € + 42 % = 4 260 € a month; 10 h -> 4 260 × 10 / 151.67 = 280.87 €.
    v = value_of(
        kind=Kind.SKILLS_SPONSORSHIP,
        hours=D("10"),
        monthly_gross_salary=D("3000"),
        employer_charges_rate=D("42"),
        year=2025,
    )
    assert v.value == D("280.87")
    assert "sous le plafond" in v.basis


def test_volunteering_for_the_accounts_only():
    v = value_of(kind=Kind.VOLUNTEERING, hours=D("7.5"), year=2025)
    assert v.value == D("89.10")  # 7.5 h × 11.88 € (default rate of 2025)
    assert "sans réduction d'impôt" in v.basis
    v = value_of(kind=Kind.SKILLS_VOLUNTEERING, hours=D("4"), hourly_rate=D("60"), year=2025)
    assert v.value == D("240.00")
    assert Kind.VOLUNTEERING not in RECEIPTABLE_KINDS
    assert Kind.SKILLS_VOLUNTEERING not in RECEIPTABLE_KINDS


def test_comma_decimals_are_read():
    assert value_of(kind=Kind.GOODS, quantity="2", unit_cost="12,50", year=2025).value == D("25.00")


# --- Bad input ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"kind": Kind.GIFT}, "amount", "Indiquez le montant"),
        ({"kind": Kind.GIFT, "amount": D("-5")}, "amount", "supérieure à zéro"),
        ({"kind": Kind.GIFT, "amount": D("0")}, "amount", "supérieure à zéro"),
        ({"kind": Kind.GIFT, "amount": "abc"}, "amount", "Saisissez un nombre"),
        ({"kind": Kind.GOODS, "quantity": D("3")}, "unit_cost", "coût de revient"),
        ({"kind": Kind.GOODS, "quantity": D("0"), "unit_cost": D("3")}, "quantity", "supérieure à zéro"),
        ({"kind": Kind.VOLUNTEERING}, "hours", "nombre d'heures"),
        ({"kind": Kind.VOLUNTEERING, "hours": D("2"), "hourly_rate": D("-1")}, "hourly_rate", "zéro"),
        (
            {"kind": Kind.SKILLS_SPONSORSHIP, "hours": D("2"), "monthly_gross_salary": D("3000")},
            "employer_charges_rate",
            "charges patronales",
        ),
        (
            {
                "kind": Kind.SKILLS_SPONSORSHIP,
                "hours": D("2"),
                "monthly_gross_salary": D("3000"),
                "employer_charges_rate": D("140"),
            },
            "employer_charges_rate",
            "entre 0 et 100",
        ),
        ({"kind": "nonsense", "amount": D("1")}, "kind", "inconnue"),
        ({"kind": Kind.GIFT, "amount": D("99999999999")}, "amount", "trop élevée"),
    ],
)
def test_bad_inputs_are_refused_in_french(kwargs, field, message):
    with pytest.raises(ValidationError) as exc:
        value_of(year=2025, **kwargs)
    assert field in exc.value.message_dict
    assert message in " ".join(exc.value.message_dict[field])


def test_a_year_without_ceiling_is_a_validation_error():
    with pytest.raises(ValidationError) as exc:
        value_of(
            kind=Kind.SKILLS_SPONSORSHIP,
            hours=D("1"),
            monthly_gross_salary=D("3000"),
            employer_charges_rate=D("40"),
            year=2031,
        )
    assert "2031" in exc.value.message_dict["year"][0]
    with pytest.raises(ValidationError) as exc:
        value_of(kind=Kind.VOLUNTEERING, hours=D("1"), year=2031)
    assert "indiquez un taux horaire" in exc.value.message_dict["year"][0]
    # With its own rate, volunteering needs no rule of the year.
    assert value_of(kind=Kind.VOLUNTEERING, hours=D("1"), hourly_rate=D("10"), year=2031).value == D("10.00")


def test_floats_are_refused():
    with pytest.raises(TypeError):
        value_of(kind=Kind.GIFT, amount=10.5, year=2025)


def test_apply_sets_value_and_basis_and_names_the_date_field():
    contribution = SimpleNamespace(
        kind=Kind.GOODS,
        amount=None,
        quantity=D("3"),
        unit_cost=D("10"),
        hours=None,
        monthly_gross_salary=None,
        employer_charges_rate=None,
        hourly_rate=None,
        pledged_on=date(2025, 3, 1),
        value=D("0"),
        value_basis="",
    )
    apply(contribution)
    assert contribution.value == D("30.00") and "coût de revient" in contribution.value_basis
    contribution.kind, contribution.hours, contribution.monthly_gross_salary = (
        Kind.SKILLS_SPONSORSHIP,
        1,
        2000,
    )
    contribution.employer_charges_rate, contribution.pledged_on = D("40"), date(2031, 1, 1)
    with pytest.raises(ValidationError) as exc:
        apply(contribution)
    assert "pledged_on" in exc.value.message_dict


def test_every_kind_declares_its_inputs():
    assert set(INPUTS) == set(Kind.values)


# --- Properties --------------------------------------------------------------------------------------------

amounts = st.decimals(min_value=D("0.01"), max_value=D("99999999"), places=2)
hours = st.decimals(min_value=D("0.25"), max_value=D("2000"), places=2)


@settings(max_examples=200, deadline=None)
@given(
    kind=st.sampled_from(Kind.values),
    amount=amounts,
    quantity=st.decimals(min_value=D("0.01"), max_value=D("10000"), places=2),
    hours=hours,
    salary=amounts,
    charges=st.decimals(min_value=D("0"), max_value=D("100"), places=2),
    year=st.sampled_from([2024, 2025, 2026]),
)
def test_value_is_a_positive_decimal_in_cents(kind, amount, quantity, hours, salary, charges, year):
    try:
        v = value_of(
            kind=kind,
            amount=amount,
            quantity=quantity,
            unit_cost=amount,
            hours=hours,
            monthly_gross_salary=salary,
            employer_charges_rate=charges,
            hourly_rate=amount,
            year=year,
        )
    except ValidationError as exc:
        # Only the computed value may be refused: too large, or rounding to 0.00 € (0.01 × 0.01).
        (messages,) = exc.message_dict.values()
        assert messages[0].startswith("La valeur calculée")
        return
    assert isinstance(v.value, D) and not isinstance(v.value, float)
    assert v.value > 0
    assert v.value == v.value.quantize(D("0.01"))
    assert v.value.as_tuple().exponent == -2
    assert v.basis


@settings(max_examples=200, deadline=None)
@given(hours=hours, salary=amounts, charges=st.decimals(min_value=D("0"), max_value=D("100"), places=2))
def test_skills_sponsorship_never_above_the_capped_salary(hours, salary, charges):
    year = 2025
    cap = rules().ceiling(year).pmss * 3
    ceiling = (min(salary, cap) * (1 + charges / 100) * hours / D("151.67")).quantize(
        D("0.01"), rounding=ROUND_HALF_UP
    )
    if ceiling == 0:
        return  # refused: a value rounding to 0.00 € (tested above)
    v = value_of(
        kind=Kind.SKILLS_SPONSORSHIP,
        hours=hours,
        monthly_gross_salary=salary,
        employer_charges_rate=charges,
        year=year,
    )
    assert v.value == ceiling
    assert v.value <= (cap * 2 * hours / D("151.67")).quantize(D("0.01"), rounding=ROUND_HALF_UP)
