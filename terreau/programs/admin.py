from django.contrib import admin
from django.core.exceptions import ValidationError

from terreau.core.admin_scoping import (
    BranchScopedAdmin,
    HistoryInline,
    ReadOnlyScopedAdmin,
    ScopedTabularInline,
)
from terreau.programs.equipment import (
    EquipmentEvent,
    EquipmentItem,
    Incident,
    Kit,
    KitModel,
    KitStateChange,
    Repair,
)
from terreau.programs.models import HostSite, Program, ProgramPartner, ProgramRole, ProgramRoleChange
from terreau.programs.team import check_grant, role_grant, team_remove


@admin.register(Program)
class ProgramAdmin(BranchScopedAdmin):
    list_display = ["name", "branch", "starts_on", "is_public", "is_demo"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(HostSite)
class HostSiteAdmin(BranchScopedAdmin):
    list_display = ["name", "program", "commune", "capacity"]
    list_filter = ["program"]


admin.site.register(ProgramPartner, BranchScopedAdmin)


@admin.register(ProgramRole)
class ProgramRoleAdmin(BranchScopedAdmin):
    """Roles are granted and revoked through terreau.programs.team (same checks as the team page: nobody
    grants themselves a role that opens participants' data; who granted it and when are recorded). A granted
    role is not edited: it is revoked and another one granted."""

    list_display = ["user", "role", "program", "site", "granted_by", "created_at"]
    list_filter = ["program", "role"]
    fields = ["program", "user", "role", "site", "granted_by", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj is not None else ["granted_by", "created_at"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)

        def clean(self):
            cleaned = form.clean(self)
            if not change and not self.errors:
                try:
                    check_grant(team_role=self.instance_for_check(), by=request.user)
                except ValidationError as exc:
                    self.add_error(None, exc)
            return cleaned

        def instance_for_check(self):
            data = self.cleaned_data
            return ProgramRole(
                program=data["program"], user=data["user"], role=data["role"], site=data.get("site")
            )

        return type(form.__name__, (form,), {"clean": clean, "instance_for_check": instance_for_check})

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            role_grant(team_role=obj, by=request.user)

    def delete_model(self, request, obj) -> None:
        team_remove(role=obj, by=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for role in queryset:
            team_remove(role=role, by=request.user)


@admin.register(ProgramRoleChange)
class ProgramRoleChangeAdmin(ReadOnlyScopedAdmin):
    """The team's history: read-only, written by the services."""

    list_display = ["at", "program", "member", "role", "site", "to_state", "by"]
    list_filter = ["program", "to_state"]


admin.site.register(KitModel, BranchScopedAdmin)


class KitStateChangeInline(HistoryInline):
    model = KitStateChange
    readonly_fields = ["from_state", "to_state", "at", "by", "site", "note"]


@admin.register(Kit)
class KitAdmin(BranchScopedAdmin):
    list_display = ["code", "program", "model", "state", "site"]
    list_filter = ["program", "state"]
    search_fields = ["code"]
    # A kit is assembled, delivered and dismantled through terreau.programs.kits (its history is written
    # there), never by editing these fields.
    readonly_fields = ["state", "site", "delivered_on", "delivered_by"]
    inlines = [KitStateChangeInline]


class EquipmentEventInline(ScopedTabularInline):
    model = EquipmentEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "from_state", "to_state", "at", "by", "site", "kit", "note"]


@admin.register(EquipmentItem)
class EquipmentItemAdmin(BranchScopedAdmin):
    list_display = ["serial_number", "type", "make", "state", "site", "program"]
    list_filter = ["program", "type", "state"]
    search_fields = ["serial_number", "make", "model_name"]
    # States change only through terreau.programs.items and kits (history is recorded there).
    readonly_fields = ["state", "site", "kit"]
    inlines = [EquipmentEventInline]


admin.site.register(Incident, BranchScopedAdmin)
admin.site.register(Repair, BranchScopedAdmin)
