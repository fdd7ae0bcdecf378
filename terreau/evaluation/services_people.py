"""The evaluation's services for people and links: respondents (pseudonymous codes, enrolment of the consenting
participants, erasure), collection links and share links. Re-exported by terreau.evaluation.services, where
callers import them from.

Keyword-only, transactional, French ValidationError. Respondents are managed by the program's coordinators and
evaluators only (the views check it through terreau.core.access).
"""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from terreau.core.audit import Action, audit_record
from terreau.evaluation.models import Audience, Evaluation, ShareLink, Wave
from terreau.evaluation.response_models import CollectionLink, Respondent

# No 0/O, 1/I/L: a code read aloud or copied from paper is not mistaken.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def _by(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


def _text(value: Any, *, limit: int, label: str, required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError(_("Indiquez %(label)s.") % {"label": label})
    if len(text) > limit:
        raise ValidationError(
            _("%(label)s : %(limit)s caractères au plus.") % {"label": label.capitalize(), "limit": limit}
        )
    return text


def _locked_evaluation(evaluation: Evaluation) -> Evaluation:
    return Evaluation.objects.select_for_update().get(pk=evaluation.pk)


# --- respondents --------------------------------------------------------------------------------------------


def new_respondent_code(*, evaluation: Evaluation | None = None) -> str:
    """A personal code such as "K7Q2-9MXA" (no 0/O or 1/I/L), unused in ``evaluation`` (with or without its
    dash)."""
    while True:
        plain = "".join(secrets.choice(CODE_ALPHABET) for _i in range(8))
        code = f"{plain[:4]}-{plain[4:]}"
        if (
            evaluation is None
            or not Respondent.objects.filter(evaluation=evaluation, code__in=[code, plain]).exists()
        ):
            return code


def _site_of(evaluation: Evaluation, site: Any) -> Any:
    if site is not None and site.program_id != evaluation.program_id:
        raise ValidationError(_("Ce site n'appartient pas au programme évalué."))
    return site


def respondent_create(
    *,
    evaluation: Evaluation,
    audience: str,
    site: Any = None,
    age_band: str = Respondent.AgeBand.UNKNOWN,
    participant: Any = None,
    consent_on: datetime.date | None = None,
    consent_by: str = "",
    enrolled: bool = True,
    is_demo: bool = False,
) -> Respondent:
    """A new respondent with a fresh personal code (never a name)."""
    if audience not in evaluation.audiences:
        raise ValidationError(_("Ce public n'est pas interrogé par cette évaluation."))
    if age_band not in Respondent.AgeBand.values:
        raise ValidationError(_("Tranche d'âge inconnue."))
    site = _site_of(evaluation, site)
    if participant is not None:
        if participant.site.program_id != evaluation.program_id:
            raise ValidationError(_("Cette personne ne participe pas au programme évalué."))
        if participant.consent_on is None or participant.anonymised_at is not None:
            raise ValidationError(
                _("Cette personne n'a pas donné son accord : elle ne peut pas être inscrite.")
            )
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Respondent.objects.create(
                    evaluation=evaluation,
                    code=new_respondent_code(evaluation=evaluation),
                    audience=audience,
                    site=site,
                    age_band=age_band,
                    participant=participant,
                    enrolled=enrolled,
                    consent_on=consent_on,
                    consent_by=_text(consent_by, limit=150, label=_("la personne ayant recueilli l'accord")),
                    is_demo=is_demo,
                )
        except IntegrityError:
            if (
                participant is not None
                and Respondent.objects.filter(
                    evaluation=evaluation, participant=participant, audience=audience
                ).exists()
            ):
                raise ValidationError(_("Cette personne est déjà inscrite à cette évaluation.")) from None
    raise ValidationError(_("Le code personnel n'a pas pu être attribué : réessayez."))


def respondents_enrol_participants(*, evaluation: Evaluation, by: Any) -> int:
    """One respondent for each participant of the program's sites who consented and is not anonymised, and is
    not enrolled yet (site and age band copied); returns how many were added."""
    from terreau.activities.models import Participant

    if Audience.PARTICIPANTS not in evaluation.audiences:
        raise ValidationError(_("Cette évaluation n'interroge pas les participants."))
    if evaluation.state == Evaluation.State.CLOSED:
        raise ValidationError(_("Cette évaluation est terminée : plus personne ne peut y être inscrit."))
    with transaction.atomic():
        evaluation = _locked_evaluation(evaluation)
        enrolled = Respondent.objects.filter(
            evaluation=evaluation, audience=Audience.PARTICIPANTS, participant__isnull=False
        ).values("participant_id")
        people = (
            Participant.objects.filter(
                site__program=evaluation.program, consent_on__isnull=False, anonymised_at__isnull=True
            )
            .exclude(pk__in=enrolled)
            .select_related("site")
            .order_by("pk")
        )
        bands = set(Respondent.AgeBand.values)
        added = 0
        for person in people:
            respondent_create(
                evaluation=evaluation,
                audience=Audience.PARTICIPANTS,
                site=person.site,
                age_band=person.age_band if person.age_band in bands else Respondent.AgeBand.UNKNOWN,
                participant=person,
                consent_on=person.consent_on,
                consent_by=person.consent_by[:150],
                is_demo=evaluation.is_demo,
            )
            added += 1
    return added


def respondent_erase(*, respondent: Respondent, by: Any) -> None:
    """Delete a respondent and every answer they gave (a beneficiary's right to erasure)."""
    with transaction.atomic():
        evaluation = respondent.evaluation
        answers = sum(r.answers.count() for r in respondent.responses.all())
        audit_record(
            actor=by,
            action=Action.PERSONAL_DATA_ERASED,
            target=_("Répondant %(code)s — %(evaluation)s")
            % {"code": respondent.code, "evaluation": evaluation},
            branch_id=evaluation.program.branch_id,
            details={"evaluation": evaluation.pk, "respondent_code": respondent.code, "answers": answers},
        )
        respondent.delete()  # its responses and their answers go with it (CASCADE)


# --- collection links ---------------------------------------------------------------------------------------


def link_create(*, wave: Wave, audience: str, site: Any = None, by: Any) -> CollectionLink:
    """A link answering ``wave``'s questionnaire for ``audience`` (and ``site``); the active one if it exists."""
    evaluation = wave.evaluation
    if audience not in evaluation.audiences:
        raise ValidationError(_("Ce public n'est pas interrogé par cette évaluation."))
    site = _site_of(evaluation, site)
    if wave.state == Wave.State.CLOSED:
        raise ValidationError(_("Cette vague est close : rouvrez-la avant de créer un lien de réponse."))
    with transaction.atomic():
        Wave.objects.select_for_update().get(pk=wave.pk)
        existing = CollectionLink.objects.filter(
            wave=wave, audience=audience, site=site, revoked_at__isnull=True
        ).first()
        if existing is not None:
            return existing
        return CollectionLink.objects.create(wave=wave, audience=audience, site=site, created_by=_by(by))


def link_revoke(*, link: CollectionLink, by: Any) -> CollectionLink:
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at", "updated_at"])
    return link


# --- share links --------------------------------------------------------------------------------------------


def share_link_create(*, evaluation: Evaluation, label: str, by: Any) -> ShareLink:
    """A read-only link to the evaluation's report for a funder without an account."""
    label = _text(label, limit=150, label=_("le destinataire du lien"), required=True)
    return ShareLink.objects.create(evaluation=evaluation, label=label, created_by=_by(by))


def share_link_revoke(*, link: ShareLink, by: Any) -> ShareLink:
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.revoked_by = _by(by)
        link.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    return link
