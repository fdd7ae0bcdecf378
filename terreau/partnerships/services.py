"""Contact requests and the partnership pipeline: every state move goes through these functions."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from terreau.core import states
from terreau.core.links import absolute_url
from terreau.directory.models import Membership, NeedOffer, Organisation
from terreau.notifications.services import notify
from terreau.partnerships.models import ContactRequest, Partnership
from terreau.partnerships.workspace import open_thread


def _member_emails(organisation: Organisation) -> list[str]:
    emails = list(
        Membership.objects.filter(organisation=organisation, user__is_active=True).values_list(
            "user__email", flat=True
        )
    )
    if not emails and organisation.email:
        emails = [organisation.email]
    return emails


def _notify(request: ContactRequest, *, template: str, to: list[Organisation]) -> None:
    """E-mail the members of the given organisations about a contact request (rows now, sent after the
    commit, through terreau.notifications)."""
    path = reverse("partnerships:inbox")
    link = absolute_url(path)
    for organisation in to:
        recipients = _member_emails(organisation)
        if not recipients:
            continue
        context = {"request": request, "organisation": organisation, "link": link}
        notify(
            kind="partnerships.contact_request",
            recipients=recipients,
            template=f"partnerships/emails/{template}",
            context=context,
            link=path,
        )


def contact_request_create(
    *,
    sender: Organisation,
    recipient: Organisation,
    need: NeedOffer | None,
    offer: NeedOffer | None,
    message: str = "",
    reasons: list[str] | None = None,
    by=None,
) -> ContactRequest:
    """X proposes a contact to Y about a need and an offer; Y's members are notified by e-mail."""
    if sender.pk == recipient.pk:
        raise ValidationError(_("Une structure ne peut pas se proposer un contact à elle-même."))
    for item in (need, offer):
        if item is not None and item.organisation_id not in (sender.pk, recipient.pk):
            raise ValidationError(
                _("Ce besoin ou cette ressource n'appartient à aucune des deux structures.")
            )
    try:
        with transaction.atomic():
            request = ContactRequest.objects.create(
                sender=sender,
                recipient=recipient,
                need=need,
                offer=offer,
                message=message.strip()[:2000],
                reasons=list(reasons or [])[:10],
                sent_by=by,
                expires_at=ContactRequest.default_expiry(),
            )
            states.begin(request, by=by)
            _notify(request, template="request_received", to=[recipient])
    except IntegrityError:
        raise ValidationError(_("Une demande est déjà en attente entre ces structures à ce sujet.")) from None
    return request


def _move(request: ContactRequest, *, to: str, by=None, note: str = "") -> None:
    if request.status != ContactRequest.Status.PENDING:
        raise ValidationError(_("Cette demande a déjà reçu une réponse ou a expiré."))
    states.move(request, to, by=by, note=note, also={"answered_at": timezone.now(), "answer": request.answer})


@transaction.atomic
def contact_request_accept(*, request: ContactRequest, by=None, answer: str = "") -> Partnership:
    """Y accepts: a partnership record opens at the "contact" stage, followed by the facilitators; its
    thread starts with the request's message and the answer."""
    request = ContactRequest.objects.select_for_update().get(pk=request.pk)
    request.answer = answer.strip()[:2000]
    _move(request, to=ContactRequest.Status.ACCEPTED, by=by)
    branch = request.sender.branch or request.recipient.branch
    if branch is None:
        raise ValidationError(
            _("Aucune antenne ne suit ces structures : le partenariat ne peut pas être suivi.")
        )
    partnership = Partnership.objects.create(
        branch=branch,
        title=f"{request.sender.name} × {request.recipient.name}"[:200],
        origin=Partnership.Origin.CONTACT_REQUEST,
        contact_request=request,
    )
    partnership.partners.add(request.sender, request.recipient)
    partnership.needs_offers.add(*[i for i in (request.need, request.offer) if i is not None])
    states.begin(partnership, by=by)
    open_thread(partnership=partnership, request=request, by=by)
    _notify(request, template="request_accepted", to=[request.sender, request.recipient])
    return partnership


@transaction.atomic
def contact_request_decline(*, request: ContactRequest, by=None, answer: str = "") -> None:
    request = ContactRequest.objects.select_for_update().get(pk=request.pk)
    request.answer = answer.strip()[:2000]
    _move(request, to=ContactRequest.Status.DECLINED, by=by)
    _notify(request, template="request_declined", to=[request.sender])


@transaction.atomic
def contact_request_withdraw(*, request: ContactRequest, by=None) -> None:
    request = ContactRequest.objects.select_for_update().get(pk=request.pk)
    _move(request, to=ContactRequest.Status.WITHDRAWN, by=by)


def contact_requests_expire(*, now=None) -> int:
    """Expire every request left unanswered past its deadline and tell both sides. Returns the count."""
    count = 0
    for pk in ContactRequest.objects.overdue(now=now).values_list("pk", flat=True):
        with transaction.atomic():
            request = (
                ContactRequest.objects.select_for_update().select_related("sender", "recipient").get(pk=pk)
            )
            if request.status != ContactRequest.Status.PENDING:
                continue
            _move(request, to=ContactRequest.Status.EXPIRED, note=_("Sans réponse dans le délai"))
            _notify(request, template="request_expired", to=[request.sender, request.recipient])
            count += 1
    return count


@transaction.atomic
def partnership_set_stage(*, partnership: Partnership, to: str, by=None, note: str = "") -> None:
    partnership = Partnership.objects.select_for_update().get(pk=partnership.pk)
    states.move(partnership, to, by=by, note=note)


@transaction.atomic
def partnership_open_from_meeting(
    *, event, first: Organisation, second: Organisation, by=None
) -> Partnership:
    """A meeting of an event (speed-meeting) leads to a partnership: open it in the event's branch pipeline,
    once per pair of organisations and event (the existing record is returned otherwise)."""
    type(event).objects.select_for_update().filter(pk=event.pk).first()  # one opening at a time per event
    existing = (
        Partnership.objects.filter(origin=Partnership.Origin.EVENT, events=event, partners=first)
        .filter(partners=second)
        .first()
    )
    if existing is not None:
        return existing
    partnership = Partnership.objects.create(
        branch=event.branch,
        title=f"{first.name} × {second.name}"[:200],
        origin=Partnership.Origin.EVENT,
        notes=_("Issu des rendez-vous d'affaires « %(event)s ».") % {"event": event.title},
    )
    partnership.partners.add(first, second)
    event.partnerships.add(partnership)
    states.begin(partnership, by=by)
    return partnership
