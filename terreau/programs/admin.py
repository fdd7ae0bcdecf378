from django.contrib import admin

from terreau.core.admin_scoping import BranchScopedAdmin
from terreau.programs.equipment import (
    EquipmentEvent,
    EquipmentItem,
    Incident,
    Kit,
    KitModel,
    KitStateChange,
    Repair,
)
from terreau.programs.models import HostSite, Program, ProgramPartner, ProgramRole


@admin.register(Program)
class ProgramAdmin(BranchScopedAdmin):
    list_display = ["name", "branch", "starts_on", "is_public", "is_demo"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(HostSite)
class HostSiteAdmin(BranchScopedAdmin):
    list_display = ["name", "program", "commune", "capacity"]
    list_filter = ["program"]


admin.site.register(ProgramPartner, BranchScopedAdmin)
admin.site.register(ProgramRole, BranchScopedAdmin)
admin.site.register(KitModel, BranchScopedAdmin)


class KitStateChangeInline(admin.TabularInline):
    model = KitStateChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_state", "to_state", "at", "by", "site", "note"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Kit)
class KitAdmin(BranchScopedAdmin):
    list_display = ["code", "program", "model", "state", "site"]
    list_filter = ["program", "state"]
    search_fields = ["code"]
    # A kit is assembled, delivered and dismantled through terreau.programs.services (its history is written
    # there), never by editing these fields.
    readonly_fields = ["state", "site", "delivered_on", "delivered_by"]
    inlines = [KitStateChangeInline]


class EquipmentEventInline(admin.TabularInline):
    model = EquipmentEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "from_state", "to_state", "at", "by", "site", "kit", "note"]


@admin.register(EquipmentItem)
class EquipmentItemAdmin(BranchScopedAdmin):
    list_display = ["serial_number", "type", "make", "state", "site", "program"]
    list_filter = ["program", "type", "state"]
    search_fields = ["serial_number", "make", "model_name"]
    # States change only through terreau.programs.services (history is recorded there).
    readonly_fields = ["state", "site", "kit"]
    inlines = [EquipmentEventInline]


admin.site.register(Incident, BranchScopedAdmin)
admin.site.register(Repair, BranchScopedAdmin)
