"""Query-string filters of the API lists (django-filter: bad values answer 400 with French messages).

Organisations are filtered by terreau.directory.queries (the same filters as the search page); the
parameters are documented in views.ORGANISATION_PARAMETERS.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from terreau import vocabulary
from terreau.directory.models import NeedOffer, NeedOfferStatus, Scope, Theme
from terreau.territories.models import Commune, Department, Region

MAX_PK = 2**63 - 1  # larger numbers overflow SQLite's integers: they match nothing


class NeedOfferFilter(django_filters.FilterSet):
    organisation = django_filters.CharFilter(
        method="filter_organisation", label=_("Organisation (identifiant numérique ou slug)"), max_length=255
    )
    type = django_filters.MultipleChoiceFilter(choices=list(vocabulary.TYPES.items()), label=_("Type"))
    theme = django_filters.ModelMultipleChoiceFilter(
        queryset=Theme.objects.all(), to_field_name="code", label=_("Thème (code)")
    )
    status = django_filters.MultipleChoiceFilter(choices=NeedOfferStatus.choices, label=_("Statut"))
    scope = django_filters.MultipleChoiceFilter(choices=Scope.choices, label=_("Portée territoriale"))
    department = django_filters.CharFilter(
        field_name="organisation__commune__department_id", label=_("Département (code INSEE)"), max_length=3
    )
    branch = django_filters.CharFilter(
        field_name="organisation__branch__slug", label=_("Antenne (identifiant)"), max_length=50
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
