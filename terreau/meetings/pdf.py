"""Printable speed-meeting documents drawn with reportlab: a participant's agenda and the organisers' table
plan (one page per round)."""

from __future__ import annotations

from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

STYLE = TableStyle(
    [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8efe6")),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)


def _hm(value) -> str:
    return formats.time_format(timezone.localtime(value), "H:i")


def _who(registration) -> str:
    label = registration.organisation_label
    return registration.name + (f" — {label}" if label else "")


def _doc(buffer: BytesIO, title: str, author: str) -> SimpleDocTemplate:
    return SimpleDocTemplate(
        buffer, pagesize=A4, title=title, author=author, leftMargin=2 * cm, rightMargin=2 * cm
    )


def agenda_pdf(sm, registration, meetings) -> bytes:
    event = sm.event
    styles = getSampleStyleSheet()
    buffer = BytesIO()
    title = _("Mes rendez-vous")
    story = [
        Paragraph(title, styles["Title"]),
        Paragraph(
            escape(f"{event.title} — {formats.date_format(timezone.localtime(sm.start), 'l j F Y')}"),
            styles["Heading2"],
        ),
        Paragraph(_w(registration), styles["Normal"]),
        Spacer(1, 0.5 * cm),
    ]
    if sm.state != sm.State.FINAL:
        story.append(Paragraph(_("Planning provisoire : il peut encore changer."), styles["Italic"]))
    rows = [[_("Heure"), _("Tour"), _("Table"), _("Avec")]]
    for m in meetings:
        rows.append(
            [
                f"{_hm(sm.round_starts_at(m.round))}–{_hm(sm.round_ends_at(m.round))}",
                str(m.round + 1),
                str(m.table),
                Paragraph(escape(_who(m.other(registration))), styles["Normal"]),
            ]
        )
    if meetings:
        story.append(Table(rows, colWidths=[3 * cm, 1.5 * cm, 1.5 * cm, 11 * cm], style=STYLE, repeatRows=1))
    else:
        story.append(Paragraph(_("Aucun rendez-vous planifié."), styles["Normal"]))
    _doc(buffer, title, event.branch.name).build(story)
    return buffer.getvalue()


def _w(registration) -> str:
    return escape(_who(registration))


def table_plan_pdf(sm, meetings) -> bytes:
    """One page per round: table, the two participants."""
    event = sm.event
    styles = getSampleStyleSheet()
    buffer = BytesIO()
    title = _("Plan de table")
    by_round: dict[int, list] = {}
    for m in meetings:
        by_round.setdefault(m.round, []).append(m)
    story: list = []
    for r in range(sm.rounds):
        if story:
            story.append(PageBreak())
        story.append(Paragraph(escape(event.title), styles["Heading2"]))
        story.append(
            Paragraph(
                _("Tour %(round)s — %(start)s à %(end)s")
                % {"round": r + 1, "start": _hm(sm.round_starts_at(r)), "end": _hm(sm.round_ends_at(r))},
                styles["Title"],
            )
        )
        rows = [[_("Table"), _("Participant"), _("Participant")]]
        for m in sorted(by_round.get(r, []), key=lambda m: m.table):
            rows.append(
                [
                    str(m.table),
                    Paragraph(escape(_who(m.a)), styles["Normal"]),
                    Paragraph(escape(_who(m.b)), styles["Normal"]),
                ]
            )
        if len(rows) > 1:
            story.append(Table(rows, colWidths=[2 * cm, 7.5 * cm, 7.5 * cm], style=STYLE, repeatRows=1))
        else:
            story.append(Paragraph(_("Aucun rendez-vous à ce tour."), styles["Normal"]))
    _doc(buffer, title, event.branch.name).build(story)
    return buffer.getvalue()
