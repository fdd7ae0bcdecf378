"""The one commune field of every form: typed as a name, "name (department)", a postal code or an INSEE code.

``CommuneField`` resolves what a person types to one commune, or explains in French what to add when several
communes match; ``CommuneInput`` draws a text input with suggestions as one types (a ``<datalist>`` filled by
terreau/static/terreau/commune-lookup.js from ``territories:commune_lookup``; without JavaScript the typed
value is still accepted).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.forms.boundfield import BoundField
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from terreau.core.french import fold_key
from terreau.territories.models import Commune

# "86194 — Poitiers (86)": the label of earlier versions (still accepted: the INSEE code decides).
_CODE_LABEL_RE = re.compile(r"^(?P<code>\d[\dAB]\d{3})\s*[—–-]\s*\S", re.IGNORECASE)
_CODE_RE = re.compile(r"^\d[\dAB]\d{3}$", re.IGNORECASE)
# "Poitiers (86)", "Poitiers (86000)", "Poitiers 86000", "86000 Poitiers".
_PARENTHESIS_RE = re.compile(r"^(?P<name>.*?)\s*\(\s*(?P<code>[\dAB]{2,5})\s*\)\s*$", re.IGNORECASE)
_TRAILING_CODE_RE = re.compile(r"^(?P<name>.*\D)\s+(?P<code>\d[\dAB]\d{3})$", re.IGNORECASE)
_LEADING_CODE_RE = re.compile(r"^(?P<code>\d[\dAB]\d{3})\s+(?P<name>\D.*)$", re.IGNORECASE)
_MAX_CANDIDATES = 5


def commune_label(commune: Commune) -> str:
    """What the field shows for a commune and what a suggestion fills in: "Poitiers (86)".

    The rare names shared by two communes of one department get their INSEE code ("86194 — Poitiers (86)")."""
    twins = Commune.objects.filter(department_id=commune.department_id, name_folded=fold_key(commune.name))
    if twins.exclude(pk=commune.pk).exists():
        return f"{commune.code} — {commune.name} ({commune.department_id})"
    return f"{commune.name} ({commune.department_id})"


def _split(term: str) -> tuple[str, str | None, str | None]:
    """(name, department code, postal or INSEE code) typed in ``term``."""
    for pattern in (_PARENTHESIS_RE, _TRAILING_CODE_RE, _LEADING_CODE_RE):
        match = pattern.match(term)
        if match and match.group("name").strip():
            code = match.group("code").upper()
            if len(code) == 5:
                return match.group("name").strip(), None, code
            return match.group("name").strip(), code, None
    return term, None, None


def resolve_commune(term: str, *, queryset: QuerySet[Commune] | None = None) -> Commune:
    """The one commune ``term`` designates within ``queryset``; ValidationError (French) when none or several."""
    if queryset is None:
        return _resolve(term, Commune.objects.all())
    try:
        return _resolve(term, queryset)
    except ValidationError as error:
        if error.code != "not_found":
            raise
        try:
            _resolve(term, Commune.objects.all())
        except ValidationError:
            raise error from None
        raise ValidationError(
            _(
                "« %(term)s » est hors du territoire couvert ici : choisissez une commune de ses départements."
            ),
            code="outside",
            params={"term": " ".join(term.split())},
        ) from None


def _resolve(term: str, queryset: QuerySet[Commune]) -> Commune:
    term = " ".join(term.split())
    label = _CODE_LABEL_RE.match(term)
    if label:
        commune = queryset.filter(code=label.group("code").upper()).first()
        if commune is not None:
            return commune
        raise _not_found(term)
    if _CODE_RE.match(term):  # an INSEE code or a postal code (they may collide: 86100)
        candidates = list(queryset.lookup(term).order_by("name", "code")[: _MAX_CANDIDATES + 1])
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            raise _not_found(term)
        raise _ambiguous(term, candidates, by_code=True)
    name, department, code = _split(term)
    if not fold_key(name):  # punctuation only: nothing to look up
        raise _not_found(term)
    qs = queryset.lookup(name)
    if department:
        qs = qs.filter(department_id=department)
    if code:
        qs = qs.filter(Q(postal_codes__code=code) | Q(code=code))
    candidates = list(qs.distinct()[:50])
    exact = [c for c in candidates if c.name_folded == fold_key(name)]
    if exact:
        candidates = exact
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise _not_found(term)
    raise _ambiguous(term, candidates, by_code=False)


def _not_found(term: str) -> ValidationError:
    return ValidationError(
        _(
            "Aucune commune ne correspond à « %(term)s ». Saisissez son nom, son code postal ou son code INSEE."
        ),
        code="not_found",
        params={"term": term},
    )


def _ambiguous(term: str, candidates: list[Commune], *, by_code: bool) -> ValidationError:
    shown = ", ".join(commune_label(c) for c in candidates[:_MAX_CANDIDATES])
    if len(candidates) > _MAX_CANDIDATES:
        shown += "…"
    if by_code:
        message = _(
            "Plusieurs communes correspondent à « %(term)s » : %(candidates)s. "
            "Choisissez-en une dans la liste ou précisez son nom, par exemple « %(example)s »."
        )
    else:
        message = _(
            "Plusieurs communes portent ce nom : %(candidates)s. "
            "Précisez le département ou le code postal, par exemple « %(example)s »."
        )
    return ValidationError(
        message,
        code="ambiguous",
        params={"term": term, "candidates": shown, "example": commune_label(candidates[0])},
    )


class CommuneInput(forms.TextInput):
    """A text input tied to its own list of suggestions, filled as one types (commune-lookup.js)."""

    template_name = "territories/widgets/commune_input.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        defaults = {"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"}
        super().__init__({**defaults, **(attrs or {})})

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        list_id = f"{widget_attrs.get('id') or 'id_' + name}-suggestions"
        widget_attrs.setdefault("list", list_id)
        widget_attrs.setdefault("data-lookup-url", reverse("territories:commune_lookup"))
        context["widget"]["list_id"] = widget_attrs["list"]
        return context


class _CommuneBoundField(BoundField):
    @cached_property
    def initial(self) -> Any:
        # A ModelForm's initial value is the commune's primary key: show its label instead.
        value = super().initial
        if value in (None, "") or isinstance(value, Commune):
            return value
        commune = Commune.objects.filter(pk=str(value)).first()
        return commune if commune is not None else value


class CommuneField(forms.Field):
    """A commune typed as a name, "name (department)", "name postal code", a postal code or an INSEE code.

    ``queryset`` narrows the communes accepted (a program's departments, for example); it may be set after
    construction, like a ModelChoiceField's."""

    widget = CommuneInput
    default_error_messages = {"required": _("Indiquez la commune.")}

    def __init__(self, *, queryset: QuerySet[Commune] | None = None, max_length: int = 160, **kwargs: Any):
        kwargs.setdefault(
            "help_text", _("Nom, code postal ou code INSEE de la commune (ex. Poitiers, 86000 ou 86194).")
        )
        self.queryset = queryset
        self.max_length = max_length
        super().__init__(**kwargs)

    def get_bound_field(self, form: forms.BaseForm, field_name: str) -> BoundField:
        return _CommuneBoundField(form, self, field_name)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        return {**super().widget_attrs(widget), "maxlength": str(self.max_length)}

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Commune):
            return commune_label(value)
        return value

    def to_python(self, value: Any) -> Commune | None:
        if isinstance(value, Commune):
            return value
        term = " ".join(str(value or "").split())[: self.max_length]
        if not term:
            return None
        return resolve_commune(term, queryset=self.queryset)

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            commune = self.to_python(data)
        except ValidationError:
            return True
        initial_code = initial.pk if isinstance(initial, Commune) else (initial or None)
        return (commune.pk if commune else None) != (str(initial_code) if initial_code else None)
