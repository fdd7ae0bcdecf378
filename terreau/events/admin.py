from django.contrib import admin

from terreau.core.admin_scoping import BranchScopedAdmin, HistoryInline
from terreau.events.models import Event, Registration, RegistrationChange, WorkshopDocument, WorkshopItem


class RegistrationChangeInline(HistoryInline):
    model = RegistrationChange
    readonly_fields = ["from_state", "to_state", "at", "by", "note"]


@admin.register(Event)
class EventAdmin(BranchScopedAdmin):
    list_display = ["title", "kind", "branch", "starts_at", "capacity", "is_published", "is_demo"]
    list_filter = ["kind", "is_published", "branch"]
    search_fields = ["title", "description"]
    prepopulated_fields = {"slug": ["title"]}
    raw_id_fields = ["commune"]
    filter_horizontal = ["themes", "organisers", "partnerships"]


class _EventChildAdmin(BranchScopedAdmin):
    # The event is chosen among the events the actor manages (BranchScopedAdmin scopes every relation).
    raw_id_fields = ["event"]


@admin.register(Registration)
class RegistrationAdmin(_EventChildAdmin):
    list_display = ["name", "email", "event", "status", "attended_at"]
    list_filter = ["status"]
    search_fields = ["name", "email", "organisation_name"]
    readonly_fields = ["status", "waitlisted_at", "attended_at", "checked_in_by", "reminded_at"]
    raw_id_fields = ["event", "user", "organisation"]
    inlines = [RegistrationChangeInline]


@admin.register(WorkshopItem)
class WorkshopItemAdmin(_EventChildAdmin):
    list_display = ["event", "kind", "order", "text"]
    list_filter = ["kind"]


@admin.register(WorkshopDocument)
class WorkshopDocumentAdmin(_EventChildAdmin):
    list_display = ["title", "event", "content_type", "size"]
