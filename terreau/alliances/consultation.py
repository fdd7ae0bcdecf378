"""The consultation of a territory's actors: invitations of chosen directory organisations (a private link
each, sent by e-mail through terreau.notifications), reminders to those who have not answered, and the
answers, given without an account through an invitation, the public link or the answer's own edit link.

One answer per organisation (an invited one, one picked in the directory on the public form, or a name typed
there), editable until the consultation closes. Links are random UUIDs; an unknown one, or one used after the
closing, saves nothing (the pages say why in French)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from terreau.alliances.models import (
    CONTRIBUTION_KINDS,
    PUBLICS,
    ConsultationAnswer,
    ConsultationInvitation,
    Diagnosis,
)
from terreau.core.access import actor_for
from terreau.core.french import fold_key
from terreau.core.links import absolute_url
from terreau.directory.models import Membership, Organisation
from terreau.notifications.services import notify

MAX_REMINDERS = 2
REMINDER_SPACING = timedelta(days=7)
ANSWER_FIELDS = (
    "respondent_name",
    "respondent_email",
    "themes",
    "issues",
    "publics",
    "can_bring",
    "can_bring_details",
)


class BadLink(Exception):
    """A consultation link that leads nowhere: unknown (tampered) or closed."""

    def __init__(self, reason: str, diagnosis: Diagnosis | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.diagnosis = diagnosis


def _uuid(token: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(token))
    except (ValueError, TypeError, AttributeError):
        raise BadLink("tampered") from None


def _open(diagnosis: Diagnosis) -> None:
    if not diagnosis.consultation_open:
        raise BadLink("closed", diagnosis)


def diagnosis_from_public_token(token: str) -> Diagnosis:
    try:
        diagnosis = Diagnosis.objects.select_related("branch").get(public_token=_uuid(token))
    except Diagnosis.DoesNotExist:
        raise BadLink("tampered") from None
    _open(diagnosis)
    return diagnosis


def invitation_from_token(token: str, *, must_be_open: bool = True) -> ConsultationInvitation:
    try:
        invitation = ConsultationInvitation.objects.select_related(
            "diagnosis", "diagnosis__branch", "organisation"
        ).get(token=_uuid(token))
    except ConsultationInvitation.DoesNotExist:
        raise BadLink("tampered") from None
    if must_be_open:
        _open(invitation.diagnosis)
    return invitation


def answer_from_token(token: str, *, must_be_open: bool = True) -> ConsultationAnswer:
    try:
        answer = ConsultationAnswer.objects.select_related(
            "diagnosis", "diagnosis__branch", "organisation"
        ).get(edit_token=_uuid(token))
    except ConsultationAnswer.DoesNotExist:
        raise BadLink("tampered") from None
    if must_be_open:
        _open(answer.diagnosis)
    return answer


def answer_of(invitation: ConsultationInvitation) -> ConsultationAnswer | None:
    return ConsultationAnswer.objects.filter(
        diagnosis=invitation.diagnosis, organisation=invitation.organisation
    ).first()


# --- invitations --------------------------------------------------------------------------------------


def address_of(organisation: Organisation) -> str:
    """Where an invitation goes: the organisation's contact address, else its first administrator's."""
    if organisation.email:
        return organisation.email
    membership = (
        Membership.objects.filter(organisation=organisation, user__is_active=True)
        .order_by("-role", "pk")
        .select_related("user")
        .first()
    )
    return membership.user.email if membership else ""


def _send_invitation(invitation: ConsultationInvitation, *, reminder: int = 0) -> None:
    diagnosis = invitation.diagnosis
    link = absolute_url(reverse("alliances:consultation_invited", kwargs={"token": invitation.token}))
    notify(
        kind="alliances.consultation_reminder" if reminder else "alliances.consultation_invitation",
        recipients=[invitation.email],
        template="alliances/emails/consultation_reminder"
        if reminder
        else "alliances/emails/consultation_invitation",
        context={
            "diagnosis": diagnosis,
            "organisation": invitation.organisation,
            "link": link,
            "closes_on": diagnosis.consultation_closes_on,
        },
        link=link,
        dedup_key=f"{invitation.pk}:{reminder}",
    )


@transaction.atomic
def invite(*, diagnosis: Diagnosis, organisations: Iterable[Organisation], by) -> tuple[list, list]:
    """Invite organisations of the directory (one invitation each; an invited one is not invited twice).
    The e-mail leaves now if the consultation is open, else when it opens. Returns (invited, without an
    address)."""
    if not actor_for(by).manages_branch(diagnosis.branch):
        raise PermissionDenied
    diagnosis = Diagnosis.objects.select_for_update().get(pk=diagnosis.pk)
    if diagnosis.state not in (Diagnosis.State.DRAFT, Diagnosis.State.CONSULTATION):
        raise ValidationError(_("La consultation est close : rouvrez-la pour inviter d'autres structures."))
    already = set(diagnosis.invitations.values_list("organisation_id", flat=True))
    invited, missing = [], []
    for organisation in organisations:
        if organisation.pk in already:
            continue
        email = address_of(organisation)
        if not email:
            missing.append(organisation)
            continue
        invitation = ConsultationInvitation.objects.create(
            diagnosis=diagnosis, organisation=organisation, email=email
        )
        invited.append(invitation)
        if diagnosis.consultation_open:
            _send_invitation(invitation)
            invitation.sent_at = timezone.now()
            invitation.save(update_fields=["sent_at", "updated_at"])
    return invited, missing


def send_pending_invitations(*, diagnosis: Diagnosis) -> int:
    """Send the invitations not sent yet (when the consultation opens). The caller holds the transaction."""
    count = 0
    for invitation in diagnosis.invitations.filter(sent_at=None).select_related("organisation"):
        _send_invitation(invitation)
        invitation.sent_at = timezone.now()
        invitation.save(update_fields=["sent_at", "updated_at"])
        count += 1
    return count


def send_reminders(*, now=None) -> int:
    """Remind the invitees of open consultations who have not answered: at most MAX_REMINDERS times, each
    REMINDER_SPACING after the invitation or the last reminder. Idempotent (one e-mail per reminder)."""
    now = now or timezone.now()
    due = now - REMINDER_SPACING
    count = 0
    pending = ConsultationInvitation.objects.filter(
        diagnosis__state=Diagnosis.State.CONSULTATION, sent_at__lte=due, reminders__lt=MAX_REMINDERS
    ).exclude(last_reminded_at__gt=due)
    for pk in pending.values_list("pk", flat=True):
        with transaction.atomic():
            invitation = (
                ConsultationInvitation.objects.select_for_update()
                .select_related("diagnosis", "organisation")
                .get(pk=pk)
            )
            if answer_of(invitation) is not None or invitation.reminders >= MAX_REMINDERS:
                continue
            closes = invitation.diagnosis.consultation_closes_on
            if closes is not None and closes < timezone.localdate(now):
                continue
            invitation.reminders += 1
            invitation.last_reminded_at = now
            invitation.save(update_fields=["reminders", "last_reminded_at", "updated_at"])
            _send_invitation(invitation, reminder=invitation.reminders)
            count += 1
    return count


# --- answers ------------------------------------------------------------------------------------------


def _clean(data: Mapping[str, Any]) -> dict[str, Any]:
    from terreau.vocabulary import THEMES

    cleaned = {
        "respondent_name": str(data.get("respondent_name", "")).strip()[:150],
        "respondent_email": str(data.get("respondent_email", "")).strip()[:254],
        "issues": str(data.get("issues", "")).strip()[:4000],
        "can_bring_details": str(data.get("can_bring_details", "")).strip()[:2000],
        "themes": [t for t in dict.fromkeys(data.get("themes") or []) if t in THEMES],
        "publics": [p for p in dict.fromkeys(data.get("publics") or []) if p in PUBLICS],
        "can_bring": [c for c in dict.fromkeys(data.get("can_bring") or []) if c in CONTRIBUTION_KINDS],
    }
    if not cleaned["respondent_name"] or not cleaned["respondent_email"]:
        raise ValidationError(_("Indiquez votre nom et votre adresse électronique."))
    if not (cleaned["issues"] or cleaned["themes"]):
        raise ValidationError(_("Dites-nous au moins un enjeu que vous voyez sur le territoire."))
    return cleaned


def _already_answered() -> ValidationError:
    return ValidationError(
        _(
            "Cette structure a déjà répondu à la consultation. Pour modifier sa réponse, utilisez le lien "
            "de modification envoyé à la personne qui a répondu."
        )
    )


def _receipt(answer: ConsultationAnswer) -> None:
    """E-mail the respondent their edit link (after the commit, through the notifications outbox)."""
    link = absolute_url(reverse("alliances:consultation_edit", kwargs={"token": answer.edit_token}))
    notify(
        kind="alliances.consultation_receipt",
        recipients=[answer.respondent_email],
        template="alliances/emails/consultation_receipt",
        context={"answer": answer, "diagnosis": answer.diagnosis, "link": link},
        link=link,
        dedup_key=f"answer:{answer.pk}",
    )


@transaction.atomic
def answer_submit(
    *,
    diagnosis: Diagnosis,
    data: Mapping[str, Any],
    organisation: Organisation | None = None,
    organisation_name: str = "",
) -> ConsultationAnswer:
    """A new answer (invitation or public link). One per organisation: a directory organisation, or a typed
    name (compared without case nor accents)."""
    diagnosis = Diagnosis.objects.select_for_update().get(pk=diagnosis.pk)
    if not diagnosis.consultation_open:
        raise ValidationError(_("La consultation est close : votre réponse n'a pas été enregistrée."))
    cleaned = _clean(data)
    if organisation is not None:
        name = organisation.name
        if diagnosis.answers.filter(organisation=organisation).exists():
            raise _already_answered()
    else:
        name = organisation_name.strip()[:200]
        if not name:
            raise ValidationError(_("Choisissez votre structure dans l'annuaire ou écrivez son nom."))
        key = fold_key(name)
        taken = diagnosis.answers.values_list("organisation_name", flat=True)
        if any(fold_key(other) == key for other in taken):
            raise _already_answered()
        match = Organisation.objects.filter(name__iexact=name, branch=diagnosis.branch).first()
        if match is not None:
            if diagnosis.answers.filter(organisation=match).exists():
                raise _already_answered()
            organisation = match
    try:
        with transaction.atomic():
            answer = ConsultationAnswer.objects.create(
                diagnosis=diagnosis, organisation=organisation, organisation_name=name, **cleaned
            )
    except IntegrityError:
        raise _already_answered() from None
    _receipt(answer)
    return answer


@transaction.atomic
def answer_update(*, answer: ConsultationAnswer, data: Mapping[str, Any]) -> ConsultationAnswer:
    """Change an answer through its edit link or by a member of its organisation, until the closing."""
    Diagnosis.objects.select_for_update().filter(pk=answer.diagnosis_id).first()
    answer = ConsultationAnswer.objects.select_related("diagnosis").get(pk=answer.pk)
    if not answer.diagnosis.consultation_open:
        raise ValidationError(_("La consultation est close : la réponse ne peut plus être modifiée."))
    for name, value in _clean(data).items():
        setattr(answer, name, value)
    answer.save()
    return answer


def rates(diagnosis: Diagnosis) -> dict[str, int]:
    """Invitations sent, answered (by an invited organisation), answers in all, and the answer rate (%)."""
    invited = diagnosis.invitations.count()
    invited_orgs = diagnosis.invitations.values("organisation_id")
    answered = diagnosis.answers.filter(organisation_id__in=invited_orgs).count()
    return {
        "invited": invited,
        "answered_invited": answered,
        "answers": diagnosis.answers.count(),
        "rate": round(100 * answered / invited) if invited else 0,
        "ballots": diagnosis.ballots.count(),
    }
