"""A program's contributions report as a PDF (terreau.core.pdf: every text escaped): who gave what, valued,
pledged against received, by kind and by partner, and the contributions in kind by account (870, 871, 875)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from terreau.contributions.reports import Summary, Total
from terreau.contributions.valuation import fr_money
from terreau.core import dates
from terreau.core.pdf import Spacer, build, cm, para, table

WIDTHS = [0.36, 0.1, 0.18, 0.18, 0.18]


def _header(first: str) -> list[str]:
    return [first, _("Nombre"), _("Promis"), _("Reçu"), _("Reste à recevoir")]


def _amounts(item) -> list[str]:
    return [str(item.count), fr_money(item.pledged), fr_money(item.received), fr_money(item.outstanding)]


def _totals(title: str, first: str, totals: list[Total], *, codes: bool = False) -> list:
    rows = [_header(first)]
    rows += [[f"{t.code} — {t.label}" if codes else t.label, *_amounts(t)] for t in totals]
    return [para(title, "Heading2"), table(rows, widths=WIDTHS, right=[1, 2, 3, 4])]


def program_report_pdf(program, summary: Summary) -> bytes:
    story: list = [
        para(_("Contributions des partenaires"), "Title"),
        para(program.name, "Heading3"),
        para(
            _("Antenne %(branch)s — état au %(date)s")
            % {"branch": program.branch.name, "date": dates.date_format(timezone.localdate(), "j F Y")}
        ),
    ]
    if program.is_demo:
        story.append(para(_("Données de démonstration."), "Small"))
    story.append(Spacer(1, 0.4 * cm))
    story.append(para(_("Qui a donné quoi"), "Heading2"))
    rows = [[_("Partenaire"), _("Nature"), _("Promis"), _("Reçu"), _("Reste")]]
    rows += [
        [r.donor, r.kind_label, fr_money(r.pledged), fr_money(r.received), fr_money(r.outstanding)]
        for r in summary.rows
    ]
    total = summary.total
    rows.append(
        [
            para(_("Total"), "CellHeader"),
            "",
            para(fr_money(total.pledged), "CellHeaderRight"),
            para(fr_money(total.received), "CellHeaderRight"),
            para(fr_money(total.outstanding), "CellHeaderRight"),
        ]
    )
    story.append(table(rows, widths=[0.28, 0.24, 0.16, 0.16, 0.16], right=[2, 3, 4]))
    story += _totals(_("Par nature"), _("Nature"), summary.by_kind)
    story += _totals(_("Par partenaire"), _("Partenaire"), summary.by_donor)
    story += _totals(
        _("Contributions volontaires en nature (comptes 87)"), _("Compte"), summary.accounts, codes=True
    )
    story.append(
        para(
            _(
                "Valorisation du bénévolat, des prestations et des dons en nature, présentée au pied du compte "
                "de résultat (règlement ANC 2018-06). Les contributions financières sont des produits : "
                "%(pledged)s promis, %(received)s reçus."
            )
            % {"pledged": fr_money(summary.money.pledged), "received": fr_money(summary.money.received)},
            "Small",
        )
    )
    return build(
        story, title=_("Contributions — %(name)s") % {"name": program.name}, author=program.branch.name
    )
