"""Query-string filters of the API lists (django-filter: bad values answer 400 with French messages).

Organisations are filtered by terreau.directory.queries (the same filters as the search page); the
parameters are documented in views.ORGANISATION_PARAMETERS. On needs and offers a well-formed code
that names nothing matches nothing; the territory lists answer 400 for an unknown region or department.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from terreau import vocabulary
from terreau.directory.models import Direction, NeedOffer, NeedOfferStatus, OrganisationKind, Scope
from terreau.territories.models import Commune, Department, Region

MAX_PK = 2**63 - 1  # larger numbers overflow SQLite's integers: they match nothing

# INSEE codes: regions 2-3 digits, departments 2-3 characters (2A, 2B, 971...).
REGION_CODE = r"^[0-9]{2,3}$"
DEPARTMENT_CODE = r"^[0-9][0-9AB][0-9]?$"
SLUG = r"^[-a-zA-Z0-9_]+$"


def code_filter(field_name: str, pattern: str, label: str, message: str) -> django_filters.CharFilter:
    """A code in the query string: checked against its INSEE or slug pattern (400 with ``message``
    otherwise); a well-formed code without rows matches nothing."""
    # An empty value means "no filter" (as a form's blank field sends it): the documented pattern says so.
    optional = f"^(?:{pattern.removeprefix('^').removesuffix('$')})?$"
    return django_filters.CharFilter(
        field_name=field_name,
        label=label,
        max_length=50,
        validators=[RegexValidator(optional, message)],
    )


class NeedOfferFilter(django_filters.FilterSet):
    organisation = django_filters.CharFilter(
        method="filter_organisation", label=_("Organisation (identifiant numérique ou slug)"), max_length=255
    )
    type = django_filters.MultipleChoiceFilter(choices=list(vocabulary.TYPES.items()), label=_("Type"))
    theme = django_filters.MultipleChoiceFilter(
        field_name="theme__code", choices=list(vocabulary.THEMES.items()), label=_("Thème (code)")
    )
    status = django_filters.MultipleChoiceFilter(choices=NeedOfferStatus.choices, label=_("Statut"))
    scope = django_filters.MultipleChoiceFilter(choices=Scope.choices, label=_("Portée territoriale"))
    department = code_filter(
        "organisation__commune__department_id",
        DEPARTMENT_CODE,
        _("Département (code INSEE)"),
        _("Code de département invalide (ex. 86, 2A, 974)."),
    )
    branch = code_filter(
        "organisation__branch__slug", SLUG, _("Antenne (identifiant)"), _("Identifiant d'antenne invalide.")
    )
    q = django_filters.CharFilter(
        method="filter_text", label=_("Texte (titre ou description)"), max_length=200
    )

    class Meta:
        model = NeedOffer
        fields = ["organisation", "type", "theme", "status", "scope", "department", "branch", "q"]

    def filter_organisation(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if value.isdigit():
            pk = int(value)
            return queryset.filter(organisation_id=pk) if pk <= MAX_PK else queryset.none()
        return queryset.filter(organisation__slug=value)

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))


class DepartmentFilter(django_filters.FilterSet):
    region = django_filters.ModelChoiceFilter(queryset=Region.objects.all(), label=_("Région (code INSEE)"))

    class Meta:
        model = Department
        fields = ["region"]


class CommuneFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_lookup", label=_("Nom, code postal ou code INSEE (accents ignorés)"), max_length=100
    )
    department = django_filters.ModelChoiceFilter(
        queryset=Department.objects.all(), label=_("Département (code INSEE)")
    )

    class Meta:
        model = Commune
        fields = ["q", "department"]

    def filter_lookup(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.lookup(value) if value.strip() else queryset


class CodeListField(forms.Field):
    """Several values of one query parameter (?department=86&department=17), each matching a pattern."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *, pattern: str, message: str, max_values: int = 20, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)
        self.check = RegexValidator(pattern, message)
        self.max_values = max_values

    def to_python(self, value: Any) -> list[str]:
        values = [v for v in (value or []) if v != ""]
        if len(values) > self.max_values:
            raise ValidationError(_("Trop de valeurs (%(max)s au plus).") % {"max": self.max_values})
        return values

    def validate(self, value: list[str]) -> None:
        for item in value:
            self.check(item)


class OrganisationQueryForm(forms.Form):
    """The query string of the organisation list, checked before terreau.directory.queries reads it
    (which would silently ignore bad values): a malformed value answers 400 with a French message."""

    q = forms.CharField(required=False, max_length=200)
    kind = forms.MultipleChoiceField(required=False, choices=OrganisationKind.choices)
    theme = forms.MultipleChoiceField(required=False, choices=list(vocabulary.THEMES.items()))
    type = forms.MultipleChoiceField(required=False, choices=list(vocabulary.TYPES.items()))
    direction = forms.ChoiceField(required=False, choices=[("", "—"), *Direction.choices])
    department = CodeListField(
        pattern=DEPARTMENT_CODE, message=_("Code de département invalide (ex. 86, 2A, 974).")
    )
    branch = CodeListField(pattern=SLUG, message=_("Identifiant d'antenne invalide."))

    @classmethod
    def check(cls, query: Any) -> None:
        form = cls(query)
        if not form.is_valid():
            raise serializers.ValidationError(form.errors)
