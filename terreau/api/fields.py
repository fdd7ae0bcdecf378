"""API field types: plain text, identifiers, codes, amounts and plausible dates, with the French messages and
the patterns the OpenAPI document shows."""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from terreau import vocabulary
from terreau.core.access import ANONYMOUS, Actor, actor_for
from terreau.core.dates import validate_plausible_date
from terreau.directory.models import Theme
from terreau.directory.validators import clean_identifier

DESCRIPTION_MAX_LENGTH = 10_000
NOTES_MAX_LENGTH = 10_000


def request_actor(context: dict[str, Any]) -> Actor:
    request = context.get("request")
    return actor_for(request.user) if request is not None else ANONYMOUS


class DocumentedPattern(RegexValidator):
    """Validates with ``check``; ``pattern`` only tells the shape of the value in the OpenAPI document
    (check digits and the like go beyond what a pattern says)."""

    def __init__(self, pattern: str, check: Any) -> None:
        super().__init__(pattern)
        self.check = check

    def __call__(self, value: Any) -> None:
        self.check(value)


# Text a person types: no control characters (tabs and line breaks excepted). The pattern goes into the
# OpenAPI document too, so what the server trims (DRF strips surrounding whitespace) is already refused.
NO_CONTROL_CHARACTERS = RegexValidator(
    r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+$",  # "+": blank is allowed or refused by allow_blank
    _lazy("Le texte contient des caractères de contrôle : retirez-les."),
    code="control_characters",
)


class PlainTextField(serializers.CharField):
    """A CharField that refuses control characters, and numbers or booleans where text is expected."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.append(NO_CONTROL_CHARACTERS)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class PlainTextModelSerializer(serializers.ModelSerializer):
    """Model text fields become PlainTextFields."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: PlainTextField,
        models.TextField: PlainTextField,
    }


class IdentifierField(serializers.CharField):
    """SIREN, SIRET or RNA: spaces, dots and dashes removed and letters upper-cased before validation."""

    def to_internal_value(self, data: Any) -> str:
        return clean_identifier(super().to_internal_value(data))


@extend_schema_field({"type": "string", "enum": list(vocabulary.THEMES)})
class ThemeCodeField(serializers.SlugRelatedField):
    """A theme by its code: the codes are the fixed vocabulary, so the document lists them."""


def code_field(model: type, *, many: bool = False, required: bool = False, **kwargs: Any):
    """A reference by code (INSEE code, theme code) with a French message for unknown codes."""
    slug_field = "code"
    field_class = ThemeCodeField if model is Theme else serializers.SlugRelatedField
    return field_class(
        slug_field=slug_field,
        queryset=model.objects.all(),
        many=many,
        required=required,
        error_messages={
            "does_not_exist": _lazy("Code inconnu : « {value} »."),
            "invalid": _lazy("Code invalide."),
        },
        **kwargs,
    )


# --- territories -------------------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "pattern": r"^[0-9]{1,10}(\.[0-9]{1,2})?$",
        "nullable": True,
        "description": "Valeur estimée en euros, positive (ex. 350.50).",
    }
)
class AmountField(serializers.DecimalField):
    """A positive amount of euros with cents (the document says so with a pattern: a string decimal
    has no minimum in OpenAPI)."""


class PlausibleDateField(serializers.DateField):
    """A date in terreau.core.dates' window; the document gives the window's years as a pattern
    (terreau.api.schema.PlausibleDateFieldExtension)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.append(validate_plausible_date)
