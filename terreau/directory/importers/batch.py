"""One batch of rows: each record parsed and checked (column count, the format's mapper), then, against the
database, commune codes checked, rows matched to organisations (matching), changes computed and written
(staging), and the batch's rows reindexed for search."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from terreau.directory import search
from terreau.directory.importers.formats.columns import Candidate, Context, FormatSpec, Mapper, RowRejected
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
from terreau.territories.models import Commune


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
    line: int
    raw: str
    candidate: Candidate | None = None
    reason: str = ""


def parse_row(
    record: Record,
    *,
    header: list[str],
    spec: FormatSpec,
    mapper: Mapper,
    context: Context,
) -> Row:
    """The record as a Row: its Candidate, or the French reason it is rejected (None and no reason: the
    format ignores it)."""
    if record.fields is None:
        return Row(record.line, record.raw, reason=record.error)
    fields = record.fields
    if len(fields) != len(header):
        if len(fields) > len(header) and not any(f.strip() for f in fields[len(header) :]):
            fields = fields[: len(header)]
        else:
            return Row(
                record.line,
                record.raw,
                reason=_(
                    "Nombre de colonnes incorrect : %(found)s au lieu de %(expected)s (vérifiez le "
                    "séparateur « %(sep)s » et les guillemets)."
                )
                % {"found": len(fields), "expected": len(header), "sep": spec.delimiter},
            )
    try:
        candidate = mapper(fields, context)
    except RowRejected as exc:
        return Row(record.line, record.raw, reason=str(exc))
    return Row(record.line, record.raw, candidate=candidate)


def write_batch(
    rows: list[Row], *, spec: FormatSpec, branch: Any, writer: Writer, communes: dict[str, bool]
) -> Counts:
    """Create, update and reject the batch's rows (inside the caller's transaction); returns its counts.

    ``communes``: the run's cache of commune codes already looked up (code -> exists), completed here.
    """
    counts = Counts(rows_read=len(rows))
    rejections: list[tuple[int, str, str]] = []

    def reject(row: Row, reason: str) -> None:
        rejections.append((row.line, reason, row.raw))

    candidates: list[tuple[Row, Candidate]] = []
    for row in rows:
        if row.candidate is not None:
            candidates.append((row, row.candidate))
        elif row.reason:
            reject(row, row.reason)

    unseen = {c.commune_code for _r, c in candidates if c.commune_code} - communes.keys()
    if unseen:
        found = existing_values(Commune, "code", unseen)
        communes.update({code: code in found for code in unseen})
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
        if cand.commune_code and not communes[cand.commune_code]:
            reject(row, _("Code commune INSEE inconnu : %(code)s.") % {"code": cand.commune_code})
            continue
        values = dict(cand.values)
        if cand.commune_code:
            values["commune_id"] = cand.commune_code
        target = index.find(cand)
        if isinstance(target, Existing) and target.branch_id != branch.pk:
            reject(row, in_another_branch(target, cand, named=target.pk in nameable))
            continue
        reason = conflict(target, cand) if target is not None else ""
        if reason:
            reject(row, reason)
            continue
        if target is None:
            if not cand.create:
                reject(
                    row,
                    _(
                        "Aucune organisation de l'antenne n'a le SIREN %(siren)s : établissement ignoré "
                        "(importez d'abord les unités légales)."
                    )
                    % {"siren": cand.siren},
                )
                continue
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
