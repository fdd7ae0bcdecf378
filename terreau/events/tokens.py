"""Signed links sent to registrants: confirm, manage (status page, cancel, certificate) and check-in (QR).

The payload names the registration and the purpose; django.core.signing makes them tamper-proof and
time-limited. A tampered or expired link raises BadLink, which the views turn into a French page.
"""

from __future__ import annotations

from django.core import signing

SALT = "terreau.events.registration"
PURPOSES = {"confirm", "manage", "checkin"}
# Lifetime of each kind of link, in seconds.
MAX_AGE = {"confirm": 7 * 24 * 3600, "manage": 400 * 24 * 3600, "checkin": 400 * 24 * 3600}


class BadLink(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "tampered" or "expired"


def make_token(registration_id: int, purpose: str) -> str:
    assert purpose in PURPOSES
    return signing.dumps({"r": registration_id, "p": purpose}, salt=SALT, compress=False)


def read_token(token: str, purpose: str) -> int:
    """The registration id carried by a link of this purpose; BadLink if tampered, expired or misused."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE[purpose])
    except signing.SignatureExpired:
        raise BadLink("expired") from None
    except signing.BadSignature:
        raise BadLink("tampered") from None
    if not isinstance(data, dict) or data.get("p") != purpose or not isinstance(data.get("r"), int):
        raise BadLink("tampered")
    return data["r"]
