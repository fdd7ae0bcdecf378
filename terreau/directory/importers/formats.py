"""The four accepted CSV formats: their columns, how they are recognised and how a row becomes values.

Every mapper turns one CSV row (a dict keyed by lower-case column names; the RNA one, the hot path,
reads a list of fields by position) into a Candidate, returns None
for rows that are deliberately ignored, or raises RowRejected with a French reason. Checks that need the
database (commune codes, matching organisations) happen later, per batch, in the service.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.translation import gettext as _

from terreau.core.french import fold_key
from terreau.directory import validators
from terreau.directory.models import ImportRun, OrganisationKind, WorkforceBand

Format = ImportRun.Format

POSTAL_CODE_RE = re.compile(r"^\d{5}$")
COMMUNE_CODE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
LEGAL_CATEGORY_RE = re.compile(r"^\d{4}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
HTTP_RE = re.compile(r"^https?://", re.IGNORECASE)
UNKNOWN_DATE = "0001-01-01"
WORKFORCE_BANDS = set(WorkforceBand.values)

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

# Accepted values of the generic template's "type" column (accent/case-insensitive).
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

_url_validator = URLValidator(schemes=["http", "https"])
_email_validator = EmailValidator()


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


@dataclass(frozen=True)
class FormatSpec:
    code: str
    delimiter: str
    columns: tuple[str, ...]  # documented columns, in file order
    required: tuple[str, ...]  # columns that must be in the header (lower-case)
    mapper: Callable[[dict[str, str], Context], Candidate | None]
    # Fields set when an organisation is created but never changed by a later import (curated by staff).
    create_only: frozenset[str] = frozenset()
    # Optional faster mapper reading fields by position: binder(header) -> mapper(fields, ctx).
    binder: Callable[[list[str]], Callable[[list[str], Context], Candidate | None]] | None = None

    @property
    def label(self) -> str:
        return str(Format(self.code).label)

    def bind(self, header: list[str]) -> Callable[[list[str], Context], Candidate | None]:
        """The mapper of rows given as lists of fields in ``header``'s order (as many as columns)."""
        if self.binder is not None:
            return self.binder(header)
        mapper = self.mapper

        def map_fields(fields: list[str], ctx: Context) -> Candidate | None:
            return mapper(dict(zip(header, fields, strict=True)), ctx)

        return map_fields

    def missing(self, header: list[str]) -> list[str]:
        """Required columns absent from the (lower-case) header, spelt as in the official files."""
        present = set(header)
        spelling = {c.lower(): c for c in self.columns}
        return [spelling.get(c, c) for c in self.required if c not in present]


# ---------------------------------------------------------------------------------------------- helpers


def _text(row: dict[str, str], column: str) -> str:
    value = row.get(column)
    # Most columns of official files are empty: skip the split/join for them (hot path of every import).
    return " ".join(value.split()) if value else ""


def _check_length(values: dict[str, Any]) -> None:
    for name, limit in MAX_LENGTHS.items():
        value = values.get(name)
        if value and len(value) > limit:
            raise RowRejected(
                _("Champ « %(field)s » trop long : %(length)s caractères pour %(max)s au plus.")
                % {"field": FIELD_LABELS[name], "length": len(value), "max": limit}
            )


def _clean(value: str) -> str:
    return validators.clean_identifier(value) if value else ""


def _identifiers(siren: str, siret: str, rna: str, *, strict: bool = True) -> tuple[str, str, str]:
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


def _website(value: str, *, strict: bool) -> str:
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


def _postal_code(value: str, *, strict: bool) -> str:
    if value and not POSTAL_CODE_RE.match(value):
        if strict:
            raise RowRejected(_("Code postal invalide : %(value)s (5 chiffres).") % {"value": value})
        return ""
    return value


def _commune_code(value: str) -> str:
    value = value.upper()
    if value and not COMMUNE_CODE_RE.match(value):
        raise RowRejected(_("Code commune INSEE invalide : %(value)s (5 caractères).") % {"value": value})
    return value


def _street(number: str, repetition: str, street_type: str, street: str) -> str:
    repetition = REPETITIONS.get(repetition.upper(), repetition.lower())
    street_type = STREET_TYPES.get(street_type.upper(), street_type.lower())
    return " ".join(p for p in (number, repetition, street_type, street) if p)


def _address(*parts: str) -> str:
    return ", ".join(p for p in parts if p)[: MAX_LENGTHS["address"]]


def _set(values: dict[str, Any], **kwargs: Any) -> None:
    values.update({k: v for k, v in kwargs.items() if v not in ("", None)})


# ---------------------------------------------------------------------------------------------- generic

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


def map_generic(row: dict[str, str], ctx: Context) -> Candidate:
    name = _text(row, "nom")
    if not name:
        raise RowRejected(_("Le nom est obligatoire."))
    raw_kind = _text(row, "type")
    kind = KIND_ALIASES.get(fold_key(raw_kind))
    kind = kind.value if kind is not None else None
    if kind is None:
        raise RowRejected(
            _("Type de structure inconnu : « %(value)s ». Valeurs acceptées : %(accepted)s.")
            % {
                "value": raw_kind,
                "accepted": "association, entreprise, fondation, collectivité, structure d'accueil, autre",
            }
        )
    siren, siret, rna = _identifiers(_text(row, "siren"), _text(row, "siret"), _text(row, "rna"))
    email = _text(row, "courriel")
    if email:
        try:
            _email_validator(email)
        except ValidationError:
            raise RowRejected(_("Adresse de courriel invalide : %(value)s") % {"value": email}) from None
    themes = None
    raw_themes = [t.strip().lower() for t in re.split(r"[|,]", row.get("themes") or "") if t.strip()]
    if raw_themes:
        unknown = [t for t in raw_themes if t not in ctx.theme_codes]
        if unknown:
            raise RowRejected(
                _("Thème inconnu : %(values)s. Codes acceptés : %(accepted)s.")
                % {"values": ", ".join(unknown), "accepted": ", ".join(sorted(ctx.theme_codes))}
            )
        themes = sorted(set(raw_themes))
    values: dict[str, Any] = {"name": name, "kind": kind}
    _set(
        values,
        acronym=_text(row, "sigle"),
        siren=siren,
        siret=siret,
        rna=rna,
        address=_text(row, "adresse"),
        postal_code=_postal_code(_text(row, "code_postal"), strict=True),
        website=_website(_text(row, "site_web"), strict=True),
        email=email,
        phone=_text(row, "telephone"),
        description=(row.get("description") or "").strip(),
    )
    _check_length(values)
    return Candidate(
        values,
        siret=siret,
        siren=siren,
        rna=rna,
        commune_code=_commune_code(_text(row, "code_commune")),
        themes=themes,
    )


# ---------------------------------------------------------------------------------------------- RNA

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
                _("Position RNA inconnue : « %(value)s » (A, D ou S attendu).") % {"value": position}
            )
        dissolved = norm(fields[i_disso])
        if dissolved and dissolved != UNKNOWN_DATE and date_match(dissolved):
            raise RowRejected(_("Association dissoute le %(date)s : non importée.") % {"date": dissolved})
        rna = norm(fields[i_id])
        if not rna:
            raise RowRejected(_("Numéro RNA (colonne « id ») manquant."))
        siret = norm(fields[i_siret])
        if siret or not rna_match(rna):
            # A valid RNA number is already clean (upper case, no spaces, dots or dashes).
            siren, siret, rna = _identifiers("", siret, rna)
        else:
            siren = ""
        name = norm(fields[i_titre])
        if not name:
            raise RowRejected(_("Le titre de l'association est vide."))
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
        street = _street(norm(fields[i_num]), norm(fields[i_rep]), norm(fields[i_type]), norm(fields[i_voie]))
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
            website = _website(website, strict=False)
            if website:
                values["website"] = website
        description = fields[i_objet].strip()
        if description:
            values["description"] = description
        if len(name) > max_name or len(website) > MAX_LENGTHS["website"]:
            _check_length(values)  # raises with the reason of the first field too long
        commune = norm(fields[i_insee]).upper()
        if commune and not commune_match(commune):
            raise RowRejected(
                _("Code commune INSEE invalide : %(value)s (5 caractères).") % {"value": commune}
            )
        return Candidate(values, siret=siret, siren=siren, rna=rna, commune_code=commune)

    return map_rna_fields


def map_rna(row: dict[str, str], ctx: Context) -> Candidate:
    """The RNA mapper on a row keyed by column name (see ``bind_rna``, used by imports)."""
    return bind_rna(list(row))(list(row.values()), ctx)


# ---------------------------------------------------------------------------------------------- SIRENE

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
    if not _text(row, "siren"):
        raise RowRejected(_("SIREN manquant."))
    if _text(row, "etatadministratifunitelegale").upper() == "C":
        raise RowRejected(_("Unité légale cessée (état administratif « C ») : non importée."))
    siren, _siret, rna = _identifiers(_text(row, "siren"), "", "")
    name = _text(row, "denominationunitelegale") or _text(row, "denominationusuelle1unitelegale")
    if not name:
        person = " ".join(
            p
            for p in (
                _text(row, "prenomusuelunitelegale"),
                _text(row, "nomusageunitelegale") or _text(row, "nomunitelegale"),
            )
            if p
        )
        name = person
    if not name or name == "[ND]":
        raise RowRejected(_("Dénomination absente ou non diffusible : non importée."))
    _s, siret, rna = _identifiers(
        "",
        siren + _text(row, "nicsiegeunitelegale") if _text(row, "nicsiegeunitelegale") else "",
        _text(row, "identifiantassociationunitelegale"),
        strict=False,
    )
    category = _text(row, "categoriejuridiqueunitelegale")
    category = category if LEGAL_CATEGORY_RE.match(category) else ""
    sigle = _text(row, "sigleunitelegale")
    band = _text(row, "trancheeffectifsunitelegale")
    naf = _text(row, "activiteprincipaleunitelegale")
    values: dict[str, Any] = {"name": name, "kind": kind_for_legal_category(category)}
    _set(
        values,
        siren=siren,
        siret=siret,
        rna=rna,
        legal_category=category,
        acronym=sigle if len(sigle) <= MAX_LENGTHS["acronym"] else "",
        workforce_band=band if band in WORKFORCE_BANDS else "",
        naf_code=naf if len(naf) <= 6 else "",
    )
    _check_length(values)
    return Candidate(values, siret=siret, siren=siren, rna=rna)


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


def map_sirene_etab(row: dict[str, str], ctx: Context) -> Candidate | None:
    if _text(row, "etablissementsiege").lower() not in ("true", "1", "oui", "o"):
        return None  # only headquarters give an organisation its address
    if not _text(row, "siret"):
        raise RowRejected(_("SIRET manquant."))
    if _text(row, "etatadministratifetablissement").upper() == "F":
        raise RowRejected(_("Établissement fermé (état administratif « F ») : non importé."))
    siren, siret, _rna = _identifiers(_text(row, "siren"), _text(row, "siret"), "")
    street = _street(
        _text(row, "numerovoieetablissement"),
        _text(row, "indicerepetitionetablissement"),
        _text(row, "typevoieetablissement"),
        _text(row, "libellevoieetablissement"),
    )
    values: dict[str, Any] = {}
    _set(
        values,
        siret=siret,
        address=_address(_text(row, "complementadresseetablissement"), street),
        postal_code=_postal_code(_text(row, "codepostaletablissement"), strict=False),
    )
    return Candidate(
        values,
        siret=siret,
        siren=siren,
        commune_code=_commune_code(_text(row, "codecommuneetablissement")),
        create=False,
    )


FORMATS: dict[str, FormatSpec] = {
    Format.GENERIC: FormatSpec(Format.GENERIC, ";", GENERIC_COLUMNS, ("nom", "type"), map_generic),
    Format.RNA: FormatSpec(
        Format.RNA, ";", RNA_COLUMNS, RNA_REQUIRED, map_rna, frozenset({"kind"}), bind_rna
    ),
    Format.SIRENE_UNITS: FormatSpec(
        Format.SIRENE_UNITS, ",", SIRENE_UL_COLUMNS, SIRENE_UL_REQUIRED, map_sirene_ul, frozenset({"kind"})
    ),
    Format.SIRENE_ESTABLISHMENTS: FormatSpec(
        Format.SIRENE_ESTABLISHMENTS, ",", SIRENE_ETAB_COLUMNS, SIRENE_ETAB_REQUIRED, map_sirene_etab
    ),
}


def expected_columns(spec: FormatSpec) -> str:
    return spec.delimiter.join(spec.columns)


def detect_format(header: list[str]) -> FormatSpec | None:
    """The format whose required columns are all in the header (most specific first)."""
    for code in (Format.SIRENE_ESTABLISHMENTS, Format.SIRENE_UNITS, Format.RNA, Format.GENERIC):
        if not FORMATS[code].missing(header):
            return FORMATS[code]
    return None
