"""Files made from activities: iCalendar feeds, the dashboard's XLSX workbook, the monthly PDF report,
and a participant's own data (CSV). Input querysets are already scoped by terreau.core.access."""

from __future__ import annotations

from datetime import UTC, date

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from icalendar import Calendar
from icalendar import Event as VEvent

from terreau.activities.dashboard import Dashboard, session_rows
from terreau.activities.models import Session
from terreau.core import dates
from terreau.core.pdf import Spacer, build, cm, para, table
from terreau.core.tabular import Sheet, csv_text, xlsx_bytes


def sessions_ics(sessions, *, name: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Terreau//Séances//FR")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    now = timezone.now().astimezone(UTC)
    for s in sessions:
        item = VEvent()
        item.add("uid", f"session-{s.pk}@terreau")
        item.add("dtstamp", now)
        item.add("dtstart", s.starts_at.astimezone(UTC))
        item.add("dtend", s.ends_at.astimezone(UTC))
        title = _("Atelier numérique — %(site)s") % {"site": s.site.name}
        if s.status == Session.Status.CANCELLED:
            item.add("status", "CANCELLED")
            title = _("ANNULÉE : %(title)s") % {"title": title}
        else:
            item.add("status", "CONFIRMED")
        item.add("summary", title)
        item.add("location", ", ".join(x for x in [s.site.address, s.site.commune.name] if x))
        names = ", ".join(str(m) for m in s.volunteers.all())
        if names:
            item.add("description", _("Volontaires : %(names)s") % {"names": names})
        cal.add_component(item)
    return cal.to_ical()


_STATUS = dict(Session.Status.choices)


def _dashboard_rows(rows):
    return ([r.key, r.label, r.planned, r.held, r.cancelled, r.attendance, r.volunteer_hours] for r in rows)


def _session_rows(sessions):
    for row in session_rows(sessions).iterator(chunk_size=2000):
        yield [
            timezone.localtime(row["starts_at"]).replace(tzinfo=None),
            row["site__name"],
            row["site__commune__name"],
            row["site__commune__department_id"],
            str(_STATUS.get(row["status"], row["status"])),
            row["duration_minutes"],
            row["cancel_reason"],
            row["report__headcount"] or 0,
            row["n_volunteers"],
        ]


def dashboard_xlsx(dash: Dashboard, sessions, *, program_name: str) -> bytes:
    head = [
        _("Clé"),
        _("Libellé"),
        _("Prévues"),
        _("Tenues"),
        _("Annulées"),
        _("Présences"),
        _("Heures volontaires"),
    ]
    detail = [
        _("Début"),
        _("Site"),
        _("Commune"),
        _("Département"),
        _("État"),
        _("Durée (min)"),
        _("Motif d'annulation"),
        _("Participants"),
        _("Volontaires"),
    ]
    sheets = [
        Sheet(_("Par mois"), head, _dashboard_rows(dash.months)),
        Sheet(_("Par site"), head, _dashboard_rows(dash.sites)),
        Sheet(_("Par département"), head, _dashboard_rows(dash.departments)),
        Sheet(_("Séances"), detail, _session_rows(sessions)),
    ]
    return xlsx_bytes(sheets, title=program_name)


def monthly_pdf(dash: Dashboard, *, program_name: str, branch_name: str, month: date) -> bytes:
    story = [
        para(_("Rapport d'activité — %(program)s") % {"program": program_name}, "Title"),
        para(dates.date_format(month, "F Y").capitalize(), "Heading2"),
        Spacer(1, 0.4 * cm),
    ]
    summary = [
        [_("Séances prévues"), dash.planned],
        [_("Séances tenues"), dash.held],
        [_("Séances annulées"), dash.cancelled],
        [_("Présences (total des participants par séance)"), dash.attendance],
        [_("Participants inscrits distincts"), dash.unique_participants],
        [_("Heures de volontariat"), formats.number_format(dash.volunteer_hours, 1)],
    ]
    story.append(table(summary, header=False, widths=[0.6, 0.2], right=[1]))
    story += [Spacer(1, 0.6 * cm), para(_("Par site"), "Heading3")]
    rows = [[_("Site"), _("Prévues"), _("Tenues"), _("Présences"), _("Heures")]] + [
        [r.label, r.planned, r.held, r.attendance, formats.number_format(r.volunteer_hours, 1)]
        for r in dash.sites
    ]
    story.append(table(rows, widths=[0.48, 0.13, 0.13, 0.13, 0.13], right=[1, 2, 3, 4]))
    if dash.equipment:
        story += [Spacer(1, 0.6 * cm), para(_("État du matériel"), "Heading3")]
        equipment = [[_("État"), _("Nombre")]] + [[label, n] for label, n in dash.equipment]
        story.append(table(equipment, widths=[0.6, 0.2], right=[1]))
    story += [
        Spacer(1, 0.8 * cm),
        para(
            _(
                "Document établi le %(date)s par %(branch)s avec Terreau. Aucune donnée personnelle des participants."
            )
            % {"date": dates.date_format(timezone.localdate(), "j F Y"), "branch": branch_name},
            "Italic",
        ),
    ]
    return build(story, title=_("Rapport d'activité"), author=branch_name)


def participant_csv(data: dict) -> str:
    """A participant's own data (GDPR access), one field per line, as CSV text with its BOM."""
    rows = [[_("champ"), _("valeur")]]
    for key, value in data.items():
        if isinstance(value, list):
            value = ", ".join(value)
        rows.append([key, "" if value is None else value])
    return csv_text(rows)
