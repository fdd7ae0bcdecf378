"""A tax receipt as a PDF (terreau.core.pdf: every text escaped), with the mentions of Cerfa n° 16216 (gifts of
companies, art. 238 bis CGI) or n° 11580 (gifts of individuals, art. 200 CGI): number, beneficiary (name,
SIREN/RNA, address, purpose, category), donor, date or period, amount in figures and in words, form and nature
of the gift, in-kind description and value, payment method, certifying sentence and signer. Everything comes
from what was frozen on the receipt when it was issued. A cancelled receipt is marked "ANNULÉ" on every page.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors

from terreau.contributions.receipt_models import Receipt
from terreau.core import dates
from terreau.core.pdf import Spacer, build, cm, para, style, table


def money(value: Decimal) -> str:
    return f"{formats.number_format(Decimal(value), 2, use_l10n=True, force_grouping=True)} €"


def _day(value) -> str:
    return dates.date_format(value, "j F Y")


def _period(receipt: Receipt) -> str:
    if receipt.period_start == receipt.period_end:
        return _("Don reçu le %(d)s") % {"d": _day(receipt.period_start)}
    return _("Dons reçus du %(a)s au %(b)s") % {
        "a": _day(receipt.period_start),
        "b": _day(receipt.period_end),
    }


def _cancelled_banner(receipt: Receipt) -> list:
    banner = style("Cancelled", "Title", textColor=colors.HexColor("#b00020"), fontSize=26, leading=30)
    text = _("ANNULÉ le %(d)s — motif : %(r)s") % {
        "d": _day(timezone.localtime(receipt.cancelled_at)) if receipt.cancelled_at else "",
        "r": receipt.cancel_reason,
    }
    return [para(_("ANNULÉ"), banner), para(text, "Heading3"), Spacer(1, 0.3 * cm)]


def _stamp(canvas, doc) -> None:
    """The diagonal "ANNULÉ" across every page of a cancelled receipt."""
    canvas.saveState()
    canvas.setFillColor(colors.Color(0.7, 0, 0.1, alpha=0.25))
    canvas.setFont("Helvetica-Bold", 90)
    canvas.translate(doc.pagesize[0] / 2, doc.pagesize[1] / 2)
    canvas.rotate(45)
    canvas.drawCentredString(0, 0, "ANNULÉ")
    canvas.restoreState()


def receipt_pdf(receipt: Receipt) -> bytes:
    issuer, donor = receipt.issuer_snapshot, receipt.donor_snapshot
    company = receipt.form == Receipt.Form.COMPANY
    cancelled = receipt.state == Receipt.State.CANCELLED
    story: list = _cancelled_banner(receipt) if cancelled else []
    if company:
        title = _("Reçu des dons et versements effectués par les entreprises")
        model = _("Article 238 bis du code général des impôts — modèle Cerfa n° 16216 (2041-MEC-SD)")
    else:
        title = _("Reçu au titre des dons à certains organismes d'intérêt général")
        model = _("Articles 200 et 238 bis du code général des impôts — modèle Cerfa n° 11580")
    story += [
        para(title, "Title"),
        para(model, "Small"),
        para(_("Reçu n° %(n)s") % {"n": receipt.number}, "Heading2"),
    ]
    if receipt.replaces_id:
        story.append(para(_("Remplace le reçu n° %(n)s, annulé.") % {"n": receipt.replaces.number}))
    identifier = " — ".join(
        p
        for p in [
            _("SIREN : %(s)s") % {"s": issuer.get("siren")} if issuer.get("siren") else "",
            _("RNA : %(s)s") % {"s": issuer.get("rna")} if issuer.get("rna") else "",
        ]
        if p
    )
    story += [
        para(_("Organisme bénéficiaire"), "Heading3"),
        table(
            [
                [_("Dénomination"), issuer.get("name", "")],
                [_("N° SIREN ou RNA"), identifier or _("non renseigné")],
                [_("Adresse"), issuer.get("address", "")],
                [_("Objet"), issuer.get("purpose", "")],
                [_("Catégorie"), issuer.get("category", "")],
            ]
            + ([[_("Rescrit"), issuer["rescrit_reference"]]] if issuer.get("rescrit_reference") else []),
            header=False,
            widths=[0.28, 0.72],
        ),
        para(_("Donateur"), "Heading3"),
    ]
    donor_rows = [[_("Nom ou dénomination"), donor.get("name", "")]]
    if company:
        donor_rows += [
            [_("Forme juridique"), donor.get("legal_form", "")],
            [_("N° SIREN"), donor.get("siren", "") or _("non renseigné")],
        ]
    donor_rows.append([_("Adresse"), donor.get("address", "")])
    story.append(table(donor_rows, header=False, widths=[0.28, 0.72]))
    story += [
        para(_("Dons"), "Heading3"),
        table(
            [
                [_("Date ou période"), _period(receipt)],
                [_("Montant"), money(receipt.amount)],
                [_("Montant en toutes lettres"), receipt.amount_in_words],
                [_("Forme du don"), _("Déclaration de don manuel ou acte sous seing privé")],
                [_("Nature du don"), receipt.get_nature_display()],
                [_("Mode de versement"), receipt.payment_method],
            ],
            header=False,
            widths=[0.28, 0.72],
        ),
    ]
    if receipt.in_kind_description:
        story += [
            para(_("Description et valeur des dons en nature"), "Heading3"),
            para(receipt.in_kind_description),
            para(
                _("Valeur estimée au coût de revient par le donateur, total : %(v)s")
                % {"v": money(receipt.amount)}
            ),
        ]
    article = _("238 bis") if company else _("200, 238 bis et 978")
    story += [
        Spacer(1, 0.4 * cm),
        para(
            _(
                "Le bénéficiaire certifie sur l'honneur que les dons et versements qu'il reçoit ouvrent droit à "
                "la réduction d'impôt prévue à l'article %(a)s du code général des impôts."
            )
            % {"a": article}
        ),
        Spacer(1, 0.4 * cm),
    ]
    signer = receipt.issued_by
    name = (signer.get_full_name() or signer.email) if signer is not None else ""
    story += [
        para(
            _("Fait le %(d)s, pour %(org)s.")
            % {"d": _day(timezone.localtime(receipt.issued_at)), "org": issuer.get("name", "")}
        ),
        para(_("Signataire : %(n)s") % {"n": name or _("le représentant légal")}),
    ]
    if receipt.is_demo:
        story += [
            Spacer(1, 0.3 * cm),
            para(_("Donnée de démonstration : ce reçu n'a aucune valeur."), "Small"),
        ]
    kwargs = {"title": _("Reçu fiscal %(n)s") % {"n": receipt.number}, "author": issuer.get("name", "")}
    if cancelled:
        kwargs["on_page"] = _stamp
    return build(story, **kwargs)


__all__ = ["receipt_pdf", "money", "cm"]
