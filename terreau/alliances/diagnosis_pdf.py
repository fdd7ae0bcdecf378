"""The published diagnosis as a PDF (terreau.core.pdf: every text escaped): its territory, the chosen key
issues with their evidence, the Borda table with its rule, the consultation and the indicator tables."""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from terreau.alliances.diagnosis_views import published_context
from terreau.alliances.models import Diagnosis
from terreau.core import dates
from terreau.core.pdf import KeepTogether, Spacer, build, cm, para, style, table


def _number(value) -> str:
    return number_format(value.normalize() if hasattr(value, "normalize") else value, use_l10n=True)


def _evidence(issue) -> list[str]:
    lines = []
    for answer in issue.answers.all():
        text = _("Réponse de %(org)s") % {"org": answer.organisation_name}
        if answer.issues:
            excerpt = (
                answer.issues if len(answer.issues) <= 240 else answer.issues[:240].rsplit(" ", 1)[0] + "…"
            )
            text += f" : « {excerpt} »"
        lines.append(text)
    for value in issue.indicator_values.all():
        unit = f" {value.indicator.unit}" if value.indicator.unit else ""
        lines.append(
            f"{value.indicator.label} : {_number(value.value)}{unit} "
            f"({value.get_level_display()} {value.code}, {value.year}, {value.source})"
        )
    for need in issue.needs.all():
        lines.append(
            _("Besoin « %(title)s » de %(org)s (%(status)s)")
            % {"title": need.title, "org": need.organisation.name, "status": need.get_status_display()}
        )
    return lines


def diagnosis_document(diagnosis: Diagnosis) -> bytes:
    context = published_context(diagnosis)
    h1 = style("DiagTitle", "Title", fontSize=18, leading=22)
    h2 = style("DiagH2", "Heading2", spaceBefore=12)
    h3 = style("DiagH3", "Heading3", spaceBefore=6)
    bullet = style(
        "DiagBullet", "Normal", leftIndent=0.5 * cm, bulletIndent=0.1 * cm, fontSize=9.5, leading=12
    )
    period = _("du %(start)s au %(end)s") % {
        "start": dates.date_format(diagnosis.period_start, "j F Y"),
        "end": dates.date_format(diagnosis.period_end, "j F Y"),
    }
    facts = [_("Diagnostic territorial"), diagnosis.branch.name, period]
    if diagnosis.published_at:
        facts.append(_("publié le %(date)s") % {"date": dates.date_format(diagnosis.published_at, "j F Y")})
    else:
        facts.append(_("aperçu, non publié"))
    places = (
        [f"{d.name} ({d.code})" for d in context["departments"]]
        + [e.name for e in context["epcis"]]
        + [c.name for c in context["communes"]]
    )
    story = [para(diagnosis.title, h1), para(" · ".join(facts), "Italic")]
    if diagnosis.is_demo:
        story.append(
            para(_("Donnée de démonstration : organisations et chiffres fictifs ou illustratifs."), "Small")
        )
    story += [Spacer(1, 0.3 * cm), para(_("Territoire : %(places)s") % {"places": ", ".join(places)})]
    if diagnosis.summary:
        story += [Spacer(1, 0.2 * cm), para(diagnosis.summary)]

    story.append(para(_("Enjeux clés retenus"), h2))
    if not context["chosen"]:
        story.append(para(_("Aucun enjeu clé retenu.")))
    for issue in context["chosen"]:
        block = [para(issue.title, h3)]
        if issue.description:
            block.append(para(issue.description))
        evidence = _evidence(issue)
        if evidence:
            block.append(para(_("Preuves :"), "Normal"))
            block += [para(f"• {line}", bullet) for line in evidence]
        story.append(KeepTogether(block))

    rates = context["rates"]
    story.append(para(_("Classement des enjeux par les acteurs consultés"), h2))
    story.append(
        para(
            ngettext(
                "Décompte de Borda sur %(n)s classement.",
                "Décompte de Borda sur %(n)s classements.",
                rates["ballots"],
            )
            % {"n": rates["ballots"]}
        )
    )
    rows = [[_("Rang"), _("Enjeu"), _("Points"), _("Premières places"), _("Classements")]]
    for row in context["table"]:
        title = row["key_issue"].title + (f" ({_('retenu')})" if row["key_issue"].state == "chosen" else "")
        rows.append([row["rank"], title, row["points"], row["firsts"], row["ballots"]])
    story.append(table(rows, widths=[0.08, 0.45, 0.1, 0.18, 0.19], right=[0, 2, 3, 4]))
    story.append(
        para(
            _(
                "Règle de Borda : avec n enjeux, un classement donne n-1 points à son premier choix, n-2 au suivant, "
                "et ainsi de suite ; un enjeu non classé ne reçoit rien de ce classement. À égalité de points, le "
                "nombre de premières places départage ; sinon les enjeux partagent le rang."
            ),
            "Small",
        )
    )

    story.append(para(_("La consultation"), h2))
    text = ngettext("%(n)s structure a répondu.", "%(n)s structures ont répondu.", rates["answers"]) % {
        "n": rates["answers"]
    }
    if rates["invited"]:
        text += " " + _("Taux de réponse des structures invitées : %(rate)s %% (sur %(invited)s).") % rates
    story.append(para(text))
    names = [a.organisation_name for a in context["answers"]]
    if names:
        story.append(para(_("Structures qui ont répondu : %(names)s.") % {"names": ", ".join(names)}))

    story.append(para(_("Indicateurs territoriaux"), h2))
    if not context["tables"]:
        story.append(para(_("Aucun indicateur pour ce territoire.")))
    for t in context["tables"]:
        unit = f" ({t['indicator'].unit})" if t["indicator"].unit else ""
        rows = [[_("Lieu"), _("Valeur"), _("Région"), _("France"), _("Année"), _("Source")]]
        for r in t["rows"]:
            rows.append(
                [
                    f"{r['place']} ({r['level']})",
                    _number(r["value"].value),
                    _number(r["region"].value) if r["region"] else "—",
                    _number(r["france"].value) if r["france"] else "—",
                    r["value"].year,
                    r["value"].source,
                ]
            )
        story.append(
            KeepTogether(
                [
                    para(t["indicator"].label + unit, h3),
                    table(rows, widths=[0.26, 0.11, 0.11, 0.11, 0.09, 0.32], right=[1, 2, 3, 4]),
                ]
            )
        )
    return build(story, title=diagnosis.title, author=diagnosis.branch.name)
