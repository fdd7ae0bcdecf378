"""Session reports: what happened at a session (held or not, activities, headcount), who attended, the
incidents (forwarded to the equipment's life), and attendance rates. Keyword-only, transactional."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from terreau.activities import rules
from terreau.activities.models import Attendance, Participant, ReportIncident, Session, SessionReport
from terreau.core import states
from terreau.core.access import visible
from terreau.programs.equipment import Incident


@transaction.atomic
def report_save(
    *,
    session: Session,
    data: dict,
    participants=(),
    incident: dict | None = None,
    by=None,
) -> SessionReport:
    """Record (or correct) a session's report; its attendance, its incidents, the session's state."""
    if not session.has_started:
        raise ValidationError(future_report_message(session))
    held = bool(data.get("held", True))
    if not held and not (data.get("cancel_reason") or "").strip():
        raise ValidationError({"cancel_reason": _("Indiquez pourquoi la séance n'a pas eu lieu.")})
    participants = list(participants)
    if any(p.site_id != session.site_id for p in participants):
        raise ValidationError(_("Un participant inscrit n'appartient pas à ce site."))
    if held and len(participants) > (data.get("headcount") or 0):
        raise ValidationError({"headcount": headcount_message(data.get("headcount") or 0, len(participants))})
    # The session's state as committed, row locked (a cancellation meanwhile is seen).
    session.refresh_from_db(from_queryset=Session.objects.select_for_update(), fields=["status"])
    report, _created = SessionReport.objects.select_for_update().get_or_create(session=session)
    report.held = held
    report.cancel_reason = (data.get("cancel_reason") or "").strip()[:300] if not held else ""
    report.activities = list(data.get("activities") or []) if held else []
    report.equipment_used = list(data.get("equipment_used") or []) if held else []
    report.headcount = (data.get("headcount") or 0) if held else 0
    report.duration_minutes = (data.get("duration_minutes") or session.duration_minutes) if held else 0
    report.observations = data.get("observations") or ""
    report.incidents = data.get("incidents") or ""
    report.by = by if getattr(by, "is_authenticated", False) else None
    report.save()
    status = Session.Status.HELD if held else Session.Status.CANCELLED
    if session.status != status:
        note = _("Compte rendu rempli") if held else report.cancel_reason
        states.move(session, status, by=by, note=note, also={"cancel_reason": report.cancel_reason})
    elif session.cancel_reason != report.cancel_reason:  # a report corrected: same state, new reason
        session.cancel_reason = report.cancel_reason
        session.save(update_fields=["cancel_reason", "updated_at"])
    report.attendances.all().delete()
    if held:
        Attendance.objects.bulk_create([Attendance(report=report, participant=p) for p in participants])
        day = timezone.localtime(session.starts_at).date()
        Participant.objects.filter(pk__in=[p.pk for p in participants]).filter(
            last_participation_on__lt=day
        ).update(last_participation_on=day)
        Participant.objects.filter(
            pk__in=[p.pk for p in participants], last_participation_on__isnull=True
        ).update(last_participation_on=day)
    if incident and incident.get("kind"):
        incident_record(report=report, by=by, **incident)
    return report


def future_report_message(session: Session) -> str:
    return _(
        "La séance du %(date)s n'a pas encore eu lieu : son compte rendu se remplit une fois la séance "
        "commencée. Pour l'annuler à l'avance, utilisez « Annuler la séance »."
    ) % {"date": f"{timezone.localtime(session.starts_at):%d/%m/%Y à %H:%M}"}


def headcount_message(headcount: int, named: int) -> str:
    return _(
        "Le nombre de participants (%(headcount)s) ne peut pas être inférieur au nombre d'inscrits cochés "
        "présents (%(named)s) : il compte tous les présents, inscrits ou non."
    ) % {"headcount": headcount, "named": named}


def incident_record(
    *, report: SessionReport, kind: str, note: str = "", item=None, site_level: bool = False, by=None
) -> ReportIncident:
    """Keep the incident with the report. One on a named item feeds the item's life (terreau.programs.items);
    one explicitly about the site (site_level) stays open among the program's incidents until resolved."""
    if kind not in ReportIncident.Kind.values:
        raise ValidationError({"incident_kind": _("Choisissez le type d'incident.")})
    if (item is None) == (not site_level):
        raise ValidationError(
            {
                "incident_item": _(
                    "Choisissez le matériel concerné, ou indiquez que l'incident concerne le site."
                )
                if item is None
                else _("Un incident concerne soit un matériel précis, soit le site : pas les deux.")
            }
        )
    if site_level and not (note or "").strip():
        raise ValidationError({"incident_note": _("Décrivez l'incident sur le site.")})
    row = ReportIncident.objects.create(
        report=report,
        kind=kind,
        note=(note or "")[:500],
        item_ref=getattr(item, "pk", None),
        item_label=str(item)[:200] if item is not None else "",
        site_level=site_level,
    )
    if item is not None:
        from terreau.programs.items import incident_report

        incident_report(item=item, kind=kind, note=note, by=by, session_report=report)
        row.forwarded = True
        row.save(update_fields=["forwarded"])
    return row


def incident_resolve(*, incident: ReportIncident, by=None) -> ReportIncident:
    """Close a site-level incident (an item's incident closes with its repair or when it is found)."""
    if not incident.site_level:
        raise ValidationError(_("Cet incident suit la vie du matériel : il se clôt avec sa réparation."))
    if incident.resolved_at is None:
        incident.resolved_at = timezone.now()
        incident.resolved_by = by if getattr(by, "is_authenticated", False) else None
        incident.save(update_fields=["resolved_at", "resolved_by", "updated_at"])
    return incident


def open_incidents(*, user, program):
    """(item incidents, site-level incidents) of the program still open that ``user`` may see."""
    items = visible(
        user,
        Incident.objects.filter(item__program=program, resolved_at__isnull=True).select_related(
            "item", "site"
        ),
    ).order_by("-created_at")
    sites = visible(
        user,
        ReportIncident.objects.open_site_level()
        .filter(report__session__site__program=program)
        .select_related("report__session__site"),
    ).order_by("-created_at")
    return items, sites


def attendance_rates(*, participants, site) -> dict[int, tuple[int, float]]:
    """{participant id: (sessions attended, share of the site's held sessions since they registered)}."""
    participants = list(participants)
    if not participants:
        return {}
    counts = dict(
        Attendance.objects.filter(participant__in=participants)
        .values_list("participant_id")
        .annotate(n=Count("id"))
        .values_list("participant_id", "n")
    )
    held = list(
        SessionReport.objects.filter(session__site=site, held=True).values_list(
            "session__starts_at", flat=True
        )
    )
    held.sort()
    out = {}
    for p in participants:
        since = p.created_at
        total = sum(1 for at in held if at >= since - timedelta(days=1)) or 1
        n = counts.get(p.pk, 0)
        out[p.pk] = (n, min(n / total, 1.0))
    return out


def is_regular(count: int, rate: float) -> bool:
    return count >= rules.REGULAR_MIN_SESSIONS and rate >= rules.REGULAR_ATTENDANCE_RATE


def last_participation(participant: Participant) -> date | None:
    at = Attendance.objects.filter(participant=participant).aggregate(m=Max("report__session__starts_at"))[
        "m"
    ]
    return timezone.localtime(at).date() if at else None
