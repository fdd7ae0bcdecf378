"""Weekly sessions: editing, ending or deleting one, its occurrences to come following (moved, updated or
cancelled), the volunteers no longer available released, and everyone concerned told after commit."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from terreau.activities import stats
from terreau.activities.models import Mission, RecurringSession, Session, SessionReport
from terreau.activities.planning import release_unavailable
from terreau.activities.sessions import local_dt, monday_of, when_label
from terreau.core import states
from terreau.core.links import absolute_url
from terreau.notifications.services import notify

log = logging.getLogger(__name__)

RECURRING_FIELDS = (
    "site",
    "weekday",
    "start_time",
    "duration_minutes",
    "volunteers_needed",
    "starts_on",
    "ends_on",
)


@dataclass
class OccurrencesOutcome:
    """What a change to a weekly session did to its occurrences to come (still planned, without a report)."""

    moved: list[tuple[str, Session]] = field(default_factory=list)  # (former date and time, session)
    updated: list[Session] = field(default_factory=list)  # same time, new duration or volunteers needed
    cancelled: list[Session] = field(default_factory=list)
    kept: int = 0  # occurrences after the end that have a report: history, left as they are
    # Volunteers taken off an occurrence that moved or grew longer: no longer available then (places to fill).
    released: list[tuple[Session, Mission]] = field(default_factory=list)


def recurring_is_unused(*, recurring: RecurringSession) -> bool:
    """No occurrence was ever generated from the weekly session: it may be deleted outright."""
    return not Session.objects.filter(recurring=recurring).exists()


def _value(obj, name: str):
    value = getattr(obj, name)
    return getattr(value, "pk", value)


@transaction.atomic
def recurring_update(
    *, recurring: RecurringSession, changes: dict[str, Any], by=None, now: datetime | None = None
) -> OccurrencesOutcome:
    """Change a weekly session; its occurrences to come (planned, no report) follow.

    They move to the new day and time within their own week and take the new duration and number of
    volunteers; those that fall outside the new period, or whose new time of the week is already past, are
    cancelled with the reason. Replacements (session_replace) keep their own date and time. Held, reported
    and cancelled occurrences are history and stay as they are. The site cannot change once occurrences
    exist (their reports and figures belong to that site).

    Volunteers of an occurrence that moved or grew longer who no longer meet the planner's rules there
    (mission dates, availability, weekly hours, another session at that time) are taken off it and told,
    and so is the program's coordination (``released``: the places to fill by planning again).
    """
    unknown = set(changes) - set(RECURRING_FIELDS)
    if unknown:
        raise ValueError(f"not a weekly session field: {sorted(unknown)}")
    now = now or timezone.now()
    rec = RecurringSession.objects.select_for_update().get(pk=recurring.pk)
    changed = {name for name, value in changes.items() if _value(rec, name) != getattr(value, "pk", value)}
    if "site" in changed and not recurring_is_unused(recurring=rec):
        raise ValidationError(
            {
                "site": _(
                    "Des séances ont déjà été créées à partir de cette séance hebdomadaire : arrêtez-la et "
                    "créez-en une autre sur le nouveau site."
                )
            }
        )
    for name in changed:
        setattr(rec, name, changes[name])
    if rec.ends_on is not None and rec.starts_on is not None and rec.ends_on < rec.starts_on:
        raise ValidationError({"ends_on": _("La fin doit suivre le début.")})
    rec.full_clean()
    if not changed:
        return OccurrencesOutcome()
    rec.save()
    outcome = _sync_occurrences(
        rec,
        changed=changed,
        now=now,
        reason=_("Hors de la nouvelle période de la séance hebdomadaire"),
        by=by,
    )
    retimed = [s for _old, s in outcome.moved]
    if "duration_minutes" in changed:
        retimed += outcome.updated
    outcome.released = release_unavailable(retimed)
    log.info(
        "weekly session %s changed (%s) by %s: %s moved, %s updated, %s cancelled, %s places released",
        rec.pk,
        ", ".join(sorted(changed)),
        getattr(by, "pk", None),
        len(outcome.moved),
        len(outcome.updated),
        len(outcome.cancelled),
        len(outcome.released),
    )
    if outcome.moved or outcome.cancelled:
        lines = [_("La séance hebdomadaire %(slot)s change.") % {"slot": str(rec)}]
        lines += [
            _("Séance déplacée : %(old)s → %(new)s") % {"old": old, "new": when_label(s)}
            for old, s in outcome.moved
        ]
        lines += [
            _("Séance annulée : %(when)s (%(reason)s)") % {"when": when_label(s), "reason": s.cancel_reason}
            for s in outcome.cancelled
        ]
        _notify_all(
            rec.site,
            [s for _old, s in outcome.moved] + outcome.cancelled,
            _("Séance hebdomadaire modifiée : %(site)s") % {"site": rec.site.name},
            "\n".join(lines) + "\n",
        )
    if outcome.released:
        _notify_released(rec, outcome.released)
    return outcome


@transaction.atomic
def recurring_end(
    *, recurring: RecurringSession, stop_from: date, reason: str = "", by=None, now: datetime | None = None
) -> OccurrencesOutcome:
    """Stop a weekly session from ``stop_from`` on (its last day becomes the day before).

    Its occurrences from then on that are still planned without a report, replacements included, are
    cancelled with the reason (history: they stay, with their volunteers); those with a report are kept and
    counted in ``kept``.
    """
    now = now or timezone.now()
    rec = RecurringSession.objects.select_for_update().get(pk=recurring.pk)
    if stop_from < timezone.localdate(now):
        raise ValidationError(
            {
                "stop_from": _(
                    "Choisissez aujourd'hui ou une date à venir : les séances passées restent dans l'historique."
                )
            }
        )
    if rec.ends_on is not None and stop_from > rec.ends_on:
        raise ValidationError(
            {
                "stop_from": _(
                    "Cette séance hebdomadaire se termine déjà le %(day)s : choisissez une date antérieure."
                )
                % {"day": f"{rec.ends_on:%d/%m/%Y}"}
            }
        )
    rec.ends_on = stop_from - timedelta(days=1)
    rec.save(update_fields=["ends_on", "updated_at"])
    text = _("Séance hebdomadaire arrêtée à partir du %(day)s") % {"day": f"{stop_from:%d/%m/%Y}"}
    if (reason or "").strip():
        text = f"{text} : {reason.strip()}"
    outcome = _sync_occurrences(rec, changed={"ends_on"}, now=now, reason=text, by=by)
    outcome.kept = (
        Session.objects.filter(recurring=rec, starts_at__gte=local_dt(stop_from, time.min))
        .filter(pk__in=SessionReport.objects.values("session_id"))
        .count()
    )
    log.info(
        "weekly session %s ended from %s by %s: %s cancelled, %s kept",
        rec.pk,
        stop_from,
        getattr(by, "pk", None),
        len(outcome.cancelled),
        outcome.kept,
    )
    if outcome.cancelled:
        _notify_all(
            rec.site,
            outcome.cancelled,
            _("Séance hebdomadaire arrêtée : %(site)s") % {"site": rec.site.name},
            "\n".join(
                [_("%(reason)s. Ces séances sont annulées :") % {"reason": text}]
                + [f"- {when_label(s)}" for s in outcome.cancelled]
            )
            + "\n",
        )
    return outcome


@transaction.atomic
def recurring_delete(*, recurring: RecurringSession, by=None) -> None:
    """Delete a weekly session from which no occurrence was ever generated (else end it: history stays)."""
    rec = RecurringSession.objects.select_for_update().filter(pk=recurring.pk).first()
    if rec is None:
        return
    if not recurring_is_unused(recurring=rec):
        raise ValidationError(
            _(
                "Des séances ont déjà été créées à partir de cette séance hebdomadaire : arrêtez-la plutôt, "
                "leur historique sera conservé."
            )
        )
    log.info("weekly session %s (%s) deleted by %s", rec.pk, rec, getattr(by, "pk", None))
    rec.delete()


def _sync_occurrences(
    rec: RecurringSession, *, changed: set[str], now: datetime, reason: str, by=None
) -> OccurrencesOutcome:
    """Bring the weekly session's occurrences to come (planned, no report, after ``now``) in line with it."""
    upcoming = list(
        Session.objects.filter(recurring=rec, status=Session.Status.PLANNED, starts_at__gt=now)
        .exclude(pk__in=SessionReport.objects.values("session_id"))
        .select_for_update(of=("self",))
        .order_by("starts_at")
    )
    outcome = OccurrencesOutcome()
    if not upcoming:
        return outcome
    before = stats.buckets_of(upcoming)
    reschedule = bool(changed & {"weekday", "start_time"})
    new_period = bool(changed & {"starts_on", "ends_on"})
    occupied = set(
        Session.objects.filter(recurring=rec)
        .exclude(pk__in=[s.pk for s in upcoming])
        .values_list("starts_at", flat=True)
    )
    # Replacements keep the date and time chosen for them (a new period may still cancel them); they come
    # first so that an occurrence moved onto their very time gives way (one session of a weekly session at
    # a given time).
    upcoming.sort(key=lambda s: (s.replaces_id is None, s.starts_at, s.pk))
    rows = []
    for s in upcoming:
        replacement = s.replaces_id is not None
        day = timezone.localtime(s.starts_at).date()
        target = s.starts_at
        if reschedule and not replacement:
            day = monday_of(day) + timedelta(days=rec.weekday)
            target = local_dt(day, rec.start_time)
        outside = day < rec.starts_on or (rec.ends_on is not None and day > rec.ends_on)
        if outside and (new_period or not replacement):
            cancel = reason
        elif target <= now or target in occupied:
            cancel = _("Horaire de la séance hebdomadaire modifié")
        else:
            cancel = None
        if cancel:  # one move each (state, reason, history row, statistics): its row is not bulk-updated
            states.move(s, Session.Status.CANCELLED, by=by, note=cancel, also={"cancel_reason": cancel[:300]})
            outcome.cancelled.append(s)
            occupied.add(s.starts_at)  # a cancelled occurrence stays where it was
            continue
        occupied.add(target)
        if target != s.starts_at:
            outcome.moved.append((when_label(s), s))
            s.starts_at = target
        elif changed & {"duration_minutes", "volunteers_needed"}:
            outcome.updated.append(s)
        else:
            continue
        if "duration_minutes" in changed:
            s.duration_minutes = rec.duration_minutes
        if "volunteers_needed" in changed:
            s.volunteers_needed = rec.volunteers_needed
        s.updated_at = now
        rows.append(s)
    if not rows:
        return outcome
    Session.objects.bulk_update(
        rows, ["starts_at", "duration_minutes", "volunteers_needed", "updated_at"], batch_size=500
    )
    stats.refresh(before | stats.buckets_of(rows))  # bulk_update sends no signal
    return outcome


def _notify_all(site, sessions: list[Session], subject: str, body: str) -> None:
    """One message about several occurrences, to their volunteers and the site's contact, after commit."""
    recipients = {
        e
        for e in Mission.objects.filter(sessions__in=sessions, user__isnull=False)
        .values_list("user__email", flat=True)
        .distinct()
        if e
    }
    if site.contact_email:
        recipients.add(site.contact_email)
    # One e-mail per person, written with the change and sent after its commit (terreau.notifications).
    _message(kind="activities.sessions_changed", recipients=sorted(recipients), subject=subject, body=body)


def _message(*, kind: str, recipients, subject: str, body: str, link: str = "") -> None:
    """A message written here in code (subject and text) through the generic template."""
    if recipients:
        notify(
            kind=kind,
            recipients=recipients,
            template="notifications/emails/message",
            context={"subject": subject, "body": body},
            link=link,
        )


def _notify_released(rec: RecurringSession, released: list[tuple[Session, Mission]]) -> None:
    """One message to each volunteer taken off sessions, and one to each coordinator of the program, sent
    after the commit through terreau.notifications (a mail server failure does not undo the change)."""
    from django.urls import reverse

    from terreau.programs.models import ProgramRole

    program = rec.site.program
    change = {
        "site": rec.site.name,
        "slot": f"{rec.get_weekday_display()} {rec.start_time:%H:%M}, {rec.duration_minutes} min",
    }
    by_mission: dict[Mission, list[Session]] = {}
    for s, m in released:
        by_mission.setdefault(m, []).append(s)
    for m, sessions in by_mission.items():
        email = getattr(m.user, "email", "") if m.user_id else ""
        if not email:
            continue
        body = (
            _(
                "Bonjour %(name)s,\n\nLa séance hebdomadaire du site %(site)s a un nouvel horaire : "
                "%(slot)s. Il ne correspond plus à vos disponibilités (créneaux, heures de la semaine ou "
                "autre séance au même moment) : vous ne faites plus partie des volontaires de ces séances :\n"
            )
            % (change | {"name": m.first_name})
            + "".join(f"- {when_label(s)}\n" for s in sessions)
            + "\n"
            + _("La coordination du programme est prévenue.")
            + "\n"
        )
        _message(
            kind="activities.volunteer_unassigned",
            recipients=[m.user],
            subject=_("Séances modifiées : %(site)s, votre participation est retirée")
            % {"site": rec.site.name},
            body=body,
        )
    coordinators = set(
        ProgramRole.objects.filter(
            program=program, role=ProgramRole.Role.COORDINATOR, user__is_active=True
        ).values_list("user__email", flat=True)
    )
    if program.coordinator_id and program.coordinator.is_active:
        coordinators.add(program.coordinator.email)
    link = absolute_url(reverse("activities:sessions", kwargs={"slug": program.slug}))
    n = len(released)
    coordinator_body = (
        _(
            "La séance hebdomadaire du site %(site)s a un nouvel horaire : %(slot)s. Ces volontaires n'y "
            "sont plus disponibles et ne sont plus prévus aux séances suivantes :\n"
        )
        % change
        + "".join(f"- {when_label(s)} : {m}\n" for s, m in released)
        + "\n"
        + ngettext(
            "%(n)s place de volontaire est à pourvoir : planifiez à nouveau le mois concerné.\n%(link)s\n",
            "%(n)s places de volontaires sont à pourvoir : planifiez à nouveau les mois concernés."
            "\n%(link)s\n",
            n,
        )
        % {"n": n, "link": link}
    )
    _message(
        kind="activities.places_to_fill",
        recipients=sorted(e for e in coordinators if e),
        subject=_("Places de volontaires à pourvoir : %(site)s") % {"site": rec.site.name},
        body=coordinator_body,
        link=reverse("activities:sessions", kwargs={"slug": program.slug}),
    )
