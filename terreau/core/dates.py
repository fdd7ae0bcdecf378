"""Plausible dates: the one window for every date a person types in a form or puts in a URL.

Terreau's data starts in 2000 and plans at most ten years ahead, so a date outside
1 January 2000 .. 31 December (this year + 10) is a typo or a probe (0001, 1900, 9999): forms and the API
refuse it with a French message, and views that read a date or a month from the query string answer
with a message instead of crashing on date arithmetic. Birth dates get their own window (the last
hundred years). The bounds live here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

from terreau.core import french

EARLIEST_YEAR = 2000  # the first year any Terreau date may fall in
YEARS_AHEAD = 10  # how far ahead of this year a date may fall
BIRTH_YEARS_BACK = 100  # birth dates: from this many years ago to today


def window(*, today: date | None = None) -> tuple[date, date]:
    """The dates a person may give: 1 January 2000 to 31 December of (this year + 10), inclusive."""
    today = today or timezone.localdate()
    return date(EARLIEST_YEAR, 1, 1), date(today.year + YEARS_AHEAD, 12, 31)


def birth_window(*, today: date | None = None) -> tuple[date, date]:
    """The birth dates a person may give: 1 January (this year - 100) to today, inclusive."""
    today = today or timezone.localdate()
    return date(today.year - BIRTH_YEARS_BACK, 1, 1), today


def out_of_window_message(*, birth: bool = False) -> str:
    low, high = birth_window() if birth else window()
    if birth:
        return _("Indiquez une date de naissance entre %(low)s et aujourd'hui.") % {"low": low.year}
    return _("Indiquez une date entre %(low)s et %(high)s.") % {"low": low.year, "high": high.year}


def _as_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            try:
                return timezone.localtime(value).date()
            except OverflowError:  # 0001-01-01 00:00 UTC has no local time east of Greenwich
                return value.date()
        return value.date()
    return value


def is_plausible(value: date | datetime, *, birth: bool = False) -> bool:
    low, high = birth_window() if birth else window()
    return low <= _as_date(value) <= high


@deconstructible
class PlausibleDateValidator:
    """Validator for date and datetime fields (forms, models, DRF fields): the value must fall in the
    window (or the birth window)."""

    code = "date_out_of_range"

    def __init__(self, *, birth: bool = False) -> None:
        self.birth = birth

    def __call__(self, value: date | datetime | None) -> None:
        if value is not None and not is_plausible(value, birth=self.birth):
            raise ValidationError(out_of_window_message(birth=self.birth), code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PlausibleDateValidator) and other.birth == self.birth


validate_plausible_date = PlausibleDateValidator()
validate_birth_date = PlausibleDateValidator(birth=True)


def bound_date_fields(form: forms.BaseForm, *, birth: Iterable[str] = ()) -> None:
    """Give every date and datetime field of ``form`` the plausible window: a validator and the
    browser's min/max. Fields named in ``birth`` get the birth window instead."""
    birth = set(birth)
    for name, field in form.fields.items():
        if not isinstance(field, forms.DateField | forms.DateTimeField):
            continue
        is_birth = name in birth
        validator = validate_birth_date if is_birth else validate_plausible_date
        if validator not in field.validators:
            field.validators.append(validator)
        low, high = birth_window() if is_birth else window()
        if isinstance(field, forms.DateTimeField):
            field.widget.attrs.setdefault("min", f"{low:%Y-%m-%d}T00:00")
            field.widget.attrs.setdefault("max", f"{high:%Y-%m-%d}T23:59")
        else:
            field.widget.attrs.setdefault("min", f"{low:%Y-%m-%d}")
            field.widget.attrs.setdefault("max", f"{high:%Y-%m-%d}")


class BoundedDatesMixin:
    """Form mixin: every date and datetime field gets the plausible window (see bound_date_fields);
    names listed in ``birth_date_fields`` get the birth window."""

    birth_date_fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bound_date_fields(self, birth=self.birth_date_fields)  # type: ignore[arg-type]


# --- query strings -------------------------------------------------------------------------------------


class QueryDateError(ValueError):
    """A date or month in the query string that is malformed or outside the window; ``message`` is
    French and tells what to give instead."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_day(raw: str | None) -> date | None:
    """A day given as AAAA-MM-JJ in a URL: None when absent or empty, QueryDateError when malformed or
    outside the window."""
    value = (raw or "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise QueryDateError(_("Indiquez une date au format AAAA-MM-JJ."))
    if not is_plausible(day):
        raise QueryDateError(out_of_window_message())
    return day


def parse_month(raw: str | None) -> date | None:
    """A month given as AAAA-MM in a URL, as its first day: None when absent or empty, QueryDateError
    when malformed or outside the window."""
    value = (raw or "").strip()
    if not value:
        return None
    year, sep, month = value.partition("-")
    if not (sep and len(year) == 4 and year.isdigit() and len(month) == 2 and month.isdigit()):
        raise QueryDateError(_("Indiquez un mois au format AAAA-MM."))
    if not 1 <= int(month) <= 12:
        raise QueryDateError(_("Indiquez un mois au format AAAA-MM."))
    first = date(int(year), int(month), 1)
    if not is_plausible(first):
        low, high = window()
        raise QueryDateError(
            _("Indiquez un mois entre %(low)s et %(high)s.")
            % {"low": f"{low:%m/%Y}", "high": f"{high:%m/%Y}"}
        )
    return first


def date_format(value: date | datetime, fmt: str) -> str:
    """A date written out in French for people (PDFs, e-mails, messages): Django's format with "1er" for the
    first of the month. Templates get the same through the ``date`` filter of terreau.core.templatetags.french."""
    return french.first_of_month(formats.date_format(value, fmt))
