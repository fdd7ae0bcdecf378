"""The four accepted CSV formats, by code, and their recognition from a file's header.

One module per format (generic: the Terreau template; rna: the RNA waldec export; sirene: the SIRENE
legal units and establishments); what they share (the FormatSpec, the Candidate a row becomes, the cleaning
of common values) is in columns. Formats are documented in docs/import-formats.md.
"""

from __future__ import annotations

from terreau.directory.importers.formats.columns import Format, FormatSpec, by_name
from terreau.directory.importers.formats.generic import GENERIC_COLUMNS, GENERIC_REQUIRED, map_generic
from terreau.directory.importers.formats.rna import RNA_COLUMNS, RNA_REQUIRED, bind_rna
from terreau.directory.importers.formats.sirene import (
    SIRENE_ETAB_COLUMNS,
    SIRENE_ETAB_REQUIRED,
    SIRENE_UL_COLUMNS,
    SIRENE_UL_REQUIRED,
    map_sirene_etab,
    map_sirene_ul,
)

FORMATS: dict[str, FormatSpec] = {
    Format.GENERIC: FormatSpec(
        Format.GENERIC,
        ";",
        GENERIC_COLUMNS,
        GENERIC_REQUIRED,
        by_name(map_generic),
        commune_column="code_commune",
    ),
    Format.RNA: FormatSpec(
        Format.RNA, ";", RNA_COLUMNS, RNA_REQUIRED, bind_rna, frozenset({"kind"}), "adrs_codeinsee"
    ),
    Format.SIRENE_UNITS: FormatSpec(
        Format.SIRENE_UNITS,
        ",",
        SIRENE_UL_COLUMNS,
        SIRENE_UL_REQUIRED,
        by_name(map_sirene_ul),
        frozenset({"kind"}),
    ),
    Format.SIRENE_ESTABLISHMENTS: FormatSpec(
        Format.SIRENE_ESTABLISHMENTS,
        ",",
        SIRENE_ETAB_COLUMNS,
        SIRENE_ETAB_REQUIRED,
        by_name(map_sirene_etab),
        commune_column="codeCommuneEtablissement",
    ),
}


def detect_format(header: list[str]) -> FormatSpec | None:
    """The format whose required columns are all in the header (most specific first)."""
    for code in (Format.SIRENE_ESTABLISHMENTS, Format.SIRENE_UNITS, Format.RNA, Format.GENERIC):
        if not FORMATS[code].missing(header):
            return FORMATS[code]
    return None
