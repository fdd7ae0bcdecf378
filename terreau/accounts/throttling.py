"""Login and password-reset throttling, on top of django-axes (settings: the "Login rate limiting" section).

- The person: axes counts failures per (person, address), the person being the account the typed e-mail signs in
  to (`axes_identity`, AXES_USERNAME_CALLABLE), so that no variant of an address (spaces, case, Unicode forms)
  gives new tries, and a lock holds whatever variant is typed next.
- The address: one address failing across many accounts is locked at a second, higher limit
  (TERREAU_LOGIN_ADDRESS_FAILURE_LIMIT), counted from axes' own records (`AddressLimitedHandler`, AXES_HANDLER).
- Password reset: e-mails are limited per person (TERREAU_PASSWORD_RESET_LIMIT) and requests per address, over
  the same cool-off, with a cache counter (`password_reset_allowed`).
"""

from __future__ import annotations

import contextlib
import hashlib

from axes.attempts import get_cool_off_threshold
from axes.conf import settings
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cache_timeout, get_client_ip_address, get_failure_limit
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Sum
from django.http import HttpRequest

from terreau.accounts.models import clean_login

_MEMO = "_terreau_login_identities"
DEFAULT_WINDOW_SECONDS = 15 * 60


def login_identity(typed: str) -> str:
    """Who a typed e-mail address designates: the address of the account it signs in to (through the same lookup
    as the login), case-folded; for an address without an account, the typed address cleaned and case-folded."""
    cleaned = clean_login(typed)
    if not cleaned:
        return ""
    user_model = get_user_model()
    with contextlib.suppress(user_model.DoesNotExist, user_model.MultipleObjectsReturned):
        cleaned = user_model._default_manager.get_by_natural_key(cleaned).get_username()
    return cleaned.casefold()


def axes_identity(request: HttpRequest | None, credentials: dict | None) -> str | None:
    """AXES_USERNAME_CALLABLE: the login identity of the credentials (or of the posted form), remembered on the
    request since axes asks for it several times per attempt."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        typed = credentials.get(field)
    elif request is not None:
        typed = getattr(request, "data", request.POST).get(field)
    else:
        typed = None
    if typed is None:
        return None
    memo = getattr(request, _MEMO, None)
    if memo is None:
        memo = {}
        if request is not None:
            setattr(request, _MEMO, memo)
    if typed not in memo:
        memo[typed] = login_identity(typed)
    return memo[typed]


def address_failures(request: HttpRequest) -> int:
    """Failed logins from the request's address within the cool-off, whatever the accounts tried."""
    address = getattr(request, "axes_ip_address", None)
    if not address:
        return 0
    attempts = AccessAttempt.objects.filter(ip_address=address)
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class AddressLimitedHandler(AxesDatabaseHandler):
    """Axes' database handler, whose per-person count is raised to the lock when the address itself has failed
    TERREAU_LOGIN_ADDRESS_FAILURE_LIMIT times across accounts: the whole address is then locked for the cool-off
    (a correct password included), while other addresses are not. A success resets only the person's failures
    (AXES_RESET_ON_SUCCESS filters on the lockout parameters), so signing in to one's own account does not
    clear an address's failures on other accounts."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        failures = super().get_failures(request, credentials)
        limit = get_failure_limit(request, credentials)
        if failures < limit and address_failures(request) >= settings.TERREAU_LOGIN_ADDRESS_FAILURE_LIMIT:
            return limit
        return failures


def _counted(kind: str, value: str, timeout: int) -> int:
    """Count one more event for `value` in the cache for `timeout` seconds and return the count."""
    key = f"terreau-throttle-{kind}-{hashlib.sha256(value.encode()).hexdigest()}"
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout)
        return 1


def password_reset_allowed(request: HttpRequest, *, email: str | None = None) -> bool:
    """Count a password-reset request: from the request's address (email=None) or for the person an address
    designates. False once the address made TERREAU_LOGIN_ADDRESS_FAILURE_LIMIT requests, or the person was sent
    TERREAU_PASSWORD_RESET_LIMIT e-mails, within the cool-off."""
    timeout = get_cache_timeout(request) or DEFAULT_WINDOW_SECONDS
    if email is None:
        address = get_client_ip_address(request) or ""
        return _counted("reset-address", address, timeout) <= settings.TERREAU_LOGIN_ADDRESS_FAILURE_LIMIT
    person = login_identity(email)
    return _counted("reset-person", person, timeout) <= settings.TERREAU_PASSWORD_RESET_LIMIT
