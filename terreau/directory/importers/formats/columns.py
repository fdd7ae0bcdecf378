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
FIELD_LABELS = {
    "name": "nom",
    "acronym": "sigle",
    "address": "adresse",
    "website": "site web",
    "email": "courriel",
    "phone": "téléphone",
}

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
    """A row that cannot be imported; the message is a French reason shown in the report."""


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


def check_lengths(values: dict[str, Any]) -> None:
    for name, limit in MAX_LENGTHS.items():
        value = values.get(name)
        if value and len(value) > limit:
            raise RowRejected(
                _("Champ « %(field)s » trop long : %(length)s caractères pour %(max)s au plus.")
                % {"field": FIELD_LABELS[name], "length": len(value), "max": limit}
            )


def _clean(value: str) -> str:
    return validators.clean_identifier(value) if value else ""


def clean_identifiers(siren: str, siret: str, rna: str, *, strict: bool = True) -> tuple[str, str, str]:
    """Cleaned and validated identifiers; invalid ones raise RowRejected (or are dropped if not strict)."""
    siren, siret, rna = _clean(siren), _clean(siret), _clean(rna)
    checks = ((validators.validate_siret, "siret"), (validators.validate_siren, "siren"))
    cleaned = {"siren": siren, "siret": siret}
    for check, name in checks:
        if not cleaned[name]:
            continue  # empty identifiers are valid (the validators return at once): skip the call
        try:
            check(cleaned[name])
        except ValidationError as exc:
            if strict:
                raise RowRejected(f"{exc.messages[0]} ({cleaned[name]})") from None
            cleaned[name] = ""
    if rna and not validators.RNA_RE.match(rna):
        try:
            validators.validate_rna(rna)
        except ValidationError as exc:
            if strict:
                raise RowRejected(f"{exc.messages[0]} ({rna})") from None
            rna = ""
    siren, siret = cleaned["siren"], cleaned["siret"]
    if siret and siren and siret[:9] != siren:
        raise RowRejected(
            _("Le SIRET %(siret)s ne commence pas par le SIREN %(siren)s.") % {"siret": siret, "siren": siren}
        )
    return siren or siret[:9], siret, rna


def clean_website(value: str, *, strict: bool) -> str:
    if not value:
        return ""
    url = value if HTTP_RE.match(value) else f"http://{value}"
    try:
        _url_validator(url)
    except ValidationError:
        if strict:
            raise RowRejected(_("Adresse de site web invalide : %(value)s") % {"value": value}) from None
        return ""
    return url


def clean_postal_code(value: str, *, strict: bool) -> str:
    if value and not POSTAL_CODE_RE.match(value):
        if strict:
            raise RowRejected(_("Code postal invalide : %(value)s (5 chiffres).") % {"value": value})
        return ""
    return value


def clean_commune_code(value: str) -> str:
    value = value.upper()
    if value and not COMMUNE_CODE_RE.match(value):
        raise RowRejected(_("Code commune INSEE invalide : %(value)s (5 caractères).") % {"value": value})
    return value


def street_line(number: str, repetition: str, street_type: str, street: str) -> str:
    repetition = REPETITIONS.get(repetition.upper(), repetition.lower())
    street_type = STREET_TYPES.get(street_type.upper(), street_type.lower())
    return " ".join(p for p in (number, repetition, street_type, street) if p)


def set_filled(values: dict[str, Any], **kwargs: Any) -> None:
    """Set the fields the row fills (an empty value never blanks a field)."""
    values.update({k: v for k, v in kwargs.items() if v not in ("", None)})
