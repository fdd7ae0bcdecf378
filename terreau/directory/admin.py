from django.contrib import admin

from terreau.core.admin_scoping import (
    BranchScopedAdmin,
    HistoryInline,
    ScopedStackedInline,
    ScopedTabularInline,
)
from terreau.directory.models import ImportRun, Membership, NeedOffer, NeedOfferStatusChange, Organisation


class MembershipInline(ScopedTabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]

    # Only superusers pick accounts here (the list of users is personal data); facilitators manage members
    # from the organisation's page, by e-mail address.
    def get_readonly_fields(self, request, obj=None):
        return [] if request.user.is_superuser else ["user"]

    def has_add_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser


class NeedOfferInline(ScopedStackedInline):
    model = NeedOffer
    extra = 0
    fields = ["direction", "type", "theme", "title", "status", "visibility"]
    show_change_link = True


@admin.register(Organisation)
class OrganisationAdmin(BranchScopedAdmin):
    list_display = ["name", "kind", "commune", "branch", "visibility", "is_demo"]
    list_filter = ["kind", "visibility", "branch", "is_demo"]
    search_fields = ["name", "acronym", "siren", "siret", "rna"]
    list_select_related = ["commune", "branch"]
    autocomplete_fields = ["commune"]
    filter_horizontal = ["themes"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline, NeedOfferInline]


class StatusChangeInline(HistoryInline):
    model = NeedOfferStatusChange
    readonly_fields = ["from_state", "to_state", "at", "by", "note"]


@admin.register(NeedOffer)
class NeedOfferAdmin(BranchScopedAdmin):
    list_display = ["title", "direction", "type", "theme", "status", "organisation"]
    list_filter = ["direction", "type", "theme", "status", "visibility"]
    search_fields = ["title", "description", "organisation__name"]
    list_select_related = ["organisation", "theme"]
    autocomplete_fields = ["organisation"]
    readonly_fields = ["status"]
    inlines = [StatusChangeInline]


@admin.register(ImportRun)
class ImportRunAdmin(BranchScopedAdmin):
    list_display = [
        "file_name",
        "format",
        "status",
        "rows_read",
        "created_count",
        "rejected_count",
        "created_at",
    ]
    list_filter = ["format", "status"]
    readonly_fields = [f.name for f in ImportRun._meta.fields]
