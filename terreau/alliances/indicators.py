"""Territorial indicators imported from CSV files by official code (docs/indicators.md).

Two shapes are read, as official files come:
- long: one value a row, with columns ``code``, ``indicateur``, ``valeur`` and optionally ``niveau``,
  ``annee``, ``source`` (names are matched without case or accents; "codgeo" is taken for "code");
- wide: a code column (CODGEO, code, DEP, EPCI, SIREN...) and one column per indicator, named by its code or
  by an official alias (data/indicators.toml); the year and the source then come from the file's columns
  ``annee`` / ``source`` or from the import form.

Each row is checked: the code exists in the official geography at its level (inferred from its shape when
there is no ``niveau`` column: 5 characters a commune, 9 digits an EPCI, 2-3 a department, "FR" France;
regions must be named), the value is a number (a comma decimal, spaces or non-breaking spaces in thousands
are fine; "s", "nd", "NA" and empty are refused: secret or missing), the year is plausible, and the same
indicator, place and year does not appear twice in one file. Refused rows are reported with their line and
reason; the others are saved together (one transaction), replacing an earlier value of the same indicator,
place and year. Different years may be mixed: each value keeps its own.
"""

from __future__ import annotations

import io
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import BinaryIO

from django.db import transaction
from django.utils.translation import gettext as _

from terreau.alliances.models import Indicator, IndicatorImport, IndicatorValue
from terreau.core.french import fold_key
from terreau.directory.importers.reading import CsvStream, FileRejected
from terreau.territories.models import Commune, Department, Epci, Region

CATALOGUE = Path(__file__).parent / "data" / "indicators.toml"
YEAR_RANGE = range(1950, 2101)
MISSING = {"", "s", "nd", "n.d.", "na", "n/a", "-", "secret"}
CODE_COLUMNS = ("code", "codgeo", "code_insee", "code_geo", "depcom", "dep", "epci", "siren", "reg")
LEVEL_WORDS = {
    "commune": IndicatorValue.Level.COMMUNE,
    "com": IndicatorValue.Level.COMMUNE,
    "epci": IndicatorValue.Level.EPCI,
    "intercommunalite": IndicatorValue.Level.EPCI,
    "departement": IndicatorValue.Level.DEPARTMENT,
    "dep": IndicatorValue.Level.DEPARTMENT,
    "region": IndicatorValue.Level.REGION,
    "reg": IndicatorValue.Level.REGION,
    "france": IndicatorValue.Level.FRANCE,
    "national": IndicatorValue.Level.FRANCE,
}
PROGRESS_EVERY = 1000  # rows between two progress reports of the import job
FRANCE_CODES = {"fr", "france", "fxx", "metro"}


@cache
def _catalogue_data() -> dict[str, dict]:
    return tomllib.loads(CATALOGUE.read_text(encoding="utf-8"))


def sync_catalogue() -> dict[str, Indicator]:
    """The indicators of data/indicators.toml in the database (created or updated), by code."""
    indicators = {}
    for code, spec in _catalogue_data().items():
        indicators[code], _created = Indicator.objects.update_or_create(
            code=code,
            defaults={
                "label": spec["label"],
                "unit": spec.get("unit", ""),
                "description": spec.get("description", ""),
                "usual_source": spec.get("usual_source", ""),
                "aliases": spec.get("aliases", []),
            },
        )
    return indicators


def _column_key(name: str) -> str:
    return fold_key(name).replace(" ", "_").replace("-", "_")


@dataclass
class Report:
    rows_read: int = 0
    values_saved: int = 0
    errors: list[dict] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def refuse(self, line: int, reason: str) -> None:
        self.errors.append({"line": line, "reason": reason})


def parse_value(text: str) -> Decimal | None:
    """A French or English decimal ("12,5", "1 234,5", "12.5"); None when missing or secret."""
    cleaned = text.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if cleaned.lower() in MISSING:
        return None
    if "," in cleaned and "." in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")  # "1.234,5"
    cleaned = cleaned.replace(",", ".").rstrip("%")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite() or abs(value) >= Decimal("1e10"):
        raise ValueError(text)
    return value


class _Places:
    """Official codes known at each level, loaded once per import."""

    def __init__(self) -> None:
        self.known = {
            IndicatorValue.Level.COMMUNE: set(Commune.objects.values_list("code", flat=True)),
            IndicatorValue.Level.EPCI: set(Epci.objects.values_list("code", flat=True)),
            IndicatorValue.Level.DEPARTMENT: set(Department.objects.values_list("code", flat=True)),
            IndicatorValue.Level.REGION: set(Region.objects.values_list("code", flat=True)),
        }

    @staticmethod
    def infer_level(code: str) -> str | None:
        if code.lower() in FRANCE_CODES:
            return IndicatorValue.Level.FRANCE
        if len(code) == 9 and code.isdigit():
            return IndicatorValue.Level.EPCI
        # A spreadsheet drops the leading zero of "01053" or "01": four characters are still a commune.
        if len(code) in (4, 5):
            return IndicatorValue.Level.COMMUNE
        if len(code) in (1, 2, 3):
            return IndicatorValue.Level.DEPARTMENT
        return None

    def check(self, code: str, level_text: str) -> tuple[str, str]:
        """(level, normalised code) or ValueError with the French reason."""
        code = code.strip().upper()
        if level_text.strip():
            level = LEVEL_WORDS.get(_column_key(level_text))
            if level is None:
                raise ValueError(
                    _("échelon « %(level)s » inconnu (commune, epci, département, région ou france)")
                    % {"level": level_text.strip()}
                )
        else:
            level = self.infer_level(code)
        if level == IndicatorValue.Level.FRANCE:
            return level, "FR"
        if level is None:
            raise ValueError(
                _("code « %(code)s » : ni une commune, ni une intercommunalité, ni un département")
            )
        if level == IndicatorValue.Level.DEPARTMENT and len(code) == 1:
            code = f"0{code}"
        if level == IndicatorValue.Level.COMMUNE and len(code) == 4 and code.isdigit():
            code = f"0{code}"  # a spreadsheet dropped the leading zero of Ain's communes
        if code not in self.known[level]:
            raise ValueError(
                _("code « %(code)s » inconnu à l'échelon « %(level)s » de la géographie officielle")
                % {"code": code, "level": IndicatorValue.Level(level).label}
            )
        return level, code


@dataclass
class _Layout:
    """Where things are in a file: its columns by name, the code column, its shape and value columns."""

    position: dict[str, int]
    code_column: int
    long_shape: bool
    value_columns: dict[int, Indicator]
    ignored_columns: list[str]
    by_name: dict[str, Indicator]


def _layout(csv_stream: CsvStream) -> _Layout:
    """Read the header against the catalogue; FileRejected (French) when no code or indicator column."""
    indicators = sync_catalogue()
    by_name: dict[str, Indicator] = {}
    for indicator in indicators.values():
        by_name[_column_key(indicator.code)] = indicator
        for alias in indicator.aliases:
            by_name[_column_key(alias)] = indicator
    header = [_column_key(c) for c in csv_stream.header]
    position = {name: i for i, name in reversed(list(enumerate(header)))}
    code_column = next((position[c] for c in CODE_COLUMNS if c in position), None)
    if code_column is None:
        raise FileRejected(
            _("Aucune colonne de code officiel (code, CODGEO, DEP, EPCI…) dans l'en-tête du fichier.")
        )
    long_shape = "indicateur" in position and "valeur" in position
    value_columns: dict[int, Indicator] = {}
    ignored: list[str] = []
    if not long_shape:
        known = {code_column} | {
            position[c] for c in ("annee", "source", "niveau", "libgeo") if c in position
        }
        for index, name in enumerate(header):
            if index in known:
                continue
            if name in by_name:
                value_columns[index] = by_name[name]
            else:
                ignored.append(csv_stream.raw_header[index])
        if not value_columns:
            raise FileRejected(
                _(
                    "Aucune colonne d'indicateur reconnue. Colonnes attendues : %(known)s, ou le format long "
                    "(code ; indicateur ; valeur ; année ; source)."
                )
                % {"known": ", ".join(sorted(indicators))}
            )
    return _Layout(position, code_column, long_shape, value_columns, ignored, by_name)


def check_header(head: bytes) -> None:
    """Refuse at once (FileRejected) a file whose beginning shows it cannot be imported: empty, unreadable,
    without a code column or an indicator column. The rows are read later, by the import job."""
    _layout(CsvStream(io.BytesIO(head)))


def import_indicators(
    stream: BinaryIO,
    *,
    branch,
    by,
    file_name: str,
    default_year: int | None = None,
    default_source: str = "",
    progress: Callable[[int], None] | None = None,
) -> IndicatorImport:
    """Read, check and save a file's values; the returned IndicatorImport holds the row-by-row report.
    Raises FileRejected (a French message) when the file as a whole cannot be read. ``progress`` is told the
    number of rows read every PROGRESS_EVERY rows."""
    csv_stream = CsvStream(stream)
    layout = _layout(csv_stream)
    position, code_column, long_shape = layout.position, layout.code_column, layout.long_shape
    value_columns, by_name = layout.value_columns, layout.by_name
    report = Report(ignored_columns=layout.ignored_columns)
    places = _Places()
    seen: dict[tuple, int] = {}
    values: list[IndicatorValue] = []

    def cell(fields: list[str], column: str) -> str:
        index = position.get(column)
        return fields[index].strip() if index is not None and index < len(fields) else ""

    for record in csv_stream.records():
        report.rows_read += 1
        if progress is not None and report.rows_read % PROGRESS_EVERY == 0:
            progress(report.rows_read)
        if record.fields is None:
            report.refuse(record.line, record.error)
            continue
        fields = record.fields
        try:
            level, code = places.check(
                fields[code_column] if code_column < len(fields) else "", cell(fields, "niveau")
            )
            year_text = cell(fields, "annee") or (str(default_year) if default_year else "")
            if not year_text:
                raise ValueError(_("année manquante (colonne « année » ou année choisie à l'import)"))
            if not year_text.isdigit() or int(year_text) not in YEAR_RANGE:
                raise ValueError(_("année « %(year)s » invalide") % {"year": year_text})
            year = int(year_text)
            source = cell(fields, "source") or default_source
            if not source:
                raise ValueError(_("source manquante (colonne « source » ou source indiquée à l'import)"))
        except ValueError as error:
            report.refuse(record.line, str(error))
            continue
        if long_shape:
            indicator = by_name.get(_column_key(cell(fields, "indicateur")))
            if indicator is None:
                report.refuse(
                    record.line,
                    _("indicateur « %(name)s » inconnu") % {"name": cell(fields, "indicateur")},
                )
                continue
            pairs = [(indicator, cell(fields, "valeur"))]
        else:
            pairs = [(ind, fields[i] if i < len(fields) else "") for i, ind in value_columns.items()]
        for indicator, text in pairs:
            try:
                value = parse_value(text)
            except ValueError:
                report.refuse(
                    record.line,
                    _("%(indicator)s : « %(value)s » n'est pas un nombre")
                    % {"indicator": indicator.label, "value": text.strip()},
                )
                continue
            if value is None:
                report.refuse(
                    record.line,
                    _("%(indicator)s : valeur manquante ou soumise au secret statistique")
                    % {"indicator": indicator.label},
                )
                continue
            key = (indicator.pk, level, code, year)
            if key in seen:
                report.refuse(
                    record.line,
                    _("%(indicator)s, %(code)s, %(year)s : déjà donné ligne %(line)s (doublon ignoré)")
                    % {"indicator": indicator.label, "code": code, "year": year, "line": seen[key]},
                )
                continue
            seen[key] = record.line
            values.append(
                IndicatorValue(
                    indicator=indicator, level=level, code=code, year=year, value=value, source=source[:300]
                )
            )
    with transaction.atomic():
        run = IndicatorImport.objects.create(
            branch=branch,
            file_name=file_name[:200],
            imported_by=by,
            rows_read=report.rows_read,
            values_saved=len(values),
            errors=report.errors
            + [
                {"line": None, "reason": _("colonne ignorée : « %(name)s »") % {"name": name}}
                for name in report.ignored_columns
            ],
        )
        for value in values:
            value.imported = run
        IndicatorValue.objects.bulk_create(
            values,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["indicator", "level", "code", "year"],
            update_fields=["value", "source", "imported"],
        )
    return run
