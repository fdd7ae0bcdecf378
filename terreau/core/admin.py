from django.contrib import admin

from terreau.core.admin_scoping import ReadOnlyScopedAdmin, SuperuserOnlyAdmin
from terreau.core.models import AuditEvent, Branch, Network

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


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyScopedAdmin):
    """Append-only: read by superusers (every event) and by the staff of the event's branch (network
    administrators, facilitators); nobody adds, changes or deletes an event here."""

    list_display = ["at", "action", "target", "actor", "branch", "client_address"]
    list_filter = ["action", "branch"]
    search_fields = ["target", "actor__email"]
    date_hierarchy = "at"
    list_select_related = ["actor", "branch"]
    readonly_fields = [
        "at",
        "actor",
        "action",
        "target",
        "content_type",
        "object_id",
        "branch",
        "client_address",
        "details",
    ]
    fields = readonly_fields
    actions = None
