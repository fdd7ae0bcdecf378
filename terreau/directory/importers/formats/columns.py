"""What every format shares: the row a mapper returns, the format specification (required columns, rows
bound to the header's column positions) and the cleaning of the values that several formats read
(identifiers, website, postal and commune codes, street lines, field lengths).

Every mapper turns one CSV row (a dict keyed by lower-case column names; the RNA one, the hot path,
reads a list of fields by position) into a Candidate, returns None for rows that are deliberately
ignored, or raises RowRejected with a French reason. Checks that need the database (commune codes,
matching organisations) happen later, per batch, in the service.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from terreau.directory import validators
from terreau.directory.models import ImportRun

Format = ImportRun.Format

POSTAL_CODE_RE = re.compile(r"^\d{5}$")
COMMUNE_CODE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
HTTP_RE = re.compile(r"^https?://", re.IGNORECASE)

# Longest value of each text field (model max_length), for "too long" rejections.
MAX_LENGTHS = {
    "name": 255,
    "acronym": 60,
    "address": 255,
    "website": 200,
    "email": 254,
    "phone": 30,
}
# Longest value quoted in an error message (the rest is cut with an ellipsis).
QUOTED_MAX_CHARS = 80

# Street type abbreviations used by the RNA and SIRENE (kept as is when unknown).
STREET_TYPES = {
    "ALL": "allée",
    "AV": "avenue",
    "BD": "boulevard",
    "CAR": "carrefour",
    "CHE": "chemin",
    "CHS": "chaussée",
    "CRS": "cours",
    "FG": "faubourg",
    "HAM": "hameau",
    "IMP": "impasse",
    "LD": "lieu-dit",
    "LOT": "lotissement",
    "PAS": "passage",
    "PL": "place",
    "QUA": "quartier",
    "QUAI": "quai",
    "RES": "résidence",
    "RPT": "rond-point",
    "RTE": "route",
    "R": "rue",
    "RUE": "rue",
    "SQ": "square",
    "VC": "voie communale",
}
REPETITIONS = {"B": "bis", "T": "ter", "Q": "quater", "C": "quinquies"}

_url_validator = URLValidator(schemes=["http", "https"])


class RowRejected(Exception):
    """A row that cannot be imported, with every problem found in it (French sentences for the report).

    ``commune_code``: a well-formed commune code of the row, still checked against the database so that
    the report also says when it is unknown.
    """

    def __init__(self, *errors: str, commune_code: str = ""):
        super().__init__("\n".join(errors))
        self.errors = list(errors)
        self.commune_code = commune_code


@dataclass
class Candidate:
    """What one row says about one organisation.

    values: model field -> value, only for fields the row fills (an update never blanks a field).
    create: False when the format only updates known organisations (SIRENE establishments).
    """

    values: dict[str, Any]
    siret: str = ""
    siren: str = ""
    rna: str = ""
    commune_code: str = ""
    themes: list[str] | None = None
    create: bool = True

    @property
    def identifier(self) -> str:
        return self.siret or self.siren or self.rna


@dataclass
class Context:
    """Run-wide data a mapper needs (loaded once per import)."""

    theme_codes: frozenset[str] = field(default_factory=frozenset)


Mapper = Callable[[list[str], Context], Candidate | None]  # one row as a list of fields, in header order
Binder = Callable[[list[str]], Mapper]  # the mapper of the files with this (lower-case) header


def by_name(mapper: Callable[[dict[str, str], Context], Candidate | None]) -> Binder:
    """The binder of a mapper that reads a row keyed by (lower-case) column name."""

    def bind(header: list[str]) -> Mapper:
        def map_fields(fields: list[str], ctx: Context) -> Candidate | None:
            return mapper(dict(zip(header, fields, strict=True)), ctx)

        return map_fields

    return bind


@dataclass(frozen=True)
class FormatSpec:
    code: str
    delimiter: str
    columns: tuple[str, ...]  # documented columns, in file order
    required: tuple[str, ...]  # columns that must be in the header (lower-case)
    binder: Binder  # binder(header) -> mapper(fields, ctx); ``by_name`` for mappers of dict rows
    # Fields set when an organisation is created but never changed by a later import (curated by staff).
    create_only: frozenset[str] = frozenset()
    commune_column: str = ""  # the column of the commune code, as spelt in the official files

    @property
    def label(self) -> str:
        return str(Format(self.code).label)

    def bind(self, header: list[str]) -> Mapper:
        """The mapper of rows given as lists of fields in ``header``'s order (as many as columns)."""
        return self.binder(header)

    def missing(self, header: list[str]) -> list[str]:
        """Required columns absent from the (lower-case) header, spelt as in the official files."""
        present = set(header)
        spelling = {c.lower(): c for c in self.columns}
        return [spelling.get(c, c) for c in self.required if c not in present]

    def expected_columns(self) -> str:
        return self.delimiter.join(self.columns)


# ---------------------------------------------------------------------------------------------- cleaning


def cell(row: dict[str, str], column: str) -> str:
    """The value of ``column`` with its white space collapsed ("" when the column is absent)."""
    value = row.get(column)
    # Most columns of official files are empty: skip the split/join for them (hot path of every import).
    return " ".join(value.split()) if value else ""


def field_error(column: str, message: str, value: str = "") -> str:
    """One problem of a row, in French, naming the column and quoting its value."""
    if message[:1].isupper() and message[1:2].islower():
        message = message[0].lower() + message[1:]
    message = message.rstrip(".")
    if not value:
        return _("Colonne « %(column)s », vide : %(message)s.") % {"column": column, "message": message}
    if len(value) > QUOTED_MAX_CHARS:
        value = value[: QUOTED_MAX_CHARS - 1] + "…"
    return _("Colonne « %(column)s », valeur « %(value)s » : %(message)s.") % {
        "column": column,
        "value": value,
        "message": message,
    }


def check_lengths(values: dict[str, Any], errors: list[str], columns: dict[str, str]) -> None:
    """Add an error for each field longer than its model allows (``columns``: field -> column name)."""
    for name, limit in MAX_LENGTHS.items():
        value = values.get(name)
        if value and len(value) > limit:
            errors.append(
                field_error(
                    columns.get(name, name),
                    _("trop long : %(length)s caractères pour %(max)s au plus")
                    % {"length": len(value), "max": limit},
                    value,
                )
            )
            values.pop(name)


def _clean(value: str) -> str:
    return validators.clean_identifier(value) if value else ""


def clean_identifiers(
    siren: str,
    siret: str,
    rna: str,
    *,
    errors: list[str],
    columns: tuple[str, str, str] = ("siren", "siret", "rna"),
    strict: bool = True,
) -> tuple[str, str, str]:
    """Cleaned and validated identifiers (``columns``: their column names, SIREN, SIRET, RNA).

    An invalid identifier adds an error and reads as empty (when not ``strict`` it is only dropped).
    """
    raw = {"siren": siren, "siret": siret, "rna": rna}
    column = dict(zip(("siren", "siret", "rna"), columns, strict=True))
    cleaned = {"siren": _clean(siren), "siret": _clean(siret)}
    for check, name in ((validators.validate_siret, "siret"), (validators.validate_siren, "siren")):
        if not cleaned[name]:
            continue  # empty identifiers are valid (the validators return at once): skip the call
        try:
            check(cleaned[name])
        except ValidationError as exc:
            if strict:
                errors.append(field_error(column[name], exc.messages[0], raw[name]))
            cleaned[name] = ""
    rna_clean = _clean(rna)
    if rna_clean and not validators.RNA_RE.match(rna_clean):
        try:
            validators.validate_rna(rna_clean)
        except ValidationError as exc:
            if strict:
                errors.append(field_error(column["rna"], exc.messages[0], raw["rna"]))
            rna_clean = ""
    siren, siret = cleaned["siren"], cleaned["siret"]
    if siret and siren and siret[:9] != siren:
        errors.append(
            field_error(
                column["siret"],
                _("le SIRET ne commence pas par le SIREN %(siren)s (colonne « %(column)s »)")
                % {"siren": siren, "column": column["siren"]},
                siret,
            )
        )
        siret = ""
    return siren or siret[:9], siret, rna_clean


def clean_website(value: str, *, strict: bool, errors: list[str] | None = None, column: str = "") -> str:
    if not value:
        return ""
    url = value if HTTP_RE.match(value) else f"http://{value}"
    try:
        _url_validator(url)
    except ValidationError:
        if strict and errors is not None:
            errors.append(field_error(column, _("adresse de site web invalide"), value))
        return ""
    return url


def clean_postal_code(value: str, *, strict: bool, errors: list[str] | None = None, column: str = "") -> str:
    if value and not POSTAL_CODE_RE.match(value):
        if strict and errors is not None:
            errors.append(field_error(column, _("code postal invalide (5 chiffres attendus)"), value))
        return ""
    return value


def clean_commune_code(value: str, *, errors: list[str], column: str) -> str:
    upper = value.upper()
    if upper and not COMMUNE_CODE_RE.match(upper):
        errors.append(field_error(column, _("code commune INSEE invalide (5 caractères attendus)"), value))
        return ""
    return upper


def street_line(number: str, repetition: str, street_type: str, street: str) -> str:
    repetition = REPETITIONS.get(repetition.upper(), repetition.lower())
    street_type = STREET_TYPES.get(street_type.upper(), street_type.lower())
    return " ".join(p for p in (number, repetition, street_type, street) if p)


def set_filled(values: dict[str, Any], **kwargs: Any) -> None:
    """Set the fields the row fills (an empty value never blanks a field)."""
    values.update({k: v for k, v in kwargs.items() if v not in ("", None)})
