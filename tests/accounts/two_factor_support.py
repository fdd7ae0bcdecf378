"""Helpers for the tests of the second factor (terreau.accounts.two_factor)."""

from __future__ import annotations

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "motdepasse-solide-42"


def unverify(client: Client) -> None:
    """Drop the verification that tests/conftest.py gives every forced login: the session has then passed the
    password only."""
    session = client.session
    session.pop(DEVICE_ID_SESSION_KEY, None)
    session.save()


def totp_code(device: TOTPDevice) -> str:
    """The code the person's app shows now; the next step's when this one was already used (django-otp
    refuses a code twice and accepts one step ahead)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    t = totp.t()
    if device.last_t >= t:
        totp.time += device.step * (device.last_t + 1 - t)
    return f"{totp.token():0{device.digits}d}"


def totp_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Application d'authentification", confirmed=True)
