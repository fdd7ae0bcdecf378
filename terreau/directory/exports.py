"""Export of a filtered directory view (the search page's filters) as CSV or XLSX rows.

Only organisations the user may see (through directory_queryset, hence terreau.core.access.visible()),
public columns only, except the branch's internal notes: that column exists for branch staff only, and is
filled only on rows of the branches they manage. Files are written by terreau.core.tabular, which
neutralises spreadsheet formulas.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

from terreau.core.access import Actor, actor_for
from terreau.directory.models import Organisation
from terreau.directory.queries import DirectoryParams, directory_queryset

CHUNK_SIZE = 2000


def export_header(*, actor: Actor) -> list[str]:
    header = [
        _("Nom"),
        _("Sigle"),
        _("Type de structure"),
        _("SIREN"),
        _("SIRET"),
        _("RNA"),
        _("Commune"),
        _("Département"),
        _("Adresse"),
        _("Site web"),
        _("Thèmes"),
        _("Besoins ouverts"),
        _("Ressources ouvertes"),
        _("Antenne"),
    ]
    if actor.is_staff_anywhere:
        header.append(_("Notes internes de l'antenne"))
    return header


def _row(org: Organisation, *, actor: Actor) -> list[Any]:
    commune = org.commune
    row: list[Any] = [
        org.name,
        org.acronym,
        org.get_kind_display(),
        org.siren,
        org.siret,
        org.rna,
        commune.name if commune else "",
        f"{commune.department.name} ({commune.department_id})" if commune else "",
        " ".join(part for part in (org.address, org.postal_code) if part),
        org.website,
        ", ".join(theme.label for theme in org.themes.all()),
        org.open_needs,
        org.open_offers,
        org.branch.name if org.branch else "",
    ]
    if actor.is_staff_anywhere:
        row.append(org.private_notes if actor.manages_branch(org.branch) else "")
    return row


def export_rows(*, user: Any, params: DirectoryParams) -> Iterator[list[Any]]:
    """The header, then one row per organisation of the filtered view, read in chunks."""
    actor = user if isinstance(user, Actor) else actor_for(user)
    yield export_header(actor=actor)
    for org in directory_queryset(user=actor, params=params).iterator(chunk_size=CHUNK_SIZE):
        yield _row(org, actor=actor)
