"""Files made from activities: iCalendar feeds, the dashboard's XLSX workbook, the monthly PDF report,
and a participant's own data (CSV). Input querysets are already scoped by terreau.core.access."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from icalendar import Calendar
from icalendar import Event as VEvent
from openpyxl import Workbook
from openpyxl.styles import Font
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from terreau.activities.dashboard import Dashboard, session_rows
from terreau.activities.models import Session


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


def dashboard_xlsx(dash: Dashboard, sessions, *, program_name: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _("Par mois")[:31]
    head = [
        _("Clé"),
        _("Libellé"),
        _("Prévues"),
        _("Tenues"),
        _("Annulées"),
        _("Présences"),
        _("Heures volontaires"),
    ]

    def sheet(title, rows, ws=None):
        ws = ws or wb.create_sheet(title[:31])
        ws.append(head)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for r in rows:
            ws.append([r.key, r.label, r.planned, r.held, r.cancelled, r.attendance, r.volunteer_hours])

    sheet(_("Par mois"), dash.months, ws)
    sheet(_("Par site"), dash.sites)
    sheet(_("Par département"), dash.departments)
    detail = wb.create_sheet(_("Séances")[:31])
    detail.append(
        [
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
    )
    for cell in detail[1]:
        cell.font = Font(bold=True)
    for row in session_rows(sessions).iterator(chunk_size=2000):
        detail.append(
            [
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
        )
    wb.properties.title = program_name
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def monthly_pdf(dash: Dashboard, *, program_name: str, branch_name: str, month: date) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=_("Rapport d'activité"),
        author=branch_name,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
    )
    styles = getSampleStyleSheet()
    story = [
        Paragraph(_("Rapport d'activité — %(program)s") % {"program": program_name}, styles["Title"]),
        Paragraph(formats.date_format(month, "F Y").capitalize(), styles["Heading2"]),
        Spacer(1, 0.4 * cm),
    ]
    summary = [
        [_("Séances prévues"), str(dash.planned)],
        [_("Séances tenues"), str(dash.held)],
        [_("Séances annulées"), str(dash.cancelled)],
        [_("Présences (total des participants par séance)"), str(dash.attendance)],
        [_("Participants inscrits distincts"), str(dash.unique_participants)],
        [_("Heures de volontariat"), formats.number_format(dash.volunteer_hours, 1)],
    ]
    story.append(_table(summary, header=False))
    story += [Spacer(1, 0.6 * cm), Paragraph(_("Par site"), styles["Heading3"])]
    rows = [[_("Site"), _("Prévues"), _("Tenues"), _("Présences"), _("Heures")]] + [
        [r.label, r.planned, r.held, r.attendance, formats.number_format(r.volunteer_hours, 1)]
        for r in dash.sites
    ]
    story.append(_table(rows))
    if dash.equipment:
        story += [Spacer(1, 0.6 * cm), Paragraph(_("État du matériel"), styles["Heading3"])]
        story.append(_table([[_("État"), _("Nombre")]] + [[label, n] for label, n in dash.equipment]))
    story += [
        Spacer(1, 0.8 * cm),
        Paragraph(
            _(
                "Document établi le %(date)s par %(branch)s avec Terreau. Aucune donnée personnelle des participants."
            )
            % {"date": formats.date_format(timezone.localdate(), "j F Y"), "branch": branch_name},
            styles["Italic"],
        ),
    ]
    doc.build(story)
    return buffer.getvalue()


def _table(rows, *, header: bool = True) -> Table:
    t = Table([[str(c) for c in r] for r in rows], hAlign="LEFT")
    style = [("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("FONTSIZE", (0, 0), (-1, -1), 9)]
    if header:
        style += [
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8efe6")),
            ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ]
    t.setStyle(TableStyle(style))
    return t


def participant_csv(data: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([_("champ"), _("valeur")])
    for key, value in data.items():
        if isinstance(value, list):
            value = ", ".join(value)
        writer.writerow([key, "" if value is None else value])
    return out.getvalue()
