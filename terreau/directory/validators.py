"""Identifier validation with French messages (python-stdnum implements the SIREN/SIRET rules,
including La Poste's SIRET exception, see ../shared/domain/facts.md)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

RNA_RE = re.compile(r"^W\d[\dA-Z]\d{7}$")


def clean_identifier(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value or "").upper()


def validate_siren(value: str) -> None:
    if value and not stdnum_siren.is_valid(clean_identifier(value)):
        raise ValidationError(
            _("Numéro SIREN invalide : 9 chiffres avec une clé de contrôle correcte."), code="siren"
        )


def validate_siret(value: str) -> None:
    if value and not stdnum_siret.is_valid(clean_identifier(value)):
        raise ValidationError(
            _("Numéro SIRET invalide : 14 chiffres avec une clé de contrôle correcte."), code="siret"
        )


def validate_rna(value: str) -> None:
    if value and not RNA_RE.match(clean_identifier(value)):
        raise ValidationError(
            _("Numéro RNA invalide : « W » suivi de 9 caractères (ex. W9T1002867)."), code="rna"
        )
