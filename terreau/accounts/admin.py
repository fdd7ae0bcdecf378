from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from terreau.accounts.models import BranchRole, NetworkRole, User
from terreau.core.admin_scoping import ScopedTabularInline, SuperuserOnlyAdmin


class BranchRoleInline(ScopedTabularInline):
    model = BranchRole
    extra = 0


class NetworkRoleInline(ScopedTabularInline):
    model = NetworkRole
    extra = 0


@admin.register(User)
class UserAdmin(SuperuserOnlyAdmin, DjangoUserAdmin):
    """Accounts are managed by superusers (the network's head office)."""

    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "is_demo"]
    search_fields = ["email", "first_name", "last_name"]
    inlines = [NetworkRoleInline, BranchRoleInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Identité"), {"fields": ("first_name", "last_name")}),
        (_("Droits"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
