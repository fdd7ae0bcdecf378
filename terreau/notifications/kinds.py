"""The registry of kinds of message: what a person may receive, and what they may turn off.

Every domain app declares its kinds in its ``notification_kinds.py`` (discovered when Django starts)::

    from terreau.notifications.kinds import Kind, register

    register(
        Kind(code="events.reminder", label=_("Rappel de rencontre"), description=_("..."),
             category=_("Rencontres"), optional=True),
    )

- ``default``: how the message reaches a person who chose nothing (immediately or in the daily digest);
- ``optional``: whether the person may turn it off or choose the digest; account security (password reset),
  invitations and messages that are the service itself (a registration's confirmation) are not;
- ``secret``: the message carries a one-time secret link: not shown in the bell, erased from the outbox once
  sent;
- ``marketing``: a message the law treats like a newsletter (it always carries an unsubscribe link and a
  List-Unsubscribe header; every optional kind does too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class Channel:
    IMMEDIATE = "immediate"
    DIGEST = "digest"
    OFF = "off"


@dataclass(frozen=True)
class Kind:
    code: str
    label: Any  # a (lazy) French string
    description: Any
    category: Any
    default: str = Channel.IMMEDIATE
    optional: bool = True
    marketing: bool = False
    # The message holds a secret link (a password reset): no notification in the bell, and its content is
    # erased from the outbox once sent.
    secret: bool = False

    def __post_init__(self) -> None:
        if self.default not in (Channel.IMMEDIATE, Channel.DIGEST):
            raise ValueError(f"{self.code}: default must be immediate or digest")
        if self.marketing and not self.optional:
            raise ValueError(f"{self.code}: a marketing-like message may always be turned off")
        if not self.optional and self.default != Channel.IMMEDIATE:
            raise ValueError(f"{self.code}: a message that cannot be turned off is sent immediately")


_KINDS: dict[str, Kind] = {}


def register(*kinds: Kind) -> None:
    for kind in kinds:
        existing = _KINDS.get(kind.code)
        if existing is not None and existing != kind:
            raise ValueError(f"Notification kind {kind.code!r} declared twice")
        _KINDS[kind.code] = kind


def get_kind(code: str) -> Kind:
    try:
        return _KINDS[code]
    except KeyError:
        raise LookupError(
            f"Unknown notification kind {code!r}: declare it in a notification_kinds.py"
        ) from None


def all_kinds() -> list[Kind]:
    return sorted(_KINDS.values(), key=lambda k: (str(k.category), str(k.label)))
