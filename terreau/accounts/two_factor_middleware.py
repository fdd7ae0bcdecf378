"""Sends a signed-in person whose session has not passed the second factor where they finish signing in.

Installed after django_otp.middleware.OTPMiddleware (which tells whether the session is verified). A person
with a confirmed device goes to the code page; staff without one (terreau.accounts.two_factor.
requires_two_factor) go to the enrolment page; both keep the page they asked for in ``next``.

Left alone: the sign-in, sign-out, password-reset and second-factor pages themselves, static files, organisation
logos and the health endpoints. Every other page is held back, the public ones included: there the session
would carry the person's staff rights (private rows in the directory, the admin), which the second factor
protects. The admin is therefore covered too. The REST API (/api/) is not redirected: a token is a separate
credential (created from a verified session) and DRF authenticates it in the view; a session that has not
passed the second factor is served there as anonymous (public data only).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse

from terreau.accounts import two_factor

# URL names (namespace "accounts" or "core") a session that has not passed the second factor may open.
OPEN_VIEWS = {
    "accounts:login",
    "accounts:logout",
    "accounts:two_factor_verify",
    "accounts:two_factor_setup",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    "core:healthz",
    "core:readyz",
    "public_logo",
}


def _view_name(request: HttpRequest) -> str | None:
    """The URL name of the requested page; None for a path that resolves to nothing (a 404 reveals nothing)."""
    try:
        return resolve(request.path_info).view_name
    except Resolver404:
        return None


def _open(request: HttpRequest, view_name: str | None) -> bool:
    path = request.path_info
    static = "/" + settings.STATIC_URL.lstrip("/")
    if path.startswith(static) or path in ("/favicon.ico", "/robots.txt"):
        return True
    return view_name is None or view_name in OPEN_VIEWS


def _api(request: HttpRequest, view_name: str | None) -> bool:
    """The REST API, but not its token page (a token made there must come from a verified session)."""
    return request.path_info.startswith("/api/") and view_name != "api-token"


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or two_factor.is_verified(request):
            return self.get_response(request)
        if two_factor.has_two_factor(user):
            target = "accounts:two_factor_verify"
        elif two_factor.requires_two_factor(user):
            target = "accounts:two_factor_setup"
        else:
            return self.get_response(request)
        view_name = _view_name(request)
        if _open(request, view_name):
            return self.get_response(request)
        if _api(request, view_name):
            request.user = AnonymousUser()
            return self.get_response(request)
        query = urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(f"{reverse(target)}?{query}")
