"""An agreement as a PDF (terreau.core.pdf: every text escaped): the parties with their SIREN and RNA numbers,
the purpose, the contributions and their schedule with values, the counterparts and their value, the duration
and the signatures recorded (who, in which capacity, when)."""

from __future__ import annotations

from decimal import Decimal

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from terreau.contributions.agreement_models import Agreement
from terreau.contributions.agreements import agreement_contents
from terreau.core import dates
from terreau.core.pdf import Spacer, build, cm, para, table


def money(value: Decimal | str) -> str:
    return f"{formats.number_format(Decimal(value), 2, use_l10n=True, force_grouping=True)} €"


def _party(role: str, org) -> list:
    ids = []
    if org.siren:
        ids.append(_("SIREN %(n)s") % {"n": org.siren})
    if org.rna:
        ids.append(_("RNA %(n)s") % {"n": org.rna})
    place = ", ".join(
        filter(
            None, [org.address, " ".join(filter(None, [org.postal_code, getattr(org.commune, "name", "")]))]
        )
    )
    lines = [org.name, " · ".join(ids) or _("Identifiants non renseignés"), place]
    return [role, "\n".join(line for line in lines if line)]


def agreement_pdf(agreement: Agreement) -> bytes:
    contents = agreement_contents(agreement)
    story: list = [
        para(agreement.get_kind_display(), "Title"),
        para(agreement.title, "Heading3"),
        para(
            _("État : %(state)s — antenne %(branch)s")
            % {"state": agreement.get_state_display(), "branch": agreement.branch.name}
        ),
    ]
    if agreement.is_demo:
        story.append(para(_("Donnée de démonstration : cette convention n'a aucune valeur."), "Small"))
    story.append(Spacer(1, 0.4 * cm))
    story.append(para(_("Entre les parties"), "Heading2"))
    story.append(
        table(
            [_party(_("Le donateur"), agreement.donor), _party(_("Le bénéficiaire"), agreement.recipient)],
            header=False,
            widths=[0.25, 0.75],
        )
    )
    if agreement.partnership_id:
        story.append(para(_("Dans le cadre du partenariat « %(p)s ».") % {"p": agreement.partnership.title}))
    story += [para(_("Objet"), "Heading2"), para(agreement.purpose)]

    story.append(para(_("Contributions"), "Heading2"))
    rows = [[_("Nature"), _("Description"), _("Promise le"), _("Valeur"), _("Reçu")]]
    for c in contents.contributions:
        rows.append(
            [
                c.get_kind_display(),
                f"{c.description}\n{c.value_basis}".strip(),
                dates.date_format(c.pledged_on, "j F Y"),
                money(c.value),
                money(c.received_total),
            ]
        )
    rows.append(
        [
            para(_("Total"), "CellHeader"),
            "",
            "",
            para(money(contents.total_value), "CellHeaderRight"),
            para(money(contents.total_received), "CellHeaderRight"),
        ]
    )
    story.append(table(rows, widths=[0.18, 0.4, 0.14, 0.14, 0.14], right=[3, 4]))

    story.append(para(_("Calendrier"), "Heading2"))
    if agreement.schedule:
        story.append(para(agreement.schedule))
    else:
        rows = [[_("Date"), _("Étape")]]
        rows += [[dates.date_format(day, "j F Y"), text] for day, text in contents.schedule]
        story.append(table(rows, widths=[0.22, 0.78]))

    story.append(para(_("Contreparties"), "Heading2"))
    if contents.counterparts:
        rows = [[_("Type"), _("Description"), _("Valeur")]]
        rows += [[c.get_kind_display(), c.description, money(c.value)] for c in contents.counterparts]
        rows.append(
            [para(_("Total"), "CellHeader"), "", para(money(contents.total_counterparts), "CellHeaderRight")]
        )
        story.append(table(rows, widths=[0.25, 0.55, 0.2], right=[2]))
        story.append(
            para(
                _("Valeur des contreparties : %(c)s pour %(v)s donnés.")
                % {"c": money(contents.total_counterparts), "v": money(contents.total_value)},
                "Small",
            )
        )
    else:
        story.append(para(_("Aucune contrepartie.")))

    story += [para(_("Durée"), "Heading2"), para(_("La convention court %(d)s.") % {"d": contents.duration})]

    story.append(para(_("Signatures"), "Heading2"))
    rows = [[_("Partie"), _("Signataire"), _("Signée le")]]
    for org in contents.parties:
        sig = contents.signatures.get(org.pk)
        if sig is None:
            rows.append([org.name, "", _("en attente")])
        else:
            at = timezone.localtime(sig.signed_at)
            rows.append(
                [org.name, f"{sig.signer_name}\n{sig.signer_role}", dates.date_format(at, "j F Y à H:i")]
            )
    story.append(table(rows, widths=[0.35, 0.4, 0.25]))
    story.append(
        para(
            _("Signatures enregistrées dans Terreau par les administrateurs de chaque partie."),
            "Small",
        )
    )
    return build(story, title=agreement.title, author=agreement.branch.name)
