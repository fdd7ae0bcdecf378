"""The RNA "waldec" export of the associations register (the hot path of the largest imports)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from terreau.directory import validators
from terreau.directory.importers.formats.columns import (
    COMMUNE_CODE_RE,
    MAX_LENGTHS,
    POSTAL_CODE_RE,
    Candidate,
    Context,
    RowRejected,
    check_lengths,
    clean_identifiers,
    clean_website,
    field_error,
    street_line,
)
from terreau.directory.models import OrganisationKind

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
UNKNOWN_DATE = "0001-01-01"

RNA_COLUMNS = (
    "id",
    "id_ex",
    "siret",
    "rup_mi",
    "gestion",
    "date_creat",
    "date_decla",
    "date_publi",
    "date_disso",
    "nature",
    "groupement",
    "titre",
    "titre_court",
    "objet",
    "objet_social1",
    "objet_social2",
    "adrs_complement",
    "adrs_numvoie",
    "adrs_repetition",
    "adrs_typevoie",
    "adrs_libvoie",
    "adrs_distrib",
    "adrs_codeinsee",
    "adrs_codepostal",
    "adrs_libcommune",
    "adrg_declarant",
    "adrg_complemid",
    "adrg_complemgeo",
    "adrg_libvoie",
    "adrg_distrib",
    "adrg_codepostal",
    "adrg_achemine",
    "adrg_pays",
    "dir_civilite",
    "siteweb",
    "publiweb",
    "observation",
    "position",
    "maj_time",
)
IDENTIFIER_COLUMNS = ("siret", "siret", "id")  # SIREN (read from the SIRET), SIRET, RNA number
FIELD_COLUMNS = {"name": "titre", "website": "siteweb"}
RNA_REQUIRED = ("id", "titre", "objet", "position", "date_disso", "adrs_codeinsee", "adrs_codepostal")


def bind_rna(header: list[str]) -> Callable[[list[str], Context], Candidate]:
    """The RNA mapper for files with this (lower-case) header, reading fields by position.

    The hot path of the largest imports (the RNA of a region has hundreds of thousands of rows): column
    positions are resolved once per file, the cheap rejections (position, dissolution date) come first,
    and nothing is built for a row before it is known to be valid. Same rules and reasons as documented
    in docs/import-formats.md (columns absent from the header read as empty).
    """
    positions = {name: i for i, name in enumerate(header)}  # the last of duplicate columns, as dict(zip())
    absent = len(header)  # index of an empty field appended to every row

    def at(column: str) -> int:
        return positions.get(column, absent)

    (
        i_position,
        i_disso,
        i_id,
        i_siret,
        i_titre,
        i_court,
        i_num,
        i_rep,
        i_type,
        i_voie,
        i_rup,
        i_complement,
        i_distrib,
        i_postal,
        i_web,
        i_objet,
        i_insee,
    ) = map(
        at,
        (
            "position",
            "date_disso",
            "id",
            "siret",
            "titre",
            "titre_court",
            "adrs_numvoie",
            "adrs_repetition",
            "adrs_typevoie",
            "adrs_libvoie",
            "rup_mi",
            "adrs_complement",
            "adrs_distrib",
            "adrs_codepostal",
            "siteweb",
            "objet",
            "adrs_codeinsee",
        ),
    )
    rna_match = validators.RNA_RE.match
    date_match = DATE_RE.match
    postal_match = POSTAL_CODE_RE.match
    commune_match = COMMUNE_CODE_RE.match
    max_name, max_acronym, max_address = MAX_LENGTHS["name"], MAX_LENGTHS["acronym"], MAX_LENGTHS["address"]
    association = OrganisationKind.ASSOCIATION.value

    def norm(value: str) -> str:
        return " ".join(value.split()) if value else ""

    def map_rna_fields(fields: list[str], ctx: Context) -> Candidate:
        fields.append("")  # the value of absent columns
        position = norm(fields[i_position]).upper()
        if position != "A":
            if position == "D":
                raise RowRejected(_("Association dissoute (position « D » dans le RNA) : non importée."))
            if position == "S":
                raise RowRejected(_("Association supprimée du RNA (position « S ») : non importée."))
            raise RowRejected(
                field_error("position", _("position RNA inconnue (A, D ou S attendu)"), position)
            )
        dissolved = norm(fields[i_disso])
        if dissolved and dissolved != UNKNOWN_DATE and date_match(dissolved):
            raise RowRejected(_("Association dissoute le %(date)s : non importée.") % {"date": dissolved})
        errors: list[str] = []
        rna = norm(fields[i_id])
        if not rna:
            errors.append(field_error("id", _("numéro RNA manquant")))
        siret = norm(fields[i_siret])
        if siret or (rna and not rna_match(rna)):
            # A valid RNA number is already clean (upper case, no spaces, dots or dashes).
            siren, siret, rna = clean_identifiers("", siret, rna, errors=errors, columns=IDENTIFIER_COLUMNS)
        else:
            siren = ""
        name = norm(fields[i_titre])
        if not name:
            errors.append(field_error("titre", _("le titre de l'association est vide")))
        values: dict[str, Any] = {
            "name": name,
            "kind": association,
            "legal_category": "9230" if norm(fields[i_rup]) else "9220",
        }
        short = norm(fields[i_court])
        if short and short != name and len(short) <= max_acronym:
            values["acronym"] = short
        if siren:
            values["siren"] = siren
        if siret:
            values["siret"] = siret
        if rna:
            values["rna"] = rna
        street = street_line(
            norm(fields[i_num]), norm(fields[i_rep]), norm(fields[i_type]), norm(fields[i_voie])
        )
        complement, distrib = norm(fields[i_complement]), norm(fields[i_distrib])
        if complement or distrib:
            address = ", ".join(p for p in (complement, street, distrib) if p)[:max_address]
        else:
            address = street[:max_address]
        if address:
            values["address"] = address
        postal = norm(fields[i_postal])
        if postal and postal_match(postal):
            values["postal_code"] = postal
        website = norm(fields[i_web])
        if website:
            website = clean_website(website, strict=False)
            if website:
                values["website"] = website
        description = fields[i_objet].strip()
        if description:
            values["description"] = description
        if len(name) > max_name or len(website) > MAX_LENGTHS["website"]:
            check_lengths(values, errors, FIELD_COLUMNS)
        commune = norm(fields[i_insee])
        if commune:
            commune = commune.upper()
            if not commune_match(commune):
                errors.append(
                    field_error(
                        "adrs_codeinsee", _("code commune INSEE invalide (5 caractères attendus)"), commune
                    )
                )
                commune = ""
        if errors:
            raise RowRejected(*errors, commune_code=commune)
        return Candidate(values, siret=siret, siren=siren, rna=rna, commune_code=commune)

    return map_rna_fields
