"""Absolute URLs, for e-mails, calendar files and feeds, and the link that invites a new account.

The site's address is ``settings.TERREAU_SITE_URL`` (work that runs outside a request: jobs, mails sent after
a commit, exports), or the address of the request being served when there is one.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.http import HttpRequest
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode


def site_root(request: HttpRequest | None = None) -> str:
    """Scheme and host of the site, without a trailing slash ("https://terreau.example.org")."""
    if request is not None:
        return f"{request.scheme}://{request.get_host()}"
    return settings.TERREAU_SITE_URL.rstrip("/")


def absolute_url(path: str, request: HttpRequest | None = None, *, root: str | None = None) -> str:
    """``path`` (starting with "/") on the site: under ``root`` when given, else under site_root(request)."""
    return (root.rstrip("/") if root is not None else site_root(request)) + path


def invite_url(user: Any, *, root: str | None = None) -> str:
    """Where a person whose account was just created for them chooses their password (a one-time link)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return absolute_url(path, root=root)
