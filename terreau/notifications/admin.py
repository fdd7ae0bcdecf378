"""The outbox and the notifications in the admin: personal data, for superusers only, read-only; failed
e-mails can be resent."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy, ngettext

from terreau.core.admin_scoping import SuperuserOnlyAdmin
from terreau.notifications import delivery
from terreau.notifications.models import EmailDelivery, Notification


class _ReadOnlySuperuserAdmin(SuperuserOnlyAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(_ReadOnlySuperuserAdmin):
    list_display = ["created_at", "subject", "to_email", "kind", "state", "attempts", "sent_at"]
    list_filter = ["state", "kind"]
    search_fields = ["to_email", "subject"]
    readonly_fields = [
        "kind",
        "recipient",
        "to_email",
        "from_email",
        "subject",
        "text",
        "html",
        "headers",
        "state",
        "attempts",
        "last_error",
        "last_attempt_at",
        "sent_at",
        "created_at",
        "dedup_key",
    ]
    fields = readonly_fields
    raw_id_fields = ["recipient"]
    actions = ["resend"]

    @admin.action(description=gettext_lazy("Renvoyer les courriels choisis (en échec)"))
    def resend(self, request, queryset) -> None:
        count = delivery.resend(queryset)
        self.message_user(
            request,
            ngettext("%(n)d courriel remis à l'envoi.", "%(n)d courriels remis à l'envoi.", count)
            % {"n": count},
        )

    def get_actions(self, request):
        # The action changes rows: offered to superusers, who alone see this page.
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            return {}
        return actions


@admin.register(Notification)
class NotificationAdmin(_ReadOnlySuperuserAdmin):
    list_display = ["created_at", "title", "recipient", "email", "kind", "read_at", "in_digest"]
    list_filter = ["kind", "in_digest"]
    search_fields = ["title", "recipient__email", "email"]
    readonly_fields = [
        "recipient",
        "email",
        "kind",
        "title",
        "body",
        "link",
        "read_at",
        "in_digest",
        "digested_at",
        "created_at",
    ]
    fields = readonly_fields
    actions = None
