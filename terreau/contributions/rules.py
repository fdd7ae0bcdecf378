"""The tax and valuation rules, loaded from data/tax_rules.json (the one place where they live).

Every rate, cap, ceiling and threshold comes with its source (article of the CGI, BOFiP, line of facts.md) and a
status: "confirmed", "unconfirmed" (only secondary sources) or "convention" (a Terreau default, not a legal
number). The loader is typed (frozen dataclasses, Decimal) and strict: a missing or malformed entry stops the
load (RulesFileError), and asking for a year the file does not know raises MissingYear, whose message is a
French sentence that may be shown to users.

Pure Python: no Django model import (translation only), so engines and tests use it without a database.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

RULES_FILE = Path(__file__).resolve().parent / "data" / "tax_rules.json"
STATUSES = frozenset({"confirmed", "unconfirmed", "convention"})


class RulesFileError(ValueError):
    """The rules file is missing an entry or holds a malformed one (a programming error: fix the file)."""


class MissingYear(LookupError):
    """The rules file has no value for the year asked (a French message, fit to show)."""

    def __init__(self, message: str, *, year: int) -> None:
        super().__init__(message)
        self.message = message
        self.year = year


@dataclass(frozen=True)
class Rule:
    value: Decimal
    source: str
    status: str

    @property
    def confirmed(self) -> bool:
        return self.status == "confirmed"


@dataclass(frozen=True)
class Ceiling:
    """The social-security ceiling of a year: PASS (yearly) and PMSS (monthly)."""

    year: int
    pass_: Decimal
    pmss: Decimal
    source: str
    status: str


@dataclass(frozen=True)
class CompanyRules:
    rate: Rule
    reduced_rate: Rule
    reduced_rate_threshold: Rule
    reduced_rate_first_year: Rule
    aid_bodies_rate: Rule
    cap_floor: Rule
    cap_turnover_rate: Rule
    carry_forward_years: Rule
    salary_cap_pmss_multiple: Rule
    counterparts_ratio: Rule


@dataclass(frozen=True)
class IndividualRules:
    rate: Rule
    income_cap_rate: Rule
    aid_rate: Rule
    aid_limit: Rule
    carry_forward_years: Rule
    counterparts_ratio: Rule
    counterparts_flat_max: Rule


@dataclass(frozen=True)
class Account:
    code: str
    label: str
    source: str


@dataclass(frozen=True)
class TaxRules:
    company: CompanyRules
    individual: IndividualRules
    ceilings: dict[int, Ceiling]
    monthly_hours: Rule
    hourly_rates: dict[int, Rule]
    accounts: dict[str, Account]  # by code
    account_by_kind: dict[str, str]  # kind -> code

    def ceiling(self, year: int) -> Ceiling:
        try:
            return self.ceilings[int(year)]
        except (KeyError, TypeError, ValueError):
            raise MissingYear(
                _(
                    "Aucun plafond de la sécurité sociale n'est connu pour l'année %(year)s "
                    "(années connues : %(known)s)."
                )
                % {"year": year, "known": _years(self.ceilings)},
                year=year,
            ) from None

    def hourly_rate(self, year: int) -> Rule:
        try:
            return self.hourly_rates[int(year)]
        except (KeyError, TypeError, ValueError):
            raise MissingYear(
                _(
                    "Aucun taux horaire de valorisation par défaut n'est connu pour l'année %(year)s "
                    "(années connues : %(known)s) : indiquez un taux horaire."
                )
                % {"year": year, "known": _years(self.hourly_rates)},
                year=year,
            ) from None

    def account_for(self, kind: str) -> Account | None:
        code = self.account_by_kind.get(str(kind))
        return self.accounts[code] if code else None


def _years(table: dict[int, Any]) -> str:
    return ", ".join(str(y) for y in sorted(table))


def _decimal(raw: Any, where: str) -> Decimal:
    if not isinstance(raw, str):
        raise RulesFileError(f"{where}: a decimal string is expected, not {raw!r}")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise RulesFileError(f"{where}: {raw!r} is not a decimal") from None
    if not value.is_finite() or value < 0:
        raise RulesFileError(f"{where}: {raw!r} must be a finite, non-negative decimal")
    return value


def _text(entry: dict, key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RulesFileError(f"{where}: missing '{key}'")
    return value


def _rule(entry: Any, where: str) -> Rule:
    if not isinstance(entry, dict):
        raise RulesFileError(f"{where}: missing entry")
    status = _text(entry, "status", where)
    if status not in STATUSES:
        raise RulesFileError(f"{where}: unknown status {status!r}")
    return Rule(
        value=_decimal(entry.get("value"), where), source=_text(entry, "source", where), status=status
    )


def _rules(section: dict, names: tuple[str, ...], where: str) -> dict[str, Rule]:
    if not isinstance(section, dict):
        raise RulesFileError(f"{where}: missing section")
    return {name: _rule(section.get(name), f"{where}.{name}") for name in names}


def _year(key: str, where: str) -> int:
    if not (key.isdigit() and len(key) == 4):
        raise RulesFileError(f"{where}: {key!r} is not a year")
    return int(key)


def parse(data: dict) -> TaxRules:
    """The typed rules from the file's JSON (strict: any missing or malformed entry raises RulesFileError)."""
    company = CompanyRules(**_rules(data.get("company"), tuple(CompanyRules.__dataclass_fields__), "company"))
    individual = IndividualRules(
        **_rules(data.get("individual"), tuple(IndividualRules.__dataclass_fields__), "individual")
    )
    ceilings = {}
    for key, entry in (data.get("social_security_ceiling") or {}).items():
        where = f"social_security_ceiling.{key}"
        year = _year(key, where)
        ceilings[year] = Ceiling(
            year=year,
            pass_=_decimal(entry.get("pass"), f"{where}.pass"),
            pmss=_decimal(entry.get("pmss"), f"{where}.pmss"),
            source=_text(entry, "source", where),
            status=_text(entry, "status", where),
        )
    if not ceilings:
        raise RulesFileError("social_security_ceiling: no year")
    hourly = {
        _year(key, f"volunteering_hourly_rate.{key}"): _rule(entry, f"volunteering_hourly_rate.{key}")
        for key, entry in (data.get("volunteering_hourly_rate") or {}).items()
        if not key.startswith("_")
    }
    accounts_data = data.get("accounts") or {}
    source = _text(accounts_data, "source", "accounts")
    codes = accounts_data.get("codes") or {}
    accounts = {code: Account(code=code, label=label, source=source) for code, label in codes.items()}
    by_kind = dict(accounts_data.get("by_kind") or {})
    unknown = set(by_kind.values()) - set(accounts)
    if not accounts or unknown:
        raise RulesFileError(f"accounts: unknown or missing codes {sorted(unknown)}")
    return TaxRules(
        company=company,
        individual=individual,
        ceilings=ceilings,
        monthly_hours=_rule(data.get("monthly_hours"), "monthly_hours"),
        hourly_rates=hourly,
        accounts=accounts,
        account_by_kind=by_kind,
    )


@functools.lru_cache(maxsize=1)
def rules() -> TaxRules:
    """The rules of data/tax_rules.json, read once per process."""
    try:
        data = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RulesFileError(f"{RULES_FILE}: {exc}") from exc
    return parse(data)
