"""Admin of territorial diagnoses, scoped by terreau.core.admin_scoping (a facilitator sees their branches'
diagnoses only). States move through the pages (terreau.alliances.services): read-only here, like the
history, the invitations' tokens, the ballots and the import reports."""

from django.contrib import admin

from terreau.alliances.models import (
    Ballot,
    ConsultationAnswer,
    ConsultationInvitation,
    Diagnosis,
    DiagnosisChange,
    Indicator,
    IndicatorImport,
    IndicatorValue,
    KeyIssue,
)
from terreau.core.admin_scoping import (
    BranchScopedAdmin,
    HistoryInline,
    ReadOnlyForFacilitatorsAdmin,
    ReadOnlyScopedAdmin,
)


class DiagnosisChangeInline(HistoryInline):
    model = DiagnosisChange
    readonly_fields = ["from_state", "to_state", "at", "by", "note"]
    fields = readonly_fields


@admin.register(Diagnosis)
class DiagnosisAdmin(BranchScopedAdmin):
    list_display = ["title", "branch", "period_start", "period_end", "state", "is_demo"]
    list_filter = ["state", "branch"]
    search_fields = ["title", "summary"]
    readonly_fields = ["state", "published_at", "public_token"]
    raw_id_fields = ["communes", "epcis"]
    filter_horizontal = ["departments", "team"]
    inlines = [DiagnosisChangeInline]


class _DiagnosisChildAdmin(BranchScopedAdmin):
    raw_id_fields = ["diagnosis"]


@admin.register(ConsultationInvitation)
class ConsultationInvitationAdmin(_DiagnosisChildAdmin):
    list_display = ["organisation", "diagnosis", "email", "sent_at", "reminders"]
    readonly_fields = ["token", "sent_at", "reminders", "last_reminded_at"]
    raw_id_fields = ["diagnosis", "organisation"]


@admin.register(ConsultationAnswer)
class ConsultationAnswerAdmin(_DiagnosisChildAdmin):
    list_display = ["organisation_name", "diagnosis", "respondent_name", "updated_at"]
    search_fields = ["organisation_name", "respondent_name", "issues"]
    readonly_fields = ["edit_token"]
    raw_id_fields = ["diagnosis", "organisation"]


@admin.register(KeyIssue)
class KeyIssueAdmin(_DiagnosisChildAdmin):
    list_display = ["title", "diagnosis", "state"]
    list_filter = ["state"]
    search_fields = ["title", "description"]
    raw_id_fields = ["diagnosis", "answers", "indicator_values", "needs"]


@admin.register(Ballot)
class BallotAdmin(ReadOnlyScopedAdmin):
    list_display = ["organisation", "diagnosis", "updated_at"]


@admin.register(IndicatorImport)
class IndicatorImportAdmin(ReadOnlyScopedAdmin):
    list_display = ["file_name", "branch", "imported_at", "rows_read", "values_saved"]


@admin.register(Indicator)
class IndicatorAdmin(ReadOnlyForFacilitatorsAdmin):
    list_display = ["code", "label", "unit", "usual_source"]
    search_fields = ["code", "label"]


@admin.register(IndicatorValue)
class IndicatorValueAdmin(ReadOnlyForFacilitatorsAdmin):
    list_display = ["indicator", "level", "code", "year", "value", "source"]
    list_filter = ["level", "indicator"]
    search_fields = ["code"]
    raw_id_fields = ["indicator", "imported"]


# Working groups and charters.
from terreau.alliances import group_admin  # noqa: E402, F401
