"""Two-factor authentication (django-otp): an authenticator app (TOTP) and ten single-use backup codes.

Who must use it: staff, as terreau.core.access defines them (``Actor.is_staff_anywhere``: superusers, network
administrators, branch facilitators), while TERREAU_STAFF_2FA_REQUIRED is on (always in production; the demo
turns it off). Anybody else may enable it; once a person has a confirmed device, every sign-in asks for a code.

- Enrolment: ``totp_start`` gives an unconfirmed TOTP device (QR code drawn as SVG on the server with segno, the
  secret also shown as text), ``totp_confirm`` confirms it with a first code and creates the backup codes.
- Sign-in: ``code_check`` verifies a code (6 digits: the app; otherwise a backup code, consumed) under
  django-otp's throttling (each failure doubles the wait), shared by the person's devices.
- ``backup_codes_regenerate``, ``two_factor_remove`` (the person, with a current code) and ``two_factor_reset``
  (a superuser, for someone who lost their phone) are recorded in the audit log.

The REST API's tokens are separate credentials created by a signed-in person: token-authenticated requests do
not go through this second factor (terreau.accounts.two_factor_middleware only looks at sessions).
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from typing import Any

import segno
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from terreau.core.access import actor_for
from terreau.core.audit import Action, audit_record

logger = logging.getLogger(__name__)

BACKUP_CODES = 10
TOTP_NAME = "Application d'authentification"
BACKUP_NAME = "Codes de secours"


def requires_two_factor(user: Any) -> bool:
    """Whether the person must sign in with a second factor: staff while TERREAU_STAFF_2FA_REQUIRED is on."""
    if not settings.TERREAU_STAFF_2FA_REQUIRED or not getattr(user, "is_authenticated", False):
        return False
    return actor_for(user).is_staff_anywhere


def has_two_factor(user: Any) -> bool:
    """Whether the person has a confirmed authenticator app (then every sign-in asks for a code); backup codes
    come with it and go with it. One query, asked on each request of a session not yet verified."""
    if not getattr(user, "is_authenticated", False):
        return False
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def is_verified(request: HttpRequest) -> bool:
    """Whether this session passed the second factor (django_otp.login)."""
    check = getattr(request.user, "is_verified", None)
    return bool(check and check())


def context_processor(request: HttpRequest) -> dict:
    return {"staff_2fa_required": settings.TERREAU_STAFF_2FA_REQUIRED}


# Enrolment ----------------------------------------------------------------------------------------------------


def totp_start(*, user: Any) -> TOTPDevice:
    """The person's device being enrolled (unconfirmed), created on first call and kept until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The secret in base 32 as authenticator apps ask for it, in groups of four for typing."""
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The enrolment link as an inline SVG QR code (no script, no external image: the CSP allows neither)."""
    qr = segno.make(device.config_url, error="m")
    return qr.svg_inline(scale=5, border=2, dark="#000", light="#fff", title=_("Code QR à scanner"))


def totp_confirm(
    *, user: Any, device: TOTPDevice, token: str, request: HttpRequest | None = None
) -> list[str]:
    """Confirm the device being enrolled with a first code; returns the new backup codes (shown once).

    The person's previous second factor, if any, is replaced: only one app and one set of codes at a time.
    A wrong code counts for django-otp's throttling (saved: the refusal is not rolled back)."""
    if device.user_id != user.pk or device.confirmed:
        raise ValidationError(_("Cet appareil ne peut plus être confirmé : recommencez l'activation."))
    allowed, data = device.verify_is_allowed()
    if not allowed:
        raise ValidationError(_throttle_message(data))
    if not device.verify_token(_clean(token)):
        raise ValidationError(
            _("Ce code ne correspond pas. Vérifiez l'heure de votre téléphone et saisissez le code affiché.")
        )
    with transaction.atomic():
        for other in devices_for_user(user, confirmed=None):
            if other.pk != device.pk or not isinstance(other, TOTPDevice):
                other.delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_backup_codes(user)
        audit_record(
            actor=user, action=Action.TWO_FACTOR_ENABLED, target=user.email, obj=_row(user), request=request
        )
    logger.info("Two-factor authentication enabled by user %s", user.pk)
    return codes


def backup_codes_regenerate(*, user: Any, request: HttpRequest | None = None) -> list[str]:
    """Replace the person's backup codes with ten new ones (the old ones stop working)."""
    if not has_two_factor(user):
        raise ValidationError(_("Activez d'abord la double authentification."))
    with transaction.atomic():
        codes = _new_backup_codes(user)
        audit_record(
            actor=user,
            action=Action.BACKUP_CODES_REGENERATED,
            target=user.email,
            obj=_row(user),
            request=request,
        )
    return codes


def two_factor_remove(*, user: Any, request: HttpRequest | None = None) -> None:
    """The person removes their second factor (the views ask a current code first)."""
    with transaction.atomic():
        _delete_devices(user)
        audit_record(
            actor=user, action=Action.TWO_FACTOR_REMOVED, target=user.email, obj=_row(user), request=request
        )
    logger.info("Two-factor authentication removed by user %s", user.pk)


def two_factor_reset(*, person: Any, by: Any, request: HttpRequest | None = None) -> None:
    """A superuser removes someone's second factor (a lost phone): they enrol again at their next sign-in."""
    if not getattr(by, "is_superuser", False):
        raise PermissionDenied
    if person.pk == getattr(by, "pk", None):
        raise ValidationError(_("Pour votre propre compte, passez par la page « Double authentification »."))
    if not any(True for _device in devices_for_user(person, confirmed=None)):
        raise ValidationError(_("Cette personne n'a pas de double authentification à réinitialiser."))
    with transaction.atomic():
        _delete_devices(person)
        audit_record(
            actor=by, action=Action.TWO_FACTOR_RESET, target=person.email, obj=_row(person), request=request
        )
    logger.info("Two-factor authentication of user %s reset by user %s", person.pk, by.pk)


def _row(user: Any) -> Any:
    """The user row itself (request.user is a lazy wrapper, which the audit log cannot reference)."""
    from django.utils.functional import empty

    while hasattr(user, "_wrapped"):  # django-otp wraps the authentication middleware's wrapper
        if user._wrapped is empty:
            user._setup()
        user = user._wrapped
    return user


def _new_backup_codes(user: Any) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _i in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def _delete_devices(user: Any) -> None:
    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()


# Sign-in ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeResult:
    device: Any = None  # the device that accepted the code
    error: str = ""
    throttled: bool = False


def _clean(token: str) -> str:
    return "".join((token or "").split()).replace("-", "").lower()


def code_check(*, user: Any, token: str) -> CodeResult:
    """Verify a code typed at sign-in: six digits go to the authenticator app, anything else to the backup
    codes (each works once). While one of the person's devices is throttled by recent failures, nothing is
    tried and the wait is told."""
    token = _clean(token)
    if not token:
        return CodeResult(error=_("Saisissez le code affiché par votre application ou un code de secours."))
    with transaction.atomic():
        devices = list(devices_for_user(user, confirmed=True, for_verify=True))
        if not devices:
            return CodeResult(error=_("Aucune double authentification n'est active sur ce compte."))
        for device in devices:
            allowed, data = device.verify_is_allowed()
            if not allowed:
                return CodeResult(error=_throttle_message(data), throttled=True)
        kind = TOTPDevice if token.isdigit() and len(token) in (6, 8) else StaticDevice
        device = next((d for d in devices if isinstance(d, kind)), None)
        if device is not None and device.verify_token(token):
            return CodeResult(device=device)
        if device is None:  # no backup codes left: count the failure on the app all the same
            devices[0].throttle_increment()
    logger.warning("Wrong second-factor code for user %s", user.pk)
    return CodeResult(error=_("Ce code n'est pas valide. Réessayez avec le code affiché maintenant."))


def _throttle_message(data: dict | None) -> str:
    until = (data or {}).get("locked_until")
    seconds = max(1, int((until - timezone.now()).total_seconds()) + 1) if until else 1
    return ngettext(
        "Trop de codes erronés. Patientez %(n)d seconde avant de réessayer.",
        "Trop de codes erronés. Patientez %(n)d secondes avant de réessayer.",
        seconds,
    ) % {"n": seconds}


def backup_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
