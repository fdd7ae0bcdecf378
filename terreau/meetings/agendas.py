"""A participant's agenda of speed-meetings: their meetings, the e-mails that announce a published plan
(the final one with the agenda in iCalendar), and their feedback after each meeting, which may open a
partnership. Every write is transactional; bad input raises ValidationError with a French message."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from terreau.events.models import Registration
from terreau.meetings.models import Feedback, Meeting, SpeedMeeting
from terreau.meetings.services import agenda_url
from terreau.notifications.services import Attachment, notify

State = SpeedMeeting.State


def agenda_of(sm: SpeedMeeting, registration: Registration) -> list[Meeting]:
    from django.db.models import Q

    return list(
        sm.meetings.filter(Q(a=registration) | Q(b=registration))
        .select_related("a", "b", "a__organisation", "b__organisation")
        .order_by("round")
    )


def send_final_plan_mails(*, sm: SpeedMeeting, registrations: Iterable[Registration]) -> int:
    from terreau.meetings import calendar

    sent = 0
    for registration in registrations:
        meetings = agenda_of(sm, registration)
        context = {
            "registration": registration,
            "event": sm.event,
            "sm": sm,
            "rows": [(m, m.other(registration), sm.round_starts_at(m.round)) for m in meetings],
            "agenda_url": agenda_url(registration),
        }
        attachments = []
        if meetings:
            attachments.append(
                Attachment(
                    "rendez-vous.ics",
                    calendar.agenda_ics(sm, registration, meetings),
                    "text/calendar; charset=utf-8; method=PUBLISH",
                )
            )
        notify(
            kind="meetings.final_agenda",
            recipients=[registration.email],
            template="meetings/emails/final",
            context=context,
            link=sm.event.get_absolute_url(),
            attachments=attachments,
        )
        sent += 1
    return sent


def send_provisional_plan_mails(*, sm: SpeedMeeting, registrations: Iterable[Registration]) -> int:
    """Tell each participant that a provisional agenda is available, with the link to it."""
    sent = 0
    for registration in registrations:
        context = {
            "registration": registration,
            "event": sm.event,
            "sm": sm,
            "count": len(agenda_of(sm, registration)),
            "agenda_url": agenda_url(registration),
            "wishes_url": agenda_url(registration, "wishes"),
            "wishes_open": sm.wishes_open(),
        }
        notify(
            kind="meetings.provisional_agenda",
            recipients=[registration.email],
            template="meetings/emails/provisional",
            context=context,
            link=sm.event.get_absolute_url(),
        )
        sent += 1
    return sent


@transaction.atomic
def feedback_save(
    *,
    meeting: Meeting,
    registration: Registration,
    rating: int,
    follow_up: str,
    comment: str = "",
    by=None,
    now=None,
) -> Feedback:
    """One side rates a meeting and says what follows; "partnership" opens a Partnership (once per pair)."""
    meeting = (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("speed_meeting__event__branch", "a__organisation", "b__organisation")
        .get(pk=meeting.pk)
    )
    sm = meeting.speed_meeting
    if registration.pk not in (meeting.a_id, meeting.b_id):
        raise ValidationError(_("Vous ne pouvez donner votre avis que sur vos propres rendez-vous."))
    if sm.state != State.FINAL:
        raise ValidationError(_("Le planning n'est pas définitif : pas encore d'avis."))
    if (now or timezone.now()) < sm.round_ends_at(meeting.round):
        raise ValidationError(_("Vous pourrez donner votre avis après le rendez-vous."))
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError(_("La note va de 1 à 5."))
    if follow_up not in Feedback.FollowUp.values:
        raise ValidationError(_("Choisissez la suite à donner."))
    feedback, _created = Feedback.objects.update_or_create(
        meeting=meeting,
        registration=registration,
        defaults={"rating": rating, "follow_up": follow_up, "comment": comment.strip()[:2000], "by": by},
    )
    if follow_up == Feedback.FollowUp.PARTNERSHIP and meeting.partnership_id is None:
        from terreau.partnerships.services import partnership_open_from_meeting

        if not (meeting.a.organisation_id and meeting.b.organisation_id):
            raise ValidationError(
                _("Un partenariat relie deux structures : l'un des participants n'est rattaché à aucune.")
            )
        meeting.partnership = partnership_open_from_meeting(
            event=sm.event, first=meeting.a.organisation, second=meeting.b.organisation, by=by
        )
        meeting.save(update_fields=["partnership"])
    return feedback
