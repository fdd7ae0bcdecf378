"""Charts of the report on the page: inline SVG drawn on the server (no JavaScript), every label escaped.

Each chart is an image with a short text alternative (``role="img"`` and ``aria-label``); the page puts the
full figures next to it in a table, so that nothing is said by the chart alone (WCAG 1.1.1, 1.4.1). Colours
have a contrast of at least 3:1 against white (WCAG 1.4.11), and the values are written next to the bars.
The PDF's charts are terreau.evaluation.report_pdf's (reportlab.graphics), from the same figures.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

BAR = "#1f6f3f"  # green, 6.3:1 on white
BEFORE = "#5f6b73"  # grey, 5.6:1 on white
TRACK = "#e8efe6"
WIDTH = 640
LABEL_W = 230
VALUE_W = 90
ROW_H = 26


def number(value: float | None, places: int = 1) -> str:
    """A French decimal ("3,4"), or a dash when unknown."""
    if value is None:
        return "–"
    text = f"{value:.{places}f}".replace(".", ",").replace("-", "−")
    return text


def _cut(text: str, size: int = 38) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= size else text[: size - 1] + "…"


def _svg(height: int, label: str, body: list[str]) -> SafeString:
    return mark_safe(  # noqa: S308 (every text below went through escape())
        f'<svg class="report-chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="system-ui, sans-serif" font-size="13">' + "".join(body) + "</svg>"
    )


def distribution_svg(dist: dict) -> SafeString:
    """Horizontal bars: one per answer, its share of the respondents, its count written at the end."""
    options = dist["options"]
    height = ROW_H * len(options) + 8
    track = WIDTH - LABEL_W - VALUE_W
    body = []
    for i, option in enumerate(options):
        y = 4 + i * ROW_H
        share = option["share"] or 0
        w = round(track * share / 100, 1)
        if option["count"] is None:
            value = escape(_("masqué"))
        else:
            value = f"{number(share, 0)} % ({option['count']})"
        body.append(
            f'<text x="{LABEL_W - 8}" y="{y + 16}" text-anchor="end" fill="#1b1b1b">'
            f"{escape(_cut(option['label'], 34))}</text>"
            f'<rect x="{LABEL_W}" y="{y + 4}" width="{track}" height="16" fill="{TRACK}"/>'
            f'<rect x="{LABEL_W}" y="{y + 4}" width="{w}" height="16" fill="{BAR}"/>'
            f'<text x="{WIDTH - VALUE_W + 6}" y="{y + 16}" fill="#1b1b1b">{value}</text>'
        )
    label = _(
        "Répartition des réponses à « %(q)s » (%(n)s répondants) ; détail dans le tableau qui suit."
    ) % {
        "q": _cut(dist["text"], 80),
        "n": dist["n"],
    }
    return _svg(height, label, body)


def paired_svg(entry: dict) -> SafeString:
    """Two bars (mean before, mean after) on the question's scale, then the mean change and its 95 % CI."""
    result = entry["result"]
    low, high = entry.get("scale") or (0, max(result["mean_before"] or 0, result["mean_after"] or 0, 1))
    span = (high - low) or 1
    track = WIDTH - LABEL_W - VALUE_W
    body = []
    rows = ((_("Avant"), result["mean_before"], BEFORE), (_("Après"), result["mean_after"], BAR))
    for i, (label, value, colour) in enumerate(rows):
        y = 4 + i * ROW_H
        w = 0 if value is None else round(track * max(0.0, (value - low)) / span, 1)
        body.append(
            f'<text x="{LABEL_W - 8}" y="{y + 16}" text-anchor="end" fill="#1b1b1b">{escape(label)}</text>'
            f'<rect x="{LABEL_W}" y="{y + 4}" width="{track}" height="16" fill="{TRACK}"/>'
            f'<rect x="{LABEL_W}" y="{y + 4}" width="{w}" height="16" fill="{colour}"/>'
            f'<text x="{WIDTH - VALUE_W + 6}" y="{y + 16}" fill="#1b1b1b">{number(value, 2)}</text>'
        )
    y = 4 + 2 * ROW_H
    body.append(
        f'<text x="{LABEL_W}" y="{y + 14}" fill="#1b1b1b" font-size="12">'
        f"{escape(_('échelle de %(low)s à %(high)s') % {'low': low, 'high': high})}</text>"
    )
    label = _(
        "Moyenne avant %(before)s, après %(after)s, évolution %(change)s "
        "(intervalle de confiance à 95 %% : %(low)s à %(high)s), sur %(n)s personnes."
    ) % {
        "before": number(result["mean_before"], 2),
        "after": number(result["mean_after"], 2),
        "change": number(result["mean_change"], 2),
        "low": number(result["ci_low"], 2),
        "high": number(result["ci_high"], 2),
        "n": result["n"],
    }
    return _svg(y + 22, label, body)
