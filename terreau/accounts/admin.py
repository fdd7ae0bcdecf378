from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from terreau.accounts import two_factor
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
    actions = ["two_factor_reset"]

    @admin.action(description=_("Réinitialiser la double authentification"))
    def two_factor_reset(self, request, queryset):
        """Audited (terreau.accounts.two_factor.two_factor_reset); the people enrol again at their next sign-in."""
        done = 0
        for person in queryset:
            try:
                two_factor.two_factor_reset(person=person, by=request.user, request=request)
            except ValidationError as exc:
                self.message_user(request, f"{person.email} : {' '.join(exc.messages)}", messages.WARNING)
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext(
                    "Double authentification réinitialisée pour %(n)d compte.",
                    "Double authentification réinitialisée pour %(n)d comptes.",
                    done,
                )
                % {"n": done},
                messages.SUCCESS,
            )


# Secrets and backup codes stay out of the admin: a superuser resets a person's second factor with the action
# above (or from the team page); the person enrols again themselves.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
