from django.contrib import admin

from terreau.core.admin_scoping import ReadOnlyForFacilitatorsAdmin
from terreau.territories.models import Commune, Department, Epci, Region


@admin.register(Region)
class RegionAdmin(ReadOnlyForFacilitatorsAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Department)
class DepartmentAdmin(ReadOnlyForFacilitatorsAdmin):
    list_display = ["code", "name", "region"]
    search_fields = ["code", "name"]


@admin.register(Commune)
class CommuneAdmin(ReadOnlyForFacilitatorsAdmin):
    list_display = ["code", "name", "department", "population"]
    list_filter = ["department__region"]
    search_fields = ["code", "name", "name_folded", "postal_codes__code"]
    list_select_related = ["department"]


@admin.register(Epci)
class EpciAdmin(ReadOnlyForFacilitatorsAdmin):
    list_display = ["code", "name", "kind", "population"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
