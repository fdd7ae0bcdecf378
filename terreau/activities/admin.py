from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from terreau.activities.models import (
    Mission,
    RecurringSession,
    Session,
    SessionChange,
    SessionReport,
    SiteClosure,
    VolunteerAbsence,
)
from terreau.core.admin_scoping import BranchScopedAdmin, HistoryInline

# Participants and attendance (beneficiaries' personal data) are deliberately not in the admin:
# only their site's team sees them, through the pages.


@admin.register(Mission)
class MissionAdmin(BranchScopedAdmin):
    list_display = [
        "__str__",
        "program",
        "host_organisation",
        "starts_on",
        "ends_on",
        "weekly_hours",
        "is_demo",
    ]
    list_filter = ["program"]
    raw_id_fields = ["user", "host_organisation", "home_commune"]
    filter_horizontal = ["sites"]


@admin.register(RecurringSession)
class RecurringSessionAdmin(BranchScopedAdmin):
    list_display = ["site", "weekday", "start_time", "duration_minutes", "volunteers_needed"]
    raw_id_fields = ["site"]


class SessionChangeInline(HistoryInline):
    model = SessionChange
    fields = readonly_fields = ["previous", "new", "at", "by", "note"]

    @admin.display(description=_("état précédent"))
    def previous(self, obj: SessionChange) -> str:
        return obj.from_label or "—"

    @admin.display(description=_("nouvel état"))
    def new(self, obj: SessionChange) -> str:
        return obj.to_label


@admin.register(Session)
class SessionAdmin(BranchScopedAdmin):
    list_display = ["site", "starts_at", "status", "is_demo"]
    list_filter = ["status"]
    raw_id_fields = ["site", "recurring", "replaces"]
    filter_horizontal = ["volunteers"]
    # A session is held or cancelled through its report and terreau.activities (sessions, closures,
    # recurring), which write its history, never by editing these fields.
    readonly_fields = ["status", "cancel_reason"]
    inlines = [SessionChangeInline]


@admin.register(SessionReport)
class SessionReportAdmin(BranchScopedAdmin):
    list_display = ["session", "held", "headcount"]
    raw_id_fields = ["session", "by"]


@admin.register(SiteClosure)
class SiteClosureAdmin(BranchScopedAdmin):
    list_display = ["site", "starts_on", "ends_on", "reason"]
    raw_id_fields = ["site"]


@admin.register(VolunteerAbsence)
class VolunteerAbsenceAdmin(BranchScopedAdmin):
    list_display = ["mission", "starts_on", "ends_on", "reason"]
    raw_id_fields = ["mission"]
