"""One batch of rows: each record parsed and checked (column count, the format's mapper), then, against the
database, commune codes checked, rows matched to organisations (matching), changes computed and written
(staging), and the batch's rows reindexed for search."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from terreau.core.tabular import FORMULA_START
from terreau.directory import search
from terreau.directory.importers.formats.columns import (
    Candidate,
    Context,
    FormatSpec,
    Mapper,
    RowRejected,
    field_error,
)
from terreau.directory.importers.matching import (
    Existing,
    Index,
    conflict,
    current_themes,
    existing_for,
    in_another_branch,
    public_ids,
)
from terreau.directory.importers.reading import Record
from terreau.directory.importers.staging import New, Writer, existing_values
from terreau.directory.models import ImportRejection
from terreau.territories.models import Commune

REASON_SEPARATOR = ImportRejection.REASON_SEPARATOR
# An apostrophe before a character that starts a formula (terreau.core.tabular.FORMULA_START).
_QUOTED_FORMULA_RE = re.compile("'[" + re.escape("".join(FORMULA_START)) + "]")


@dataclass
class Counts:
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    rejected: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.rows_read + other.rows_read,
            self.created + other.created,
            self.updated + other.updated,
            self.rejected + other.rejected,
        )


@dataclass
class Row:
    """A record of the file: its Candidate, or every reason it is rejected (neither: ignored by the format).

    ``fields``: the record's fields as read (None when the line is unreadable), given back with the
    rejected rows; ``commune_code``: a rejected row's well-formed commune code, still checked.
    """

    line: int
    raw: str
    candidate: Candidate | None = None
    errors: list[str] = field(default_factory=list)
    fields: list[str] | None = None
    commune_code: str = ""

    @property
    def reason(self) -> str:
        return REASON_SEPARATOR.join(self.errors)


def parse_row(
    record: Record,
    *,
    header: list[str],
    spec: FormatSpec,
    mapper: Mapper,
    context: Context,
) -> Row:
    """The record as a Row: its Candidate, or the French reasons it is rejected (no Candidate and no
    reason: the format ignores it)."""
    if record.fields is None:
        return Row(record.line, record.raw, errors=[record.error])
    fields = record.fields
    if len(fields) != len(header):
        if len(fields) > len(header) and not any(f.strip() for f in fields[len(header) :]):
            fields = fields[: len(header)]
        else:
            return Row(
                record.line,
                record.raw,
                errors=[
                    _(
                        "Nombre de colonnes incorrect : %(found)s au lieu de %(expected)s (vérifiez le "
                        "séparateur « %(sep)s » et les guillemets)."
                    )
                    % {"found": len(fields), "expected": len(header), "sep": spec.delimiter}
                ],
                fields=list(fields),
            )
    if _QUOTED_FORMULA_RE.search(record.raw):  # one pass over the line; rare
        fields = unquote_formulas(fields)
    try:
        candidate = mapper(fields, context)
    except RowRejected as exc:
        # fields[: len(header)]: the RNA mapper appends to the list it is given.
        return Row(
            record.line,
            record.raw,
            errors=exc.errors,
            fields=fields[: len(header)],
            commune_code=exc.commune_code,
        )
    if len(fields) > len(header):
        del fields[len(header) :]  # the RNA mapper appends to the list it is given
    # The fields are kept (not copied) for the rows that the batch's checks reject.
    return Row(record.line, record.raw, candidate=candidate, fields=fields)


def unquote_formulas(fields: list[str]) -> list[str]:
    """The fields without the apostrophe that Terreau's files put before a value a spreadsheet would run
    as a formula (``terreau.core.tabular.safe_cell``): a file of rejected rows, corrected and imported
    again, gives the values it was given (a phone number "+33 5 49 …" stays one)."""
    return [f[1:] if f[:1] == "'" and f[1:2] in FORMULA_START else f for f in fields]


def write_batch(
    rows: list[Row], *, spec: FormatSpec, branch: Any, writer: Writer, communes: dict[str, bool]
) -> Counts:
    """Create, update and reject the batch's rows (inside the caller's transaction); returns its counts.

    ``communes``: the run's cache of commune codes already looked up (code -> exists), completed here.
    """
    counts = Counts(rows_read=len(rows))
    rejections: list[tuple[int, str, str, list[str] | None]] = []

    def reject(row: Row, errors: list[str]) -> None:
        rejections.append((row.line, REASON_SEPARATOR.join(errors), row.raw, row.fields))

    def unknown_commune(code: str) -> str:
        return field_error(spec.commune_column, _("code commune INSEE inconnu"), code)

    candidates: list[tuple[Row, Candidate]] = []
    rejected: list[Row] = []
    for row in rows:
        if row.candidate is not None:
            candidates.append((row, row.candidate))
        elif row.errors:
            rejected.append(row)

    unseen = {c.commune_code for _r, c in candidates if c.commune_code}
    unseen.update(r.commune_code for r in rejected if r.commune_code)
    unseen -= communes.keys()
    if unseen:
        found = existing_values(Commune, "code", unseen)
        communes.update({code: code in found for code in unseen})
    for row in rejected:
        # A rejected row is told about its unknown commune code too, with its other problems.
        extra = (
            [unknown_commune(row.commune_code)] if row.commune_code and not communes[row.commune_code] else []
        )
        reject(row, row.errors + extra)
    index = Index()
    existing = existing_for([c for _r, c in candidates])
    nameable = public_ids([org.pk for org in existing if org.branch_id != branch.pk])
    for org in existing:
        index.add(org, siret=org.siret, siren=org.siren, rna=org.rna)
    themes_now = current_themes(existing, [c for _r, c in candidates])

    new: list[New] = []
    changed: dict[int, Existing] = {}
    changed_fields: set[str] = set()
    theme_changes: dict[int, set[str]] = {}
    for row, cand in candidates:
        errors: list[str] = []
        if cand.commune_code and not communes[cand.commune_code]:
            errors.append(unknown_commune(cand.commune_code))
        values = dict(cand.values)
        if cand.commune_code:
            values["commune_id"] = cand.commune_code
        target = index.find(cand)
        if isinstance(target, Existing) and target.branch_id != branch.pk:
            errors.append(in_another_branch(target, cand, named=target.pk in nameable))
        elif target is not None:
            reason = conflict(target, cand)
            if reason:
                errors.append(reason)
        elif not cand.create:
            errors.append(
                _(
                    "Aucune organisation de l'antenne n'a le SIREN %(siren)s : établissement ignoré "
                    "(importez d'abord les unités légales)."
                )
                % {"siren": cand.siren}
            )
        if errors:
            reject(row, errors)
            continue
        if target is None:
            target = New(values=values, themes=cand.themes, identifier=cand.identifier)
            new.append(target)
            counts.created += 1
        elif isinstance(target, New):
            diff = {k: v for k, v in values.items() if target.values.get(k) != v}
            target.values.update(diff)
            themes_differ = cand.themes is not None and cand.themes != target.themes
            if themes_differ:
                target.themes = cand.themes
            if diff or themes_differ:
                counts.updated += 1
        else:
            diff = [k for k, v in values.items() if k not in spec.create_only and getattr(target, k) != v]
            for name in diff:
                setattr(target, name, values[name])
            if diff:
                changed[target.pk] = target
                changed_fields.update(diff)
            themes_differ = cand.themes is not None and set(cand.themes) != themes_now[target.pk]
            if themes_differ:
                theme_changes[target.pk] = set(cand.themes)
                themes_now[target.pk] = set(cand.themes)
            if diff or themes_differ:
                counts.updated += 1
        index.add(target, siret=cand.siret, siren=cand.siren, rna=cand.rna)

    indexed: set[int] = set()
    if new:
        writer.assign_slugs(new)
        indexed = writer.create(new)
        search.refresh_filters(indexed)  # their text is indexed by the INSERT, not their filter rows
    if changed:
        now = timezone.now()
        for org in changed.values():
            org.updated_at = now
        writer.update(list(changed.values()), sorted(changed_fields | {"updated_at"}))
    writer.write_themes(new, theme_changes)
    counts.rejected = len(rejections)
    writer.reject(rejections)
    if new or changed or theme_changes:
        # New rows indexed by their INSERT (PostgreSQL set-based path) are not indexed a second time;
        # the call still happens for every batch that wrote organisations.
        touched = [n.pk for n in new if n.pk not in indexed]
        touched += list(changed) + [pk for pk in theme_changes if pk not in changed]
        search.reindex_organisations(touched)
    return counts
