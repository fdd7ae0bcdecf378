"""Admin of working groups and charters, scoped by terreau.core.admin_scoping (a facilitator sees their
branches' groups only). Merges, join requests' answers, versions' states and approvals go through the pages
(terreau.alliances.groups and .charter): read-only here, like the histories."""

from django.contrib import admin

from terreau.alliances.charter_models import Charter, CharterApproval, CharterPartner, CharterVersion
from terreau.alliances.group_models import (
    GroupDecision,
    GroupDocument,
    GroupMeeting,
    GroupMember,
    GroupMerge,
    GroupPledge,
    GroupTask,
    JoinRequest,
    WorkingGroup,
    WorkingGroupChange,
)
from terreau.core.admin_scoping import (
    BranchScopedAdmin,
    HistoryInline,
    ReadOnlyScopedAdmin,
    ScopedTabularInline,
)


class GroupMemberInline(ScopedTabularInline):
    model = GroupMember
    fk_name = "group"
    fields = ["organisation", "person", "role", "came_from"]
    readonly_fields = ["came_from"]
    raw_id_fields = ["organisation", "person"]
    extra = 0


class WorkingGroupChangeInline(HistoryInline):
    model = WorkingGroupChange
    readonly_fields = ["from_state", "to_state", "at", "by", "note"]
    fields = readonly_fields


@admin.register(WorkingGroup)
class WorkingGroupAdmin(BranchScopedAdmin):
    list_display = ["name", "branch", "state", "merged_into", "is_open", "is_demo"]
    list_filter = ["state", "branch"]
    search_fields = ["name", "purpose"]
    readonly_fields = ["state", "merged_into"]
    raw_id_fields = ["diagnosis"]
    inlines = [GroupMemberInline, WorkingGroupChangeInline]


class _GroupChildAdmin(BranchScopedAdmin):
    raw_id_fields = ["group"]
    readonly_fields = ["came_from"]


@admin.register(GroupDecision)
class GroupDecisionAdmin(_GroupChildAdmin):
    list_display = ["__str__", "group", "decided_on"]


@admin.register(GroupTask)
class GroupTaskAdmin(_GroupChildAdmin):
    list_display = ["title", "group", "owner", "due_on", "state"]
    readonly_fields = ["came_from", "state"]


@admin.register(GroupMeeting)
class GroupMeetingAdmin(_GroupChildAdmin):
    list_display = ["title", "group", "held_on", "event"]
    raw_id_fields = ["group", "event"]


@admin.register(GroupDocument)
class GroupDocumentAdmin(_GroupChildAdmin):
    list_display = ["title", "group", "size", "created_at"]
    readonly_fields = ["came_from", "file", "content_type", "size", "uploaded_by"]


@admin.register(GroupPledge)
class GroupPledgeAdmin(_GroupChildAdmin):
    list_display = ["organisation", "kind", "group"]
    raw_id_fields = ["group", "organisation", "offer"]


admin.site.register(JoinRequest, ReadOnlyScopedAdmin)
admin.site.register(GroupMerge, ReadOnlyScopedAdmin)


class CharterPartnerInline(ScopedTabularInline):
    model = CharterPartner
    fields = ["organisation", "roles", "note"]
    readonly_fields = fields
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Charter)
class CharterAdmin(BranchScopedAdmin):
    list_display = ["title", "group", "program", "launched_at", "is_demo"]
    readonly_fields = ["group", "program", "launched_version", "launched_at", "launched_by"]

    def has_add_permission(self, request) -> bool:
        return False  # a charter is written from its group's page


@admin.register(CharterVersion)
class CharterVersionAdmin(ReadOnlyScopedAdmin):
    list_display = ["charter", "number", "state", "submitted_at"]
    inlines = [CharterPartnerInline]


admin.site.register(CharterApproval, ReadOnlyScopedAdmin)
