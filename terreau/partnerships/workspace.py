"""The partnership's workspace: its thread, its next steps and its documents (every change goes through here).

The members of either partner and the branch's staff write in it; the views check that through
terreau.core.access before calling these functions, which check the rest (who may own a step, files).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from terreau.core.links import absolute_url
from terreau.core.uploads import check_document
from terreau.directory.models import Membership, Organisation
from terreau.notifications.services import notify
from terreau.partnerships.models import (
    ContactRequest,
    Partnership,
    PartnershipDocument,
    PartnershipMessage,
    PartnershipStep,
)

MESSAGE_MAX_LENGTH = 5000


def _user(by: Any):
    return by if getattr(by, "is_authenticated", False) else None


def side_of(partnership: Partnership, user: Any) -> Organisation | None:
    """The partner the user writes for (the first, by name, they are a member of); None for staff."""
    if _user(user) is None:
        return None
    return partnership.partners.filter(memberships__user=user).order_by("name", "pk").first()


def partners_members(partnership: Partnership) -> QuerySet:
    """The active accounts of the partners' members: who may own a next step."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            pk__in=Membership.objects.filter(organisation__partnerships=partnership).values("user_id"),
        )
        .order_by("last_name", "first_name", "pk")
    )


def open_thread(*, partnership: Partnership, request: ContactRequest, by: Any = None) -> None:
    """The request's message and its answer become the first messages of the partnership's thread."""
    rows = []
    if request.message:
        rows.append(
            PartnershipMessage(
                partnership=partnership,
                author=request.sent_by,
                organisation=request.sender,
                body=request.message,
                created_at=request.created_at,
            )
        )
    if request.answer:
        rows.append(
            PartnershipMessage(
                partnership=partnership,
                author=_user(by),
                organisation=request.recipient,
                body=request.answer,
                created_at=request.answered_at or timezone.now(),
            )
        )
    PartnershipMessage.objects.bulk_create(rows)


def _emails(organisations, *, besides: Any) -> list[str]:
    users = Membership.objects.filter(organisation__in=organisations, user__is_active=True)
    if _user(besides) is not None:
        users = users.exclude(user=besides)
    return sorted(set(users.values_list("user__email", flat=True)))


@transaction.atomic
def message_post(*, partnership: Partnership, body: str, by: Any) -> PartnershipMessage:
    """Add a message to the thread; the other side's members (both sides' when staff write) are e-mailed
    after the commit."""
    body = (body or "").strip()
    if not body:
        raise ValidationError(_("Écrivez votre message avant de l'envoyer."))
    if len(body) > MESSAGE_MAX_LENGTH:
        raise ValidationError(
            _("Message trop long : %(max)s caractères au maximum.") % {"max": MESSAGE_MAX_LENGTH}
        )
    side = side_of(partnership, by)
    message = PartnershipMessage.objects.create(
        partnership=partnership, author=_user(by), organisation=side, body=body
    )
    others = partnership.partners.exclude(pk=side.pk) if side is not None else partnership.partners.all()
    path = reverse("partnerships:detail", args=[partnership.pk])
    link = absolute_url(path)
    for organisation in others.order_by("name", "pk"):  # one e-mail per person: no address crosses sides
        recipients = _emails([organisation], besides=by)
        if recipients:
            context = {"partnership": partnership, "message": message, "side": side, "link": link}
            notify(
                kind="partnerships.message",
                recipients=recipients,
                template="partnerships/emails/message_posted",
                context=context,
                link=path,
            )
    return message


def step_add(
    *, partnership: Partnership, title: str, owner: Any = None, due_date: date | None = None, by: Any
) -> PartnershipStep:
    """A next step, owned by one of the partners' members, due on a date."""
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("Indiquez l'action à mener."))
    if owner is not None and not partners_members(partnership).filter(pk=owner.pk).exists():
        raise ValidationError(_("Le responsable doit être membre de l'une des structures partenaires."))
    return PartnershipStep.objects.create(
        partnership=partnership, title=title[:200], owner=owner, due_date=due_date, created_by=_user(by)
    )


@transaction.atomic
def step_set_done(*, step: PartnershipStep, done: bool) -> PartnershipStep:
    step = PartnershipStep.objects.select_for_update().get(pk=step.pk)
    step.done_at = (step.done_at or timezone.now()) if done else None
    step.save(update_fields=["done_at", "updated_at"])
    return step


def document_add(*, partnership: Partnership, title: str, upload: Any, by: Any) -> PartnershipDocument:
    """Store a document after checking its type, size and first bytes (terreau.core.uploads)."""
    content_type = check_document(upload)
    name = getattr(upload, "name", "") or ""
    return PartnershipDocument.objects.create(
        partnership=partnership,
        title=((title or "").strip() or name)[:200],
        file=upload,
        content_type=content_type,
        size=upload.size,
        uploaded_by=_user(by),
    )
