from django.conf import settings
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from procrastinate.contrib.django import app
from procrastinate.contrib.django.admin import ProcrastinateJobAdmin
from procrastinate.contrib.django.models import ProcrastinateJob

from terreau.core.admin_scoping import ReadOnlyScopedAdmin, SuperuserOnlyAdmin
from terreau.core.models import AuditEvent, Branch, Network, TrackedJob

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


@admin.register(TrackedJob)
class TrackedJobAdmin(ReadOnlyScopedAdmin):
    """Long work people started, with its progress and its error: read-only."""

    list_display = ["created_at", "title", "state", "owner", "done", "total"]
    list_filter = ["state", "name"]
    search_fields = ["title", "owner__email"]
    list_select_related = ["owner"]
    readonly_fields = [
        "name",
        "title",
        "owner",
        "branch",
        "state",
        "done",
        "total",
        "message",
        "error",
        "result_url",
        "created_at",
        "started_at",
        "finished_at",
    ]
    fields = readonly_fields
    actions = None


# The queue itself (Procrastinate's jobs: state, attempts, events) is for superusers only. Its tables exist on
# PostgreSQL only (terreau/core/db_routers.py): on SQLite it is not in the admin at all.
admin.site.unregister(ProcrastinateJob)


class QueueJobAdmin(ProcrastinateJobAdmin):
    actions = ["retry_now"]

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    @admin.action(description=_("Relancer maintenant les traitements choisis (en échec ou annulés)"))
    def retry_now(self, request, queryset) -> None:
        retried = 0
        for queued in queryset.filter(status__in=["failed", "cancelled", "aborted"]):
            app.job_manager.retry_job_by_id(queued.pk, retry_at=timezone.now())
            retried += 1
        self.message_user(
            request,
            ngettext("%(n)d traitement relancé.", "%(n)d traitements relancés.", retried) % {"n": retried},
        )


if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    admin.site.register(ProcrastinateJob, QueueJobAdmin)
