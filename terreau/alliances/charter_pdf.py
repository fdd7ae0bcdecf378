"""A version of the collective's charter as a PDF (terreau.core.pdf: every text escaped): purpose, publics,
territory, key issues, partners and their roles, resources and budget, governance, start, approvals."""

from __future__ import annotations

from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _

from terreau.alliances.charter_models import CharterVersion
from terreau.alliances.models import PUBLICS
from terreau.core import dates
from terreau.core.pdf import Spacer, build, cm, para, table
from terreau.programs.models import ProgramPartner


def money(value: Decimal | str) -> str:
    return f"{formats.number_format(Decimal(value), 2, use_l10n=True, force_grouping=True)} €"


def _section(story: list, title: str, text: str) -> None:
    if text:
        story += [para(title, "Heading2"), para(text)]


def charter_pdf(version: CharterVersion) -> bytes:
    charter = version.charter
    group = charter.group
    roles = dict(ProgramPartner.Role.choices)
    story: list = [
        para(charter.title, "Title"),
        para(
            _("Charte du collectif — version %(n)s (%(state)s)")
            % {"n": version.number, "state": version.get_state_display()},
            "Heading3",
        ),
        para(
            _("Groupe de travail : %(group)s — %(branch)s")
            % {"group": group.name, "branch": group.branch.name}
        ),
    ]
    if version.submitted_at:
        story.append(
            para(_("Soumise le %(date)s") % {"date": dates.date_format(version.submitted_at, "j F Y")})
        )
    story.append(Spacer(1, 0.4 * cm))
    _section(story, _("Objet"), version.purpose)
    publics = [str(PUBLICS.get(code, code)) for code in version.publics]
    _section(story, _("Publics"), "\n".join(filter(None, [", ".join(publics), version.publics_details])))
    places = [f"{d.name} ({d.code})" for d in version.departments.all()]
    places += [e.name for e in version.epcis.all()]
    places += [f"{c.name} ({c.code})" for c in version.communes.all()]
    _section(story, _("Territoire"), ", ".join(places))
    issues = [f"• {i.title}" for i in version.key_issues.all()]
    _section(story, _("Enjeux clés traités"), "\n".join(issues))
    approvals = {a.organisation_id: a for a in version.approvals.select_related("approved_by")}
    partners = list(version.partners.select_related("organisation"))
    if partners:
        story.append(para(_("Partenaires et rôles"), "Heading2"))
        rows = [[_("Partenaire"), _("Rôles"), _("Approbation")]]
        for p in partners:
            approval = approvals.get(p.organisation_id)
            who = ""
            if approval is not None:
                person = approval.approved_by
                name = (person.get_full_name() or person.email) if person else ""
                who = _("le %(date)s") % {"date": dates.date_format(approval.at, "j F Y")}
                who = f"{name}, {who}" if name else who
            label = ", ".join(str(roles.get(r, r)) for r in p.roles)
            rows.append([p.organisation.name, f"{label}\n{p.note}".strip(), who or _("en attente")])
        story.append(table(rows, widths=[0.35, 0.4, 0.25]))
    _section(story, _("Moyens"), version.resources)
    if version.budget_lines:
        story.append(para(_("Premier budget"), "Heading2"))
        rows = [[_("Poste"), _("Financé par"), _("Montant")]]
        rows += [
            [line["label"], line.get("source", ""), money(line["amount"])] for line in version.budget_lines
        ]
        total = sum((Decimal(line["amount"]) for line in version.budget_lines), Decimal("0"))
        rows.append([para(_("Total"), "CellHeader"), "", para(money(total), "CellHeaderRight")])
        story.append(table(rows, widths=[0.5, 0.3, 0.2], right=[2]))
    _section(story, _("Gouvernance"), version.governance)
    if version.starts_on:
        _section(story, _("Démarrage prévu"), dates.date_format(version.starts_on, "j F Y"))
    return build(story, title=f"{charter.title} — v{version.number}", author=group.branch.name)
