"""Django admin for facilitators and network administrators, scoped by the access layer.

Facilitators are not superusers: they see and change in the admin only the rows of their branches, through
the same rules as the pages (terreau.core.access.editable(..., action="manage")). Superusers see everything.
"""

from __future__ import annotations

from django.contrib import admin

from terreau.core.access import actor_for, editable


class BranchScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose rows and rights come from terreau.core.access."""

    def _is_staff(self, request) -> bool:
        actor = actor_for(request.user)
        return request.user.is_active and request.user.is_staff and actor.is_staff_anywhere

    def get_queryset(self, request):
        return editable(request.user, super().get_queryset(request), action="manage")

    def has_module_permission(self, request) -> bool:
        return self._is_staff(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._is_staff(request)

    def has_change_permission(self, request, obj=None) -> bool:
        if not self._is_staff(request):
            return False
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_change_permission(request, obj)

    def has_add_permission(self, request) -> bool:
        return self._is_staff(request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Facilitators may only attach rows to their own branches.
        if db_field.name == "branch" and not request.user.is_superuser:
            from terreau.core.access import branches_managed

            kwargs["queryset"] = branches_managed(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyForFacilitatorsAdmin(admin.ModelAdmin):
    """Reference data (geography): readable by branch staff, writable by superusers only."""

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    has_add_permission = has_delete_permission = lambda self, request, obj=None: request.user.is_superuser  # noqa: E731
