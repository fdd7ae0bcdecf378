"""Attendance certificate (attestation de présence) as a real PDF, drawn with reportlab."""

from __future__ import annotations

from io import BytesIO

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.pdfgen import canvas

from terreau.events.models import Registration


def attendance_certificate(registration: Registration) -> bytes:
    event = registration.event
    start = timezone.localtime(event.starts_at)
    end = timezone.localtime(event.ends_at)
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(_("Attestation de présence"))
    pdf.setAuthor(event.branch.name)
    width, height = A4
    y = height - 4 * cm
    pdf.setFont("Helvetica-Bold", 20)
    pdf.drawCentredString(width / 2, y, _("Attestation de présence"))
    y -= 2.5 * cm
    pdf.setFont("Helvetica", 12)
    lines = [
        _("%(branch)s atteste que") % {"branch": event.branch.name},
        "",
        registration.name
        + (f" ({registration.organisation_label})" if registration.organisation_label else ""),
        "",
        _("a participé à « %(title)s »") % {"title": event.title},
        _("le %(date)s, de %(start)s à %(end)s")
        % {
            "date": formats.date_format(start, "l j F Y"),
            "start": formats.time_format(start, "H:i"),
            "end": formats.time_format(end, "H:i"),
        },
        _("Lieu : %(place)s") % {"place": event.place or _("non précisé")},
        _("Durée : %(hours)s heure(s)") % {"hours": formats.number_format(event.duration_hours, 1)},
    ]
    for line in lines:
        pdf.drawString(3 * cm, y, line)
        y -= 0.8 * cm
    y -= 1.5 * cm
    pdf.drawString(
        3 * cm, y, _("Fait le %(date)s") % {"date": formats.date_format(timezone.localdate(), "j F Y")}
    )
    y -= 0.8 * cm
    pdf.setFont("Helvetica-Bold", 12)
    pdf.drawString(3 * cm, y, _("Pour %(branch)s") % {"branch": event.branch.name})
    pdf.setFont("Helvetica-Oblique", 9)
    pdf.drawString(
        3 * cm,
        2 * cm,
        _("Attestation n° %(ref)s, émise par Terreau.") % {"ref": f"{event.pk}-{registration.pk}"},
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
