from django.contrib import admin

from terreau.core.admin_scoping import SuperuserOnlyAdmin
from terreau.core.models import Branch, Network

admin.site.site_header = "Administration de Terreau"
admin.site.site_title = "Terreau"
admin.site.index_title = "Gestion des données"


@admin.register(Network)
class NetworkAdmin(SuperuserOnlyAdmin):
    list_display = ["name", "slug", "is_demo"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Branch)
class BranchAdmin(SuperuserOnlyAdmin):
    list_display = ["name", "network", "is_demo"]
    list_filter = ["network"]
    filter_horizontal = ["departments"]
    prepopulated_fields = {"slug": ["name"]}
