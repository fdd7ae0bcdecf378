"""The evaluation's report as a PDF (terreau.core.pdf conventions: every user text through para()/table()).

Charts are reportlab.graphics drawings built from the report's (already suppressed) figures: a bar chart of
each distribution (share of respondents per answer), and for the before/after comparisons a chart of the
mean before and after of each question with the 95 % confidence interval of the change as an error bar.
Texts drawn inside charts are cut short and reduced to what the PDF standard fonts can draw.
"""

from __future__ import annotations

import re

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors

from terreau.core import pdf
from terreau.evaluation.charts import number
from terreau.evaluation.report import Report

GREEN = colors.HexColor("#1f6f3f")
GREY = colors.HexColor("#5f6b73")
TRACK = colors.HexColor("#e8efe6")
INK = colors.HexColor("#1b1b1b")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _chart_text(value: object, size: int = 40) -> str:
    """Plain text a chart's String can draw: no control characters, cp1252 only, cut to ``size``."""
    text = " ".join(_CONTROL.sub(" ", str(value)).split())
    text = text.encode("cp1252", "replace").decode("cp1252")
    return text if len(text) <= size else text[: size - 1] + "…"


def distribution_drawing(dist: dict) -> Drawing:
    """Horizontal bars, one per answer: the share of respondents, the count written after the bar."""
    width, label_w, value_w, row = pdf.FRAME_WIDTH, 150, 70, 16
    track = width - label_w - value_w
    options = dist["options"]
    drawing = Drawing(width, row * len(options) + 4)
    for i, option in enumerate(options):
        y = drawing.height - (i + 1) * row
        share = option["share"] or 0
        drawing.add(
            String(label_w - 6, y + 4, _chart_text(option["label"], 30), fontSize=8, textAnchor="end")
        )
        drawing.add(Rect(label_w, y + 2, track, 11, fillColor=TRACK, strokeColor=None))
        drawing.add(Rect(label_w, y + 2, track * share / 100, 11, fillColor=GREEN, strokeColor=None))
        value = _("masqué") if option["count"] is None else f"{number(share, 0)} % ({option['count']})"
        drawing.add(String(label_w + track + 4, y + 4, _chart_text(value), fontSize=8))
    return drawing


def paired_drawing(entries: list[dict]) -> Drawing:
    """For each question: bars of the mean before (grey) and after (green) on the question's scale, and
    the 95 % confidence interval of the change drawn as an error bar around the mean after."""
    width, label_w, value_w, block = pdf.FRAME_WIDTH, 150, 80, 34
    track = width - label_w - value_w
    drawing = Drawing(width, block * len(entries) + 24)
    top = drawing.height - 4
    drawing.add(Rect(label_w, top - 8, 8, 8, fillColor=GREY, strokeColor=None))
    drawing.add(String(label_w + 12, top - 7, _chart_text(_("Moyenne avant")), fontSize=8))
    drawing.add(Rect(label_w + 110, top - 8, 8, 8, fillColor=GREEN, strokeColor=None))
    drawing.add(String(label_w + 122, top - 7, _chart_text(_("Moyenne après")), fontSize=8))
    drawing.add(Line(label_w + 220, top - 4, label_w + 236, top - 4, strokeColor=INK, strokeWidth=1))
    drawing.add(String(label_w + 240, top - 7, _chart_text(_("IC à 95 % de l'évolution")), fontSize=8))
    for i, entry in enumerate(entries):
        result = entry["result"]
        low, high = entry.get("scale") or (0, max(result["mean_before"] or 0, result["mean_after"] or 0, 1))
        span = (high - low) or 1

        def x(value: float, low: float = low, span: float = span) -> float:
            return label_w + track * min(max((value - low) / span, 0.0), 1.0)

        y = top - 20 - (i + 1) * block + 6
        drawing.add(String(label_w - 6, y + 17, _chart_text(entry["text"], 32), fontSize=8, textAnchor="end"))
        drawing.add(String(label_w - 6, y + 7, f"n = {result['n']}", fontSize=7, textAnchor="end"))
        for offset, value, colour in ((14, result["mean_before"], GREY), (2, result["mean_after"], GREEN)):
            drawing.add(Rect(label_w, y + offset, track, 10, fillColor=TRACK, strokeColor=None))
            if value is not None:
                drawing.add(
                    Rect(label_w, y + offset, x(value) - label_w, 10, fillColor=colour, strokeColor=None)
                )
                drawing.add(String(label_w + track + 4, y + offset + 2, number(value, 2), fontSize=8))
        if None not in (result["mean_after"], result["mean_change"], result["ci_low"], result["ci_high"]):
            base = result["mean_after"] - result["mean_change"]
            lo, hi = x(base + result["ci_low"]), x(base + result["ci_high"])
            for line in (
                Line(lo, y + 7, hi, y + 7),
                Line(lo, y + 3, lo, y + 11),
                Line(hi, y + 3, hi, y + 11),
            ):
                line.strokeColor, line.strokeWidth = INK, 1
                drawing.add(line)
    return drawing


def _value(value, unit: str = "") -> str:
    if value is None:
        return "–"
    places = 2 if unit == "€" else (0 if isinstance(value, int) else 1)
    text = number(float(value), places)
    return f"{text} {unit}".strip()


def report_pdf(*, report: Report) -> bytes:
    s = pdf.styles()
    story: list = [
        pdf.para(report.title, "Title"),
        pdf.para(
            _("%(program)s · période du %(start)s au %(end)s · %(state)s")
            % {
                "program": report.program,
                "start": date_format(report.period_start, "j F Y"),
                "end": date_format(report.period_end, "j F Y"),
                "state": report.state,
            }
        ),
        pdf.para(
            _("Aucun chiffre calculé sur moins de %(n)s répondants n'est publié.") % {"n": report.min_count},
            "Small",
        ),
    ]
    if report.purpose:
        story += [pdf.para(report.purpose), pdf.Spacer(1, 6)]
    story.append(pdf.para(_("Questions évaluatives et indicateurs"), "Heading2"))
    rows = [[_("Indicateur"), _("Mesure"), _("Cible"), _("Résultat")]]
    for section in report.framework:
        rows.append([pdf.para(section["question"], "CellHeader"), "", "", ""])
        for ind in section["indicators"]:
            rows.append(
                [
                    ind["label"],
                    _value(ind["value"], ind["unit"]),
                    _value(ind["target"], ind["unit"]),
                    ind["status_label"],
                ]
            )
    if len(rows) > 1:
        story.append(pdf.table(rows, widths=[0.46, 0.2, 0.16, 0.18], right=[1, 2]))
    story.append(pdf.para(_("Réalisations"), "Heading2"))
    story.append(
        pdf.table(
            [[_("Donnée"), _("Valeur")]]
            + [[o["label"], _value(o["value"], o["unit"])] for o in report.outputs],
            widths=[0.7, 0.3],
            right=[1],
        )
    )
    story.append(pdf.para(_("Taux de réponse"), "Heading2"))
    rate_rows = [[_("Vague"), _("Public"), _("Site"), _("Inscrits"), _("Réponses"), _("Taux")]]
    for r in report.rates:
        if r["suppressed"]:
            rate_rows.append([r["wave_label"], r["audience_label"], r["site"], _("masqué"), "", ""])
        else:
            rate_rows.append(
                [
                    r["wave_label"],
                    r["audience_label"],
                    r["site"],
                    r["enrolled"],
                    r["submitted"],
                    _value(r["rate"], "%"),
                ]
            )
    story.append(pdf.table(rate_rows, widths=[0.12, 0.2, 0.32, 0.12, 0.12, 0.12], right=[3, 4, 5]))
    shown_pairs = [p for p in report.paired if not p["suppressed"]]
    if shown_pairs:
        heading = pdf.para(_("Évolutions avant / après (mêmes personnes)"), "Heading2")
        for chunk in range(0, len(shown_pairs), 8):
            drawing = paired_drawing(shown_pairs[chunk : chunk + 8])
            story.append(pdf.KeepTogether([heading, drawing]) if chunk == 0 else drawing)
        table_rows = [[_("Question"), "n", _("Évolution (IC 95 %)"), _("Test, p"), _("En progrès")]]
        for p in shown_pairs:
            r = p["result"]
            table_rows.append(
                [
                    p["text"] + (" " + _("(petit effectif)") if r["small"] else ""),
                    r["n"],
                    f"{number(r['mean_change'], 2)} [{number(r['ci_low'], 2)} ; {number(r['ci_high'], 2)}]",
                    f"{r['test'] or ''}, {r['p_display']}"
                    if r["p_value"] is not None
                    else (r["test_note"] or "–"),
                    _value(r["share_improved"], "%"),
                ]
            )
        story.append(pdf.table(table_rows, widths=[0.34, 0.08, 0.22, 0.24, 0.12], right=[1]))
    story.append(pdf.para(_("Répartition des réponses"), "Heading2"))
    for dist in report.distributions:
        title = f"{dist['text']} — {dist['audience_label']}, {dist['wave_label'].lower()}"
        if dist["suppressed"]:
            story.append(pdf.para(title, "Heading4"))
            story.append(pdf.para(_("Résultat masqué : trop peu de répondants."), "Small"))
            continue
        block = [pdf.para(title, "Heading4"), pdf.para(_("%(n)s répondants") % {"n": dist["n"]}, "Small")]
        if dist["options"]:
            block.append(distribution_drawing(dist))
        elif dist["mean"] is not None:
            block.append(
                pdf.para(
                    _("Moyenne %(m)s, médiane %(md)s")
                    % {"m": number(dist["mean"], 1), "md": number(dist["median"], 1)}
                )
            )
        story.append(pdf.KeepTogether(block))
    if report.quotes:
        story.append(pdf.para(_("Paroles de répondants (anonymisées)"), "Heading2"))
        for quote in report.quotes:
            story.append(pdf.para(f"« {quote['text']} »", pdf.style("Quote", leftIndent=12, spaceAfter=4)))
    story.append(pdf.para(_("Méthode"), "Heading2"))
    story.append(pdf.para(report.method or _("Non précisée.")))
    story.append(pdf.para(_("Limites"), "Heading2"))
    if report.limits:
        story.append(pdf.para(report.limits))
    for limit in report.auto_limits:
        story.append(pdf.para(f"• {limit}", s["Normal"]))
    story.append(pdf.Spacer(1, 8))
    story.append(
        pdf.para(
            _("Rapport produit par Terreau le %(day)s.") % {"day": date_format(report.generated_at, "j F Y")},
            "Small",
        )
    )
    return pdf.build(story, title=report.title, author=report.program)
