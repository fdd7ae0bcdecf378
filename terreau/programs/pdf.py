"""Kit delivery note (bon de livraison) as a real PDF, drawn with reportlab."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.pdfgen import canvas

from terreau.programs.equipment import EquipmentItem, Kit


def _money(value: Decimal) -> str:
    return f"{formats.number_format(value, 2, use_l10n=True, force_grouping=True)} €"


def delivery_note(kit: Kit, items: list[EquipmentItem]) -> bytes:
    """What was delivered (type, make and model, serial, value), where, when, with signature boxes."""
    program = kit.program
    site = kit.site
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(_("Bon de livraison du kit %(code)s") % {"code": kit.code})
    pdf.setAuthor(program.branch.name)
    width, height = A4
    left, right = 2 * cm, width - 2 * cm
    y = height - 2.5 * cm
    pdf.setFont("Helvetica-Bold", 18)
    pdf.drawString(left, y, _("Bon de livraison"))
    pdf.setFont("Helvetica", 10)
    pdf.drawRightString(right, y, _("N° %(ref)s") % {"ref": f"{program.pk}-{kit.code}"})
    y -= 1 * cm
    pdf.setFont("Helvetica", 11)
    delivered = kit.delivered_on or timezone.localdate()
    lines = [
        _("Programme : %(name)s (%(branch)s)") % {"name": program.name, "branch": program.branch.name},
        _("Kit : %(code)s — %(model)s") % {"code": kit.code, "model": kit.model.name},
        _("Livré le : %(date)s") % {"date": formats.date_format(delivered, "j F Y")},
    ]
    if site is not None:
        lines += [
            _("Site d'accueil : %(site)s — %(org)s") % {"site": site.name, "org": site.organisation.name},
            _("Adresse : %(address)s %(commune)s") % {"address": site.address, "commune": site.commune.name},
        ]
        if site.contact_name:
            lines.append(_("Contact sur place : %(name)s") % {"name": site.contact_name})
    for line in lines:
        pdf.drawString(left, y, line[:110])
        y -= 0.6 * cm
    y -= 0.4 * cm
    columns = [left, left + 3.5 * cm, left + 10 * cm, right]
    pdf.setFont("Helvetica-Bold", 10)
    for x, title in zip(columns[:3], (_("Type"), _("Marque et modèle"), _("N° de série")), strict=True):
        pdf.drawString(x, y, title)
    pdf.drawRightString(columns[3], y, _("Valeur"))
    y -= 0.2 * cm
    pdf.line(left, y, right, y)
    y -= 0.5 * cm
    pdf.setFont("Helvetica", 10)
    total = Decimal("0")
    for item in items:
        if y < 7 * cm:
            pdf.showPage()
            pdf.setFont("Helvetica", 10)
            y = height - 2.5 * cm
        pdf.drawString(columns[0], y, item.get_type_display())
        pdf.drawString(columns[1], y, f"{item.make} {item.model_name}".strip()[:45])
        pdf.drawString(columns[2], y, item.serial_number[:30])
        pdf.drawRightString(columns[3], y, _money(item.value))
        total += item.value
        y -= 0.55 * cm
    pdf.line(left, y + 0.3 * cm, right, y + 0.3 * cm)
    pdf.setFont("Helvetica-Bold", 10)
    pdf.drawString(left, y - 0.2 * cm, _("%(n)s équipement(s)") % {"n": len(items)})
    pdf.drawRightString(right, y - 0.2 * cm, _("Total : %(total)s") % {"total": _money(total)})
    y -= 1.6 * cm
    # Signature boxes: who delivers, who receives.
    box_w, box_h = (right - left - 1 * cm) / 2, 3.5 * cm
    for i, title in enumerate(
        (_("Remis par (nom, date, signature)"), _("Reçu par le site (nom, date, signature)"))
    ):
        x = left + i * (box_w + 1 * cm)
        pdf.rect(x, y - box_h, box_w, box_h)
        pdf.setFont("Helvetica", 9)
        pdf.drawString(x + 0.3 * cm, y - 0.5 * cm, title)
    pdf.setFont("Helvetica-Oblique", 8)
    pdf.drawString(
        left,
        1.5 * cm,
        _("Le matériel reste la propriété du programme ; tout incident est à signaler à la coordination."),
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
