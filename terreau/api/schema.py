"""The OpenAPI document tells every answer the API may give, errors included.

drf-spectacular documents the success of each operation; TerreauAutoSchema adds the errors that every API
view may answer through terreau.api.exceptions (all JSON, with French messages): 400 bad input (body or
query string), 401 unknown or revoked token, 403 refused (writes), 404 unknown or invisible object or
page, 413 body too large (writes), 429 too many requests.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from rest_framework import serializers

from terreau.core.dates import window

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="Message en français.")


# (status code, description, schema); write-only errors are marked True.
_ERRORS: list[tuple[str, str, bool]] = [
    (
        "400",
        "Requête invalide : un objet dont les clés sont les champs ou paramètres fautifs (ou « detail ») "
        "et les valeurs des messages en français.",
        False,
    ),
    ("401", "Jeton d'API inconnu, révoqué, ou utilisateur inactif.", False),
    ("403", "Action refusée à cet utilisateur (l'objet est visible mais ne peut pas être modifié).", True),
    ("404", "Objet ou page introuvable, ou objet invisible pour cet utilisateur.", False),
    ("413", "Corps de requête trop volumineux.", True),
    ("429", "Trop de requêtes : réessayez dans un moment.", False),
]


class TerreauAutoSchema(AutoSchema):
    def map_parsers(self) -> list[str]:
        # The contract is JSON (form encodings, kept for the browsable API, carry neither null nor types).
        return ["application/json"]

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code, description, write_only in _ERRORS:
            if code in responses or (write_only and self.method not in WRITE_METHODS):
                continue
            body = OpenApiTypes.OBJECT if code == "400" else ErrorSerializer
            response = self._get_response_for_code(body, code, direction=direction)
            response["description"] = description
            responses[code] = response
        return responses


class PlausibleDateFieldExtension(OpenApiSerializerFieldExtension):
    """A date of terreau.core.dates' window: its years as a pattern, computed when the document is."""

    target_class = "terreau.api.fields.PlausibleDateField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Any) -> dict[str, Any]:
        low, high = window()
        years = "|".join(str(year) for year in range(low.year, high.year + 1))
        return {
            "type": "string",
            "format": "date",
            "pattern": rf"^({years})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
            "description": f"Date AAAA-MM-JJ entre le {low:%d/%m/%Y} et le {high:%d/%m/%Y}.",
        }
