"""The diagnosis form's territory fields: lists of communes and EPCIs of the official geography, typed one a
line (a name, "name (department)", a postal code or an INSEE code for a commune, as terreau.territories.forms
reads them; a name or a SIREN for an EPCI), or added one at a time through a field with suggestions as one
types (the commune field's widget and lookup; EPCIs through alliances:epci_lookup). Without JavaScript, typing
in the same fields works.

Each list cleans to the official codes separated by spaces (what terreau.alliances.services
.territory_from_codes reads); every entry that does not name exactly one place is reported in French.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from terreau.core.french import fold_key
from terreau.territories.forms import resolve_commune
from terreau.territories.models import Commune, Epci

MAX_ENTRIES = 1000
_SEPARATORS = re.compile(r"[\n\r;,]+")
_COMMUNE_CODE = re.compile(r"^\d[\dAB]\d{3}$", re.IGNORECASE)
_SIREN = re.compile(r"^\d{9}$")
# "200069854 — CU du Grand Poitiers", "CU du Grand Poitiers (200069854)": the SIREN decides.
_SIREN_IN_LABEL = re.compile(r"^(?P<code>\d{9})\s*[—–-]|\((?P<paren>\d{9})\)\s*$")


def split_entries(text: str, code: re.Pattern[str]) -> list[str]:
    """Entries one a line (or separated by commas or semicolons); a line of codes only separated by spaces
    ("86194 86066", as earlier versions asked) gives one entry a code."""
    entries: list[str] = []
    for chunk in _SEPARATORS.split(text or ""):
        words = chunk.split()
        if not words:
            continue
        if len(words) > 1 and all(code.match(w) for w in words):
            entries.extend(words)
        else:
            entries.append(" ".join(words))
    return list(dict.fromkeys(entries))


def commune_entry_label(commune: Commune) -> str:
    return f"{commune.code} — {commune.name} ({commune.department_id})"


def epci_label(epci: Epci) -> str:
    return f"{epci.name} ({epci.code})"


def resolve_epci(term: str) -> Epci:
    """The one EPCI ``term`` designates: a SIREN, a label with its SIREN, or its name (accents and case
    ignored; a part of the name when only one EPCI has it)."""
    term = " ".join(term.split())
    match = _SIREN_IN_LABEL.search(term)
    code = term if _SIREN.match(term) else (match and (match.group("code") or match.group("paren")))
    if code:
        epci = Epci.objects.filter(code=code).first()
        if epci is None:
            raise ValidationError(
                _("Aucune intercommunalité n'a le numéro SIREN « %(code)s ».") % {"code": code}
            )
        return epci
    key = fold_key(term)
    if len(key) < 2:
        raise ValidationError(_("« %(term)s » : écrivez le nom ou le numéro SIREN.") % {"term": term})
    words = term.split()
    candidates = Epci.objects.all()
    for word in words[:6]:
        candidates = candidates.filter(name__icontains=word[:50])
    found = list(candidates[:50])
    if not found:  # accents typed differently: compare folded names
        found = [e for e in Epci.objects.only("code", "name") if key in fold_key(e.name)][:50]
    exact = [e for e in found if fold_key(e.name) == key]
    if len(exact) == 1 or len(found) == 1:
        return (exact or found)[0]
    if not found:
        raise ValidationError(
            _("Aucune intercommunalité ne correspond à « %(term)s ». Écrivez son nom ou son numéro SIREN.")
            % {"term": term}
        )
    shown = ", ".join(epci_label(e) for e in found[:5]) + ("…" if len(found) > 5 else "")
    raise ValidationError(
        _("Plusieurs intercommunalités correspondent à « %(term)s » : %(shown)s. Précisez le numéro SIREN.")
        % {"term": term, "shown": shown}
    )


class _PlaceList(forms.CharField):
    code_pattern: re.Pattern[str]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 40000)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
        super().__init__(**kwargs)

    def resolve(self, entries: list[str]) -> tuple[list[str], list[str]]:
        raise NotImplementedError

    def clean(self, value: Any) -> str:
        text = super().clean(value)
        entries = split_entries(text, self.code_pattern)
        if len(entries) > MAX_ENTRIES:
            raise ValidationError(_("Au plus %(max)s lieux à la fois.") % {"max": MAX_ENTRIES})
        codes, errors = self.resolve(entries)
        if errors:
            more = len(errors) - 5
            raise ValidationError(errors[:5] + ([_("… et %(n)s autres.") % {"n": more}] if more > 0 else []))
        return " ".join(dict.fromkeys(codes))


class CommuneListField(_PlaceList):
    code_pattern = _COMMUNE_CODE

    def resolve(self, entries: list[str]) -> tuple[list[str], list[str]]:
        upper = [e.upper() for e in entries]
        known = set(Commune.objects.filter(code__in=upper).values_list("code", flat=True))
        codes, errors = [], []
        for entry, code in zip(entries, upper, strict=True):
            if code in known:  # an INSEE code, as earlier versions asked
                codes.append(code)
                continue
            try:
                codes.append(resolve_commune(entry[:160]).code)
            except ValidationError as error:
                errors.extend(error.messages)
        return codes, errors


class EpciListField(_PlaceList):
    code_pattern = _SIREN

    def resolve(self, entries: list[str]) -> tuple[list[str], list[str]]:
        known = set(Epci.objects.filter(code__in=entries).values_list("code", flat=True))
        codes, errors = [], []
        for entry in entries:
            if entry in known:
                codes.append(entry)
                continue
            try:
                codes.append(resolve_epci(entry[:200]).code)
            except ValidationError as error:
                errors.extend(error.messages)
        return codes, errors


class EpciInput(forms.TextInput):
    """A text input with its own list of EPCI suggestions, filled as one types (epci-lookup.js)."""

    template_name = "alliances/widgets/_epci_input.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        defaults = {"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false", "maxlength": "200"}
        super().__init__({**defaults, **(attrs or {})})

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        list_id = f"{widget_attrs.get('id') or 'id_' + name}-suggestions"
        widget_attrs.setdefault("list", list_id)
        widget_attrs.setdefault("data-epci-lookup-url", reverse("alliances:epci_lookup"))
        context["widget"]["list_id"] = list_id
        return context


class EpciField(forms.CharField):
    """One EPCI, typed as its name or SIREN (suggestions as one types)."""

    widget = EpciInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 200)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Epci | None:
        text = super().clean(value)
        return resolve_epci(text) if text else None
