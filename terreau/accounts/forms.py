"""Account forms: Django's password reset, with its e-mail rendered through terreau.core.mail, and the team
page's forms (terreau.accounts.staff)."""

from __future__ import annotations

import logging

from django import forms
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from terreau.core.models import Branch, Network
from terreau.notifications.services import notify

logger = logging.getLogger(__name__)


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Sends ``accounts/emails/password_reset`` through terreau.notifications (plain text without HTML
    escaping); the template names that Django's view passes are not used."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        # An immediate kind nobody may turn off; the e-mail leaves after the commit, through the job queue, and a
        # mail server failure is retried there: like Django's, nothing tells whether the account exists.
        try:
            notify(
                kind="accounts.password_reset",
                recipients=[context["user"]],
                template="accounts/emails/password_reset",
                context=context,
                from_email=from_email,
            )
        except Exception:
            logger.exception("Failed to queue the password reset email to %s", context["user"].pk)


class BranchCreateForm(forms.Form):
    """A new branch, in one of the networks the user administers (terreau.accounts.staff.branch_create)."""

    network = forms.ModelChoiceField(label=_("Réseau"), queryset=Network.objects.none(), empty_label=None)
    name = forms.CharField(label=_("Nom de l'antenne"), max_length=200)
    contact_email = forms.EmailField(label=_("Courriel de contact"), required=False)

    def __init__(self, *args, networks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["network"].queryset = networks


class FacilitatorInviteForm(forms.Form):
    """A facilitator invited by e-mail into one of the user's branches (staff.facilitator_invite)."""

    email = forms.EmailField(label=_("Adresse e-mail"))
    first_name = forms.CharField(label=_("Prénom"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Nom"), max_length=150, required=False)
    branch = forms.ModelChoiceField(label=_("Antenne"), queryset=Branch.objects.none(), empty_label=None)

    def __init__(self, *args, branches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches


class RoleGrantForm(forms.Form):
    """Make an account facilitator of one of the user's branches (staff.role_grant)."""

    branch = forms.ModelChoiceField(label=_("Antenne"), queryset=Branch.objects.none(), empty_label=None)

    def __init__(self, *args, branches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches
