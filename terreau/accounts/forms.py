"""Account forms: Django's password reset, with its e-mail rendered through terreau.core.mail."""

from __future__ import annotations

import logging

from django.contrib.auth import forms as auth_forms

from terreau.core.mail import email_message

logger = logging.getLogger(__name__)


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Sends ``accounts/emails/password_reset`` (plain text without HTML escaping); the template names that
    Django's view passes are not used."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        message = email_message(
            "accounts/emails/password_reset", context, to=[to_email], from_email=from_email
        )
        try:
            message.send()
        except Exception:  # like Django's: a mail server failure must not tell whether the account exists
            logger.exception("Failed to send password reset email to %s", context["user"].pk)
