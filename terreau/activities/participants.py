"""Participants (personal data): registration with consent, everything held about a person (right of access
and portability), erasure on request and anonymisation after the retention period. The fields anonymisation
overwrites are listed once, in ANONYMISED."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from terreau.activities.hooks import holders
from terreau.activities.models import Attendance, Participant

# What anonymisation writes over a participant's personal data (erasure on request, retention period).
ANONYMISED = {"first_name": "—", "last_initial": "", "consent_by": ""}


@transaction.atomic
def participant_create(*, site, data: dict, by=None) -> Participant:
    if not data.get("consent_on"):
        raise ValidationError(
            {"consent_on": _("Le consentement de la personne est nécessaire pour l'inscrire.")}
        )
    p = Participant(site=site, **data)
    p.last_initial = (p.last_initial or "")[:1].upper()
    p.full_clean()
    p.save()
    return p


def participant_export(*, participant: Participant) -> dict:
    """Everything Terreau holds about the person (right of access and portability)."""
    rows = (
        Attendance.objects.filter(participant=participant)
        .select_related("report__session")
        .order_by("report__session__starts_at")
    )
    return {
        "prénom": participant.first_name,
        "initiale": participant.last_initial,
        "tranche_d_age": participant.get_age_band_display(),
        "site": participant.site.name,
        "programme": participant.site.program.name,
        "consentement_le": participant.consent_on.isoformat() if participant.consent_on else None,
        "consentement_recueilli_par": participant.consent_by,
        "inscription_le": timezone.localtime(participant.created_at).date().isoformat(),
        "derniere_participation": participant.last_participation_on.isoformat()
        if participant.last_participation_on
        else None,
        "anonymise_le": participant.anonymised_at.isoformat() if participant.anonymised_at else None,
        "seances": [timezone.localtime(a.report.session.starts_at).strftime("%Y-%m-%d %H:%M") for a in rows],
        # What other apps hold (the evaluation's questionnaires), described in French.
        "autres_donnees": [line for holder in holders() for line in holder.describe(participant)],
    }


@transaction.atomic
def participant_erase(*, participant: Participant, by=None, now=None) -> Participant:
    """Anonymise: the person can no longer be identified; attendance rows stay for the statistics. What other
    apps hold about the person is erased with it (terreau.activities.hooks)."""
    for holder in holders():
        holder.erase(participant)
    for name, value in ANONYMISED.items():
        setattr(participant, name, value)
    participant.anonymised_at = now or timezone.now()
    participant.save(update_fields=[*ANONYMISED, "anonymised_at", "updated_at"])
    return participant


@transaction.atomic
def enforce_retention(*, today: date | None = None) -> int:
    """Anonymise participants whose last participation is older than the retention period; returns count."""
    today = today or timezone.localdate()
    now = timezone.now()
    due = Participant.objects.due_for_anonymisation(today=today)
    ids = list(due.values_list("pk", flat=True))
    for holder in holders():
        holder.anonymise(ids)
    return Participant.objects.filter(pk__in=ids).update(**ANONYMISED, anonymised_at=now, updated_at=now)
