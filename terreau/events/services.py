"""Every change to events and registrations goes through these functions.

Capacity is never overbooked: a seat is granted only inside transaction.atomic() after locking the Event
row with select_for_update() (PostgreSQL); on SQLite the project opens IMMEDIATE transactions, which
serialise writers. Mails leave after the commit.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from terreau.core import states
from terreau.core.links import absolute_url
from terreau.core.uploads import check_document
from terreau.directory.models import Organisation, OrganisationKind
from terreau.events import ics, tokens
from terreau.events.models import Event, Registration, WorkshopDocument, WorkshopItem
from terreau.notifications.services import Attachment, notify

S = Registration.Status


def manage_url(registration: Registration) -> str:
    return absolute_url(
        reverse("events:registration", kwargs={"token": tokens.make_token(registration.pk, "manage")})
    )


def checkin_url(registration: Registration) -> str:
    return absolute_url(
        reverse("events:qr_checkin", kwargs={"token": tokens.make_token(registration.pk, "checkin")})
    )


# --- state moves -------------------------------------------------------------------------------------


def _move(registration: Registration, *, to: str, by=None, note: str = "") -> None:
    """Change the state and record it (the caller holds the transaction and the event lock)."""
    also = {"waitlisted_at": timezone.now()} if to == S.WAITLISTED else {}
    states.move(registration, to, by=by, note=note, also=also)


def _lock(event: Event) -> Event:
    return Event.objects.select_for_update(of=("self",)).select_related("branch").get(pk=event.pk)


def _seat_or_waitlist(event: Event, registration: Registration, *, by=None, note: str = "") -> None:
    """Give a seat if one is left, otherwise the waiting list (event row locked by the caller)."""
    if event.seats_taken() < event.capacity:
        _move(registration, to=S.CONFIRMED, by=by, note=note)
        _mail_on_commit(registration, "confirmed", with_ics=True)
    else:
        _move(registration, to=S.WAITLISTED, by=by, note=note)
        _mail_on_commit(registration, "waitlisted")


def _promote(event: Event, *, by=None) -> list[Registration]:
    """Give free seats to the first people of the waiting list (event row locked by the caller)."""
    promoted = []
    free = event.capacity - event.seats_taken()
    if free <= 0:
        return promoted
    queue = event.registrations.filter(status=S.WAITLISTED).order_by("waitlisted_at", "pk")[:free]
    for registration in queue:
        _move(registration, to=S.CONFIRMED, by=by, note=_("Promotion depuis la liste d'attente"))
        _mail_on_commit(registration, "promoted", with_ics=True)
        promoted.append(registration)
    return promoted


def check_audience(event: Event, organisation: Organisation | None, side: str = "") -> None:
    """Refuses a registrant outside the event's audience: the organisation's kind decides, else the side
    declared without one (Registration.Side values are OrganisationKind values)."""
    kind = organisation.kind if organisation is not None else side
    if not kind or event.audience == Event.Audience.EVERYONE:
        return
    if event.audience == Event.Audience.ASSOCIATIONS and kind == OrganisationKind.COMPANY:
        raise ValidationError(_("Cette rencontre est réservée aux associations."))
    if event.audience == Event.Audience.COMPANIES and kind != OrganisationKind.COMPANY:
        raise ValidationError(_("Cette rencontre est réservée aux entreprises."))


def registration_create(
    *,
    event: Event,
    name: str,
    email: str,
    organisation: Organisation | None = None,
    organisation_name: str = "",
    side: str = "",
    user=None,
    now=None,
) -> Registration:
    """Register someone. With a signed-in user whose account e-mail is used, the seat (or the waiting
    list) is decided at once; otherwise the person first confirms their address by e-mail. `side` is the
    side declared without an organisation (Registration.Side, bipartite speed-meetings); an organisation's
    kind takes precedence, so it is not kept then."""
    email = email.strip().lower()
    name = name.strip()
    if not name or not email:
        raise ValidationError(_("Indiquez votre nom et votre adresse e-mail."))
    if side and side not in Registration.Side.values:
        raise ValidationError(
            _("Choix invalide : indiquez si vous représentez une association, une entreprise ou autre.")
        )
    now = now or timezone.now()
    check_audience(event, organisation, side)
    verified = user is not None and user.is_authenticated and user.email.lower() == email
    resend = None
    try:
        with transaction.atomic():
            event = _lock(event)
            if not event.is_published:
                raise ValidationError(_("Cette rencontre n'est pas ouverte aux inscriptions."))
            if now > event.deadline:
                raise ValidationError(_("Les inscriptions sont closes : la date limite est dépassée."))
            existing = event.registrations.filter(email=email, status__in=Registration.ACTIVE).first()
            if existing is not None and existing.status != S.PENDING:
                raise ValidationError(_("Cette adresse e-mail est déjà inscrite à cette rencontre."))
            if existing is not None and verified:
                # The account holder confirms their own earlier, unconfirmed registration.
                _seat_or_waitlist(event, existing, by=user, note=_("Confirmée depuis le compte"))
                return existing
            if existing is not None:
                resend = existing
            else:
                registration = Registration.objects.create(
                    event=event,
                    user=user if user is not None and user.is_authenticated else None,
                    name=name[:150],
                    email=email,
                    organisation=organisation,
                    organisation_name="" if organisation else organisation_name.strip()[:200],
                    side="" if organisation else side,
                    status=S.PENDING,
                )
                states.begin(registration, by=registration.user)
                if verified:
                    _seat_or_waitlist(event, registration, by=user)
                else:
                    _mail_on_commit(registration, "confirm_request")
    except IntegrityError:
        # A concurrent request registered the same address first (unique active registration).
        raise ValidationError(_("Cette adresse e-mail est déjà inscrite à cette rencontre.")) from None
    if resend is not None:
        send_registration_mail(resend, "confirm_request")
        raise ValidationError(
            _(
                "Une inscription avec cette adresse attend déjà sa confirmation : "
                "nous vous avons renvoyé le courriel de confirmation."
            )
        )
    return registration


def registration_confirm(*, registration: Registration, now=None) -> Registration:
    """The person followed the e-mail link: a seat if one is left, otherwise the waiting list."""
    now = now or timezone.now()
    with transaction.atomic():
        event = _lock(registration.event)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status != S.PENDING:
            return registration  # already confirmed (link opened twice): nothing changes
        if now > event.ends_at:
            raise ValidationError(
                _("Cette rencontre est terminée : l'inscription ne peut plus être confirmée.")
            )
        _seat_or_waitlist(event, registration, by=registration.user, note=_("Adresse e-mail confirmée"))
    return registration


def registration_cancel(*, registration: Registration, by=None) -> Registration:
    """Cancel; a freed seat goes to the first person on the waiting list, who is told by e-mail."""
    with transaction.atomic():
        event = _lock(registration.event)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status == S.CANCELLED:
            return registration
        if registration.status == S.ATTENDED:
            raise ValidationError(_("Une présence constatée ne peut pas être annulée."))
        _move(registration, to=S.CANCELLED, by=by)
        _mail_on_commit(registration, "cancelled")
        _promote(event, by=by)
    return registration


def registration_check_in(*, registration: Registration, by) -> Registration:
    """Mark a confirmed person present at the door (idempotent)."""
    with transaction.atomic():
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status == S.ATTENDED:
            return registration
        if registration.status != S.CONFIRMED:
            raise ValidationError(
                _("%(name)s n'a pas de place confirmée (%(status)s) : vérifiez avant de l'accueillir.")
                % {"name": registration.name, "status": registration.get_status_display()}
            )
        _move(registration, to=S.ATTENDED, by=by, note=_("Accueil"))
        registration.attended_at = timezone.now()
        registration.checked_in_by = by
        registration.save(update_fields=["attended_at", "checked_in_by", "updated_at"])
    return registration


def registration_undo_check_in(*, registration: Registration, by) -> Registration:
    with transaction.atomic():
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status != S.ATTENDED:
            return registration
        _move(registration, to=S.CONFIRMED, by=by, note=_("Présence annulée à l'accueil"))
        registration.attended_at = None
        registration.save(update_fields=["attended_at", "updated_at"])
    return registration


# --- events ----------------------------------------------------------------------------------------


def _unique_slug(title: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(title)[:200] or "rencontre"
    slug, n = base, 2
    # Words used by the section's own addresses (/rencontres/nouvelle/, /rencontres/inscription/...).
    while slug in {"nouvelle", "inscription", "presence"} or (
        Event.objects.filter(slug=slug).exclude(pk=exclude_pk).exists()
    ):
        slug, n = f"{base}-{n}", n + 1
    return slug


def event_save(*, event: Event, themes=None, organisers=None, partnerships=None, by=None) -> Event:
    """Create or update an event (validated by its form); a larger capacity promotes waitlisted people."""
    with transaction.atomic():
        if not event.slug:
            event.slug = _unique_slug(event.title)
        creating = event.pk is None
        event.full_clean()
        event.save()
        if themes is not None:
            event.themes.set(themes)
        if organisers is not None:
            event.organisers.set(organisers)
        elif creating and by is not None:
            event.organisers.add(by)
        if partnerships is not None:
            event.partnerships.set(partnerships)
        if not creating:
            _promote(_lock(event), by=by)
    return event


def workshop_item_add(
    *, event: Event, kind: str, text: str, themes=(), partnerships=(), by=None
) -> WorkshopItem:
    text = text.strip()
    if not text:
        raise ValidationError(_("Le texte est vide."))
    if kind not in WorkshopItem.Kind.values:
        raise ValidationError(_("Type de point inconnu."))
    with transaction.atomic():
        last = (
            event.workshop_items.filter(kind=kind).order_by("-order").values_list("order", flat=True).first()
        )
        item = WorkshopItem.objects.create(
            event=event, kind=kind, text=text[:5000], order=(last or 0) + 1, created_by=by
        )
        item.themes.set(themes)
        item.partnerships.set(partnerships)
    return item


def workshop_document_add(*, event: Event, title: str, upload, by=None) -> WorkshopDocument:
    """Store an uploaded document after checking its size and type (extension and content)."""
    content_type = check_document(upload)
    with transaction.atomic():
        return WorkshopDocument.objects.create(
            event=event,
            title=(title.strip() or upload.name)[:200],
            file=upload,
            content_type=content_type,
            size=upload.size,
            uploaded_by=by,
        )


# --- e-mails ---------------------------------------------------------------------------------------


def _mail_on_commit(registration: Registration, template: str, *, with_ics: bool = False) -> None:
    # The message is written in the caller's transaction and leaves after its commit (notify).
    send_registration_mail(registration, template, with_ics=with_ics)


def send_registration_mail(registration: Registration, template: str, *, with_ics: bool = False) -> None:
    """The registration's e-mail ``template`` (events/emails/), through terreau.notifications."""
    event = registration.event
    context = {
        "registration": registration,
        "event": event,
        "event_url": absolute_url(event.get_absolute_url()),
        "manage_url": manage_url(registration),
        "cancel_url": manage_url(registration) + "annuler/",
        "confirm_url": absolute_url(
            reverse("events:confirm", kwargs={"token": tokens.make_token(registration.pk, "confirm")})
        ),
        "start": timezone.localtime(event.starts_at),
        "end": timezone.localtime(event.ends_at),
    }
    attachments = []
    if with_ics:
        attachments.append(
            Attachment("rencontre.ics", ics.event_ics(event), "text/calendar; charset=utf-8; method=PUBLISH")
        )
    reminder = template == "reminder"
    notify(
        kind="events.reminder" if reminder else "events.registration",
        recipients=[registration.email],
        template=f"events/emails/{template}",
        context=context,
        link=event.get_absolute_url(),
        attachments=attachments,
        dedup_key=f"registration-{registration.pk}" if reminder else "",
    )


def send_reminders(*, now=None) -> int:
    """Remind confirmed people of events starting in 24 to 48 hours, once each (cron, daily or hourly)."""
    now = now or timezone.now()
    events = Event.objects.filter(is_published=True).starting_between(
        now + timedelta(hours=24), now + timedelta(hours=48)
    )
    sent = 0
    for event in events.select_related("branch"):
        while True:
            with transaction.atomic():
                batch = list(
                    event.registrations.select_for_update(skip_locked=True)
                    .filter(status=S.CONFIRMED, reminded_at__isnull=True)
                    .order_by("pk")[:100]
                )
                if not batch:
                    break
                for registration in batch:
                    send_registration_mail(registration, "reminder", with_ics=True)
                    registration.reminded_at = now
                    registration.save(update_fields=["reminded_at"])
                    sent += 1
    return sent
