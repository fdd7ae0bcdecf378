"""Attendance certificate (attestation de présence) as a real PDF, drawn with terreau.core.pdf (every name
and title escaped, long ones wrapped)."""

from __future__ import annotations

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from terreau.core import dates
from terreau.core.pdf import Spacer, build, cm, para, style
from terreau.events.models import Registration


def attendance_certificate(registration: Registration) -> bytes:
    event = registration.event
    start = timezone.localtime(event.starts_at)
    end = timezone.localtime(event.ends_at)
    body = style("CertificateBody", "Normal", fontSize=12, leading=18, leftIndent=1 * cm)
    strong = style(
        "CertificateStrong", "Normal", fontName="Helvetica-Bold", fontSize=12, leading=18, leftIndent=1 * cm
    )
    who = registration.name + (
        f" ({registration.organisation_label})" if registration.organisation_label else ""
    )
    story = [
        Spacer(1, 1.5 * cm),
        para(_("Attestation de présence"), style("CertificateTitle", "Title", fontSize=20, leading=24)),
        Spacer(1, 1.5 * cm),
        para(_("%(branch)s atteste que") % {"branch": event.branch.name}, body),
        Spacer(1, 0.4 * cm),
        para(who, strong),
        Spacer(1, 0.4 * cm),
        para(_("a participé à « %(title)s »") % {"title": event.title}, body),
        para(
            _("le %(date)s, de %(start)s à %(end)s")
            % {
                "date": dates.date_format(start, "l j F Y"),
                "start": formats.time_format(start, "H:i"),
                "end": formats.time_format(end, "H:i"),
            },
            body,
        ),
        para(_("Lieu : %(place)s") % {"place": event.place or _("non précisé")}, body),
        para(
            # French: "1,5 heure", "2 heures" (the whole part decides)
            ngettext("Durée : %(hours)s heure", "Durée : %(hours)s heures", int(event.duration_hours))
            % {"hours": formats.number_format(event.duration_hours, 1)},
            body,
        ),
        Spacer(1, 1.5 * cm),
        para(_("Fait le %(date)s") % {"date": dates.date_format(timezone.localdate(), "j F Y")}, body),
        para(_("Pour %(branch)s") % {"branch": event.branch.name}, strong),
        Spacer(1, 3 * cm),
        para(
            _("Attestation n° %(ref)s, émise par Terreau.") % {"ref": f"{event.pk}-{registration.pk}"},
            "Small",
        ),
    ]
    return build(story, title=_("Attestation de présence"), author=event.branch.name)
