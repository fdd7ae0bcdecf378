from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from terreau.accounts.models import BranchRole, NetworkRole, User


class BranchRoleInline(admin.TabularInline):
    model = BranchRole
    extra = 0


class NetworkRoleInline(admin.TabularInline):
    model = NetworkRole
    extra = 0


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
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
