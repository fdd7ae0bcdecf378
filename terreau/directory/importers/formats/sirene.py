"""The SIRENE stock files of INSEE: legal units (create and update organisations) and establishments
(only headquarters, only to give known organisations their address)."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _

from terreau.directory.importers.formats.columns import (
    MAX_LENGTHS,
    Candidate,
    Context,
    RowRejected,
    cell,
    check_lengths,
    clean_commune_code,
    clean_identifiers,
    clean_postal_code,
    field_error,
    set_filled,
    street_line,
)
from terreau.directory.models import OrganisationKind, WorkforceBand

LEGAL_CATEGORY_RE = re.compile(r"^\d{4}$")
WORKFORCE_BANDS = set(WorkforceBand.values)

SIRENE_UL_COLUMNS = (
    "siren",
    "statutDiffusionUniteLegale",
    "dateCreationUniteLegale",
    "sigleUniteLegale",
    "prenomUsuelUniteLegale",
    "nomUniteLegale",
    "nomUsageUniteLegale",
    "denominationUniteLegale",
    "denominationUsuelle1UniteLegale",
    "trancheEffectifsUniteLegale",
    "categorieJuridiqueUniteLegale",
    "activitePrincipaleUniteLegale",
    "identifiantAssociationUniteLegale",
    "economieSocialeSolidaireUniteLegale",
    "etatAdministratifUniteLegale",
    "nicSiegeUniteLegale",
)
SIRENE_UL_REQUIRED = (
    "siren",
    "denominationunitelegale",
    "categoriejuridiqueunitelegale",
    "etatadministratifunitelegale",
)

UL_FIELD_COLUMNS = {"name": "denominationUniteLegale"}

SIRENE_ETAB_COLUMNS = (
    "siren",
    "nic",
    "siret",
    "etablissementSiege",
    "complementAdresseEtablissement",
    "numeroVoieEtablissement",
    "indiceRepetitionEtablissement",
    "typeVoieEtablissement",
    "libelleVoieEtablissement",
    "codePostalEtablissement",
    "libelleCommuneEtablissement",
    "codeCommuneEtablissement",
    "etatAdministratifEtablissement",
    "activitePrincipaleEtablissement",
)
SIRENE_ETAB_REQUIRED = ("siret", "etablissementsiege", "codecommuneetablissement")


def kind_for_legal_category(category: str) -> str:
    """92xx association, 9300 foundation, 7xxx public body, anything else a company."""
    if category.startswith("92"):
        return OrganisationKind.ASSOCIATION.value
    if category == "9300":
        return OrganisationKind.FOUNDATION.value
    if category.startswith("7"):
        return OrganisationKind.PUBLIC_BODY.value
    return OrganisationKind.COMPANY.value


def map_sirene_ul(row: dict[str, str], ctx: Context) -> Candidate:
    """The legal unit's organisation; every problem of the row is reported at once (RowRejected)."""
    if cell(row, "etatadministratifunitelegale").upper() == "C":
        raise RowRejected(_("Unité légale cessée (état administratif « C ») : non importée."))
    errors: list[str] = []
    if not cell(row, "siren"):
        errors.append(field_error("siren", _("SIREN manquant")))
    siren, _siret, rna = clean_identifiers(
        cell(row, "siren"), "", "", errors=errors, columns=("siren", "nicSiegeUniteLegale", "siren")
    )
    name = cell(row, "denominationunitelegale") or cell(row, "denominationusuelle1unitelegale")
    if not name:
        person = " ".join(
            p
            for p in (
                cell(row, "prenomusuelunitelegale"),
                cell(row, "nomusageunitelegale") or cell(row, "nomunitelegale"),
            )
            if p
        )
        name = person
    if not name or name == "[ND]":
        errors.append(
            field_error("denominationUniteLegale", _("dénomination absente ou non diffusible"), name)
        )
    _s, siret, rna = clean_identifiers(
        "",
        siren + cell(row, "nicsiegeunitelegale") if siren and cell(row, "nicsiegeunitelegale") else "",
        cell(row, "identifiantassociationunitelegale"),
        errors=errors,
        columns=("siren", "nicSiegeUniteLegale", "identifiantAssociationUniteLegale"),
        strict=False,
    )
    category = cell(row, "categoriejuridiqueunitelegale")
    category = category if LEGAL_CATEGORY_RE.match(category) else ""
    sigle = cell(row, "sigleunitelegale")
    band = cell(row, "trancheeffectifsunitelegale")
    naf = cell(row, "activiteprincipaleunitelegale")
    values: dict[str, Any] = {"name": name, "kind": kind_for_legal_category(category)}
    set_filled(
        values,
        siren=siren,
        siret=siret,
        rna=rna,
        legal_category=category,
        acronym=sigle if len(sigle) <= MAX_LENGTHS["acronym"] else "",
        workforce_band=band if band in WORKFORCE_BANDS else "",
        naf_code=naf if len(naf) <= 6 else "",
    )
    check_lengths(values, errors, UL_FIELD_COLUMNS)
    if errors:
        raise RowRejected(*errors)
    return Candidate(values, siret=siret, siren=siren, rna=rna)


def map_sirene_etab(row: dict[str, str], ctx: Context) -> Candidate | None:
    if cell(row, "etablissementsiege").lower() not in ("true", "1", "oui", "o"):
        return None  # only headquarters give an organisation its address
    if cell(row, "etatadministratifetablissement").upper() == "F":
        raise RowRejected(_("Établissement fermé (état administratif « F ») : non importé."))
    errors: list[str] = []
    if not cell(row, "siret"):
        errors.append(field_error("siret", _("SIRET manquant")))
    siren, siret, _rna = clean_identifiers(cell(row, "siren"), cell(row, "siret"), "", errors=errors)
    street = street_line(
        cell(row, "numerovoieetablissement"),
        cell(row, "indicerepetitionetablissement"),
        cell(row, "typevoieetablissement"),
        cell(row, "libellevoieetablissement"),
    )
    values: dict[str, Any] = {}
    address = ", ".join(p for p in (cell(row, "complementadresseetablissement"), street) if p)
    set_filled(
        values,
        siret=siret,
        address=address[: MAX_LENGTHS["address"]],
        postal_code=clean_postal_code(cell(row, "codepostaletablissement"), strict=False),
    )
    commune_code = clean_commune_code(
        cell(row, "codecommuneetablissement"), errors=errors, column="codeCommuneEtablissement"
    )
    if errors:
        raise RowRejected(*errors, commune_code=commune_code)
    return Candidate(values, siret=siret, siren=siren, commune_code=commune_code, create=False)
