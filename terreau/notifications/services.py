"""The one way Terreau sends a message: ``notify``.

    notify(kind="events.reminder", recipients=[registration.email], template="events/emails/reminder",
           context={...}, link="/rencontres/...", attachments=[Attachment("rencontre.ics", ics, "text/calendar")])

The message is rendered once through terreau.core.mail (French templates: subject, plain text, and HTML: the
template's own ``.html`` when it exists, else the plain text laid out in notifications/emails/base.html),
then, for each recipient, according to their choice for that kind (terreau.notifications.kinds):

- immediately: a Notification (the bell, for account holders) and an EmailDelivery (the outbox) are written
  in the caller's transaction, and the send job is deferred (terreau.core.jobs.defer): nothing leaves for data
  that was rolled back, nothing saved is left without its e-mail;
- daily digest: a Notification only, listed in the next morning's digest e-mail;
- off: nothing.

A kind the person may turn off carries, in its footer and in a List-Unsubscribe header, a signed link that
unsubscribes them without signing in. Sending is done by terreau.notifications.delivery.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse

from terreau.core.jobs import defer
from terreau.core.links import absolute_url
from terreau.core.mail import render_email
from terreau.notifications.kinds import Channel, Kind, get_kind
from terreau.notifications.models import EmailDelivery, Notification, Preference

UNSUBSCRIBE_SALT = "terreau.notifications.unsubscribe"
UNSUBSCRIBE_MAX_AGE = 60 * 60 * 24 * 365  # a link in an e-mail kept a year still works


class Attachment(NamedTuple):
    filename: str
    content: str | bytes
    mimetype: str


def _encode(attachment: Attachment) -> dict[str, str]:
    content = attachment.content.encode() if isinstance(attachment.content, str) else attachment.content
    return {
        "filename": attachment.filename,
        "mimetype": attachment.mimetype,
        "content": base64.b64encode(content).decode("ascii"),
    }


# --- choices ----------------------------------------------------------------------------------------------


def choice_for(*, kind: Kind, preference: str | None, has_account: bool) -> str:
    """Immediate, digest or off for one person, from their stored choice (if any) and the kind's rules."""
    if not kind.optional:
        return Channel.IMMEDIATE
    choice = preference or kind.default
    if choice == Channel.DIGEST and not has_account:
        return Channel.IMMEDIATE  # the digest is built for account holders; an address alone may only opt out
    return choice


def set_preference(*, kind: str, choice: str, user=None, email: str = "") -> Preference | None:
    """Record a person's choice for ``kind`` (an account, or an address without one). A kind that may not be
    turned off keeps no choice."""
    found = get_kind(kind)
    if not found.optional:
        return None
    if choice not in Preference.Choice.values:
        raise ValueError(choice)
    if user is not None:
        pref, _created = Preference.objects.update_or_create(
            user=user, kind=kind, defaults={"choice": choice}
        )
    else:
        pref, _created = Preference.objects.update_or_create(
            user=None, email=email.strip().lower(), kind=kind, defaults={"choice": choice}
        )
    return pref


def preferences_of(user) -> dict[str, str]:
    return dict(Preference.objects.filter(user=user).values_list("kind", "choice"))


# --- unsubscribe links ------------------------------------------------------------------------------------


def unsubscribe_token(*, kind: str, user=None, email: str = "") -> str:
    payload: dict[str, Any] = {"k": kind}
    if user is not None:
        payload["u"] = user.pk
    else:
        payload["e"] = email.strip().lower()
    return signing.dumps(payload, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> dict[str, Any]:
    """The payload of a valid link; raises signing.BadSignature (tampered) or SignatureExpired (too old)."""
    payload = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=UNSUBSCRIBE_MAX_AGE)
    if not isinstance(payload, dict) or not isinstance(payload.get("k"), str):
        raise signing.BadSignature("malformed")
    return payload


def unsubscribe_url(*, kind: str, user=None, email: str = "") -> str:
    token = unsubscribe_token(kind=kind, user=user, email=email)
    return absolute_url(reverse("notifications:unsubscribe", kwargs={"token": token}))


# --- notify -----------------------------------------------------------------------------------------------


def _resolve(recipients: Iterable[Any]) -> list[tuple[Any, str]]:
    """(user or None, address) per distinct address; an address that is an active account's becomes it."""
    User = get_user_model()
    users: dict[str, Any] = {}
    bare: list[str] = []
    for r in recipients:
        if isinstance(r, str):
            address = r.strip()
            if address and address.lower() not in users and address.lower() not in bare:
                bare.append(address.lower())
        elif r is not None and getattr(r, "email", ""):
            users.setdefault(r.email.lower(), r)
    if bare:
        for user in User.objects.filter(is_active=True, email__iregex=_any_of(bare)):
            users.setdefault(user.email.lower(), user)
    out = [(user, user.email) for user in users.values()]
    out += [(None, address) for address in bare if address not in users]
    return sorted(out, key=lambda pair: pair[1].lower())


def _any_of(addresses: list[str]) -> str:
    import re

    return "^(" + "|".join(re.escape(a) for a in addresses) + ")$"


def _footer(*, kind: Kind, user, email: str) -> tuple[str, str, str]:
    """(plain-text footer, HTML footer, unsubscribe URL or "")."""
    unsubscribe = unsubscribe_url(kind=kind.code, user=user, email=email) if kind.optional else ""
    context = {
        "kind": kind,
        "unsubscribe_url": unsubscribe,
        "preferences_url": absolute_url(reverse("notifications:preferences")) if user is not None else "",
    }
    _subject, text, html = render_email("notifications/emails/footer", context)
    return text, html or "", unsubscribe


def notify(
    *,
    kind: str,
    recipients: Iterable[Any],
    template: str,
    context: Mapping[str, Any],
    link: str = "",
    attachments: Sequence[Attachment] = (),
    from_email: str | None = None,
    dedup_key: str = "",
) -> list[EmailDelivery]:
    """Send the message ``template`` rendered with ``context`` to each recipient (accounts or addresses),
    as each chose for ``kind``. Rows are written in the caller's transaction; e-mails leave after its commit.

    ``link``: where the notification leads in the bell (a path or an absolute URL). ``dedup_key``: a message
    already sent with this key to this address (same kind) is not sent again (a reminder, for instance).
    Returns the e-mails queued.
    """
    found = get_kind(kind)
    people = _resolve(recipients)
    if not people:
        return []
    subject, text, html = render_email(template, context)
    if html is None:
        html = render_to_string("notifications/emails/base.html", {"subject": subject, "text": text})
    return _write(
        found=found,
        people=people,
        rendered=(subject, text, html),
        link=link,
        attachments=[_encode(a) for a in attachments],
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        dedup_key=dedup_key,
    )


def _preferences(found: Kind, people: list[tuple[Any, str]]) -> dict[Any, str]:
    """Stored choices for ``found``, keyed by user id or by (lower-cased) address: one query."""
    if not found.optional:
        return {}
    user_ids = [u.pk for u, _a in people if u is not None]
    addresses = [a.lower() for u, a in people if u is None]
    rows = Preference.objects.filter(kind=found.code).filter(
        Q(user_id__in=user_ids) | Q(user__isnull=True, email__in=addresses)
    )
    return {(row.user_id or row.email): row.choice for row in rows}


def _write(
    *,
    found: Kind,
    people: list[tuple[Any, str]],
    rendered: tuple[str, str, str],
    link: str,
    attachments: list[dict[str, str]],
    from_email: str,
    dedup_key: str,
) -> list[EmailDelivery]:
    from terreau.notifications import tasks

    subject, text, html = rendered
    prefs = _preferences(found, people)
    keys = (
        {address: f"{found.code}:{dedup_key}:{address.lower()}"[:200] for _u, address in people}
        if dedup_key
        else {}
    )
    already = (
        set(EmailDelivery.objects.filter(dedup_key__in=keys.values()).values_list("dedup_key", flat=True))
        if keys
        else set()
    )
    deliveries: list[EmailDelivery] = []
    for user, address in people:
        if keys and keys[address] in already:
            continue
        choice = choice_for(
            kind=found,
            preference=prefs.get(user.pk if user is not None else address.lower()),
            has_account=user is not None,
        )
        if choice == Channel.OFF:
            continue
        notification = None
        if not (found.secret and choice == Channel.IMMEDIATE):
            notification = Notification.objects.create(
                recipient=user,
                email="" if user is not None else address,
                kind=found.code,
                title=subject[:300],
                body=text,
                link=link[:500],
                in_digest=choice == Channel.DIGEST,
            )
        if choice == Channel.DIGEST:
            continue
        footer_text, footer_html, unsubscribe = _footer(kind=found, user=user, email=address)
        headers = {}
        if unsubscribe:
            headers = {
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            }
        delivery = EmailDelivery(
            notification=notification,
            recipient=user,
            kind=found.code,
            to_email=address,
            from_email=from_email,
            subject=subject[:300],
            text=text.rstrip("\n") + "\n\n" + footer_text,
            html=_with_footer(html, footer_html),
            attachments=attachments,
            headers=headers,
            dedup_key=keys.get(address, ""),
        )
        if keys:
            try:
                with transaction.atomic():
                    delivery.save()
            except IntegrityError:  # the same message reached this address meanwhile
                continue
        else:
            delivery.save()
        deliveries.append(delivery)
        defer(tasks.send_email, delivery_id=delivery.pk)
    return deliveries


def _with_footer(html: str, footer: str) -> str:
    marker = html.lower().rfind("</body>")
    if marker == -1:
        return html + footer
    return html[:marker] + footer + html[marker:]
