"""The Terreau template: one organisation per row, in the columns of the template to download."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _

from terreau.core.french import fold_key
from terreau.directory.importers.formats.columns import (
    Candidate,
    Context,
    RowRejected,
    cell,
    check_lengths,
    clean_commune_code,
    clean_identifiers,
    clean_postal_code,
    clean_website,
    field_error,
    set_filled,
)
from terreau.directory.models import OrganisationKind

GENERIC_COLUMNS = (
    "nom",
    "sigle",
    "type",
    "siren",
    "siret",
    "rna",
    "adresse",
    "code_postal",
    "code_commune",
    "site_web",
    "courriel",
    "telephone",
    "description",
    "themes",
)
GENERIC_REQUIRED = ("nom", "type")
GENERIC_EXAMPLE = (
    "Centre socioculturel des Trois Cités",
    "CSC 3 Cités",
    "association",
    "",
    "",
    "W862000123",
    "12 place des Trois Cités",
    "86000",
    "86194",
    "https://www.exemple.org",
    "contact@exemple.org",
    "05 49 00 00 00",
    "Ateliers numériques et activités pour les seniors du quartier.",
    "bien-vieillir|inclusion-numerique",
)

# Accepted values of the "type" column (accent/case-insensitive).
KIND_ALIASES = {
    "association": OrganisationKind.ASSOCIATION,
    "entreprise": OrganisationKind.COMPANY,
    "company": OrganisationKind.COMPANY,
    "societe": OrganisationKind.COMPANY,
    "fondation": OrganisationKind.FOUNDATION,
    "foundation": OrganisationKind.FOUNDATION,
    "collectivite": OrganisationKind.PUBLIC_BODY,
    "organisme public": OrganisationKind.PUBLIC_BODY,
    "collectivite ou organisme public": OrganisationKind.PUBLIC_BODY,
    "public body": OrganisationKind.PUBLIC_BODY,
    "structure d accueil": OrganisationKind.HOST_STRUCTURE,
    "host structure": OrganisationKind.HOST_STRUCTURE,
    "autre": OrganisationKind.OTHER,
    "other": OrganisationKind.OTHER,
}

_email_validator = EmailValidator()


# Model field -> column of the template, for the messages about values too long.
FIELD_COLUMNS = {
    "name": "nom",
    "acronym": "sigle",
    "address": "adresse",
    "website": "site_web",
    "email": "courriel",
    "phone": "telephone",
}


def map_generic(row: dict[str, str], ctx: Context) -> Candidate:
    """The row's organisation; every problem of the row is reported at once (RowRejected)."""
    errors: list[str] = []
    name = cell(row, "nom")
    if not name:
        errors.append(field_error("nom", _("le nom est obligatoire")))
    raw_kind = cell(row, "type")
    kind = KIND_ALIASES.get(fold_key(raw_kind))
    if kind is None:
        errors.append(
            field_error(
                "type",
                _("type de structure inconnu ; valeurs acceptées : %(accepted)s")
                % {
                    "accepted": "association, entreprise, fondation, collectivité, structure d'accueil, autre"
                },
                raw_kind,
            )
        )
    siren, siret, rna = clean_identifiers(
        cell(row, "siren"), cell(row, "siret"), cell(row, "rna"), errors=errors
    )
    email = cell(row, "courriel")
    if email:
        try:
            _email_validator(email)
        except ValidationError:
            errors.append(field_error("courriel", _("adresse de courriel invalide"), email))
            email = ""
    themes = None
    raw_themes = [t.strip().lower() for t in re.split(r"[|,]", row.get("themes") or "") if t.strip()]
    if raw_themes:
        unknown = [t for t in raw_themes if t not in ctx.theme_codes]
        if unknown:
            errors.append(
                field_error(
                    "themes",
                    _("thème inconnu : %(values)s ; codes acceptés : %(accepted)s")
                    % {"values": ", ".join(unknown), "accepted": ", ".join(sorted(ctx.theme_codes))},
                    cell(row, "themes"),
                )
            )
        themes = sorted(set(raw_themes))
    values: dict[str, Any] = {"name": name, "kind": kind.value if kind is not None else None}
    set_filled(
        values,
        acronym=cell(row, "sigle"),
        siren=siren,
        siret=siret,
        rna=rna,
        address=cell(row, "adresse"),
        postal_code=clean_postal_code(
            cell(row, "code_postal"), strict=True, errors=errors, column="code_postal"
        ),
        website=clean_website(cell(row, "site_web"), strict=True, errors=errors, column="site_web"),
        email=email,
        phone=cell(row, "telephone"),
        description=(row.get("description") or "").strip(),
    )
    check_lengths(values, errors, FIELD_COLUMNS)
    commune_code = clean_commune_code(cell(row, "code_commune"), errors=errors, column="code_commune")
    if errors:
        raise RowRejected(*errors, commune_code=commune_code)
    return Candidate(values, siret=siret, siren=siren, rna=rna, commune_code=commune_code, themes=themes)
