"""The printable paper questionnaire: large type, boxes to tick, the personal code field and the consent line.

Every text typed by the team (title, intro, questions, choices) goes through terreau.core.pdf's para(), never raw
into reportlab's markup. Skip logic is written out in words (« Répondez si vous avez répondu … »).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from reportlab.lib import colors

from terreau.core.pdf import (
    FRAME_WIDTH,
    Flowable,
    KeepTogether,
    Spacer,
    Table,
    TableStyle,
    build,
    cm,
    para,
    style,
)
from terreau.evaluation.instrument_models import Instrument, Item

BOX = 0.8 * cm


class TickBox(Flowable):
    """An empty square to tick with a pen."""

    def __init__(self, size: float = 0.7 * cm) -> None:
        super().__init__()
        self.size = size
        self.width = self.height = size

    def draw(self) -> None:
        self.canv.setLineWidth(1.4)
        self.canv.rect(0, 0, self.size, self.size)


def _styles() -> dict:
    return {
        "title": style("PaperTitle", "Title", fontSize=22, leading=28),
        "body": style("PaperBody", "Normal", fontSize=14, leading=19),
        "question": style("PaperQuestion", "Normal", fontName="Helvetica-Bold", fontSize=15, leading=20),
        "help": style("PaperHelp", "Italic", fontSize=12, leading=16),
        "option": style("PaperOption", "Normal", fontSize=14, leading=18),
        "scale": style("PaperScale", "Normal", fontSize=13, leading=16, alignment=1),
        "end": style("PaperEnd", "Italic", fontSize=12, leading=16, alignment=2),
    }


def _boxed_rows(labels: list[str], s: dict) -> Table:
    """One line per option: an empty box to tick, then the option."""
    rows = [[TickBox(), para(label, s["option"])] for label in labels]
    grid = Table(rows, colWidths=[BOX + 0.4 * cm, FRAME_WIDTH - BOX - 0.4 * cm], hAlign="LEFT")
    grid.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return grid


def _scale(item: Item, s: dict) -> Table:
    """A Likert scale: a row of boxes with their numbers below, the end labels under the ends."""
    values = list(range(item.scale_min, item.scale_max + 1))
    width = min(2.4 * cm, FRAME_WIDTH / len(values))
    grid = Table(
        [[TickBox() for _v in values], [para(str(v), s["scale"]) for v in values]],
        colWidths=[width] * len(values),
        hAlign="LEFT",
        style=[("ALIGN", (0, 0), (-1, -1), "CENTER")],
    )
    if not (item.scale_min_label or item.scale_max_label):
        return grid
    total = width * len(values)
    ends = Table(
        [[para(item.scale_min_label, s["help"]), para(item.scale_max_label, s["end"])]],
        colWidths=[total / 2, total / 2],
        hAlign="LEFT",
    )
    return Table([[grid], [ends]], colWidths=[total], hAlign="LEFT")


def _write_box(height: float) -> Table:
    grid = Table([[""]], colWidths=[FRAME_WIDTH], rowHeights=[height], hAlign="LEFT")
    grid.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1, colors.black)]))
    return grid


def _answer_area(item: Item, s: dict) -> object:
    if item.kind == Item.Kind.LIKERT:
        return _scale(item, s)
    if item.kind == Item.Kind.YES_NO:
        return _boxed_rows([_("Oui"), _("Non")], s)
    if item.kind in (Item.Kind.SINGLE, Item.Kind.MULTIPLE):
        return _boxed_rows([str(c.get("label", c.get("value", ""))) for c in item.choices or []], s)
    if item.kind == Item.Kind.NUMBER:
        grid = Table([[""]], colWidths=[5 * cm], rowHeights=[1.2 * cm], hAlign="LEFT")
        grid.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1, colors.black)]))
        return grid
    return _write_box(4 * cm)


def _condition(item: Item, codes: dict[str, tuple[int, Item]]) -> str:
    show_if = item.show_if or {}
    earlier = codes.get(show_if.get("item", "")) if isinstance(show_if, dict) else None
    if earlier is None:
        return ""
    number, source = earlier
    labels = {str(c.get("value")): str(c.get("label", c.get("value"))) for c in source.choices or []}
    labels.update({"yes": _("Oui"), "no": _("Non")})
    wanted = ", ".join(f"« {labels.get(str(v), str(v))} »" for v in show_if.get("in") or [])
    return _("Répondez seulement si vous avez répondu %(values)s à la question %(n)s.") % {
        "values": wanted,
        "n": number,
    }


def paper_pdf(*, instrument: Instrument) -> bytes:
    s = _styles()
    story: list = [para(instrument.title, s["title"])]
    if instrument.intro:
        story += [para(instrument.intro, s["body"]), Spacer(1, 0.4 * cm)]
    story += [
        para(_("Votre code personnel, si l'équipe vous en a remis un :"), s["body"]),
        Table(
            [[""]],
            colWidths=[7 * cm],
            rowHeights=[1.2 * cm],
            hAlign="LEFT",
            style=[("BOX", (0, 0), (-1, -1), 1.2, colors.black)],
        ),
        Spacer(1, 0.4 * cm),
        _boxed_rows([_("J'accepte de répondre à ce questionnaire ; mes réponses restent anonymes.")], s),
        Spacer(1, 0.3 * cm),
        para(
            _(
                "Cochez une case par question (plusieurs quand c'est indiqué). Vous pouvez laisser une question "
                "sans réponse si vous préférez ne pas répondre."
            ),
            s["help"],
        ),
        Spacer(1, 0.6 * cm),
    ]
    codes: dict[str, tuple[int, Item]] = {}
    for number, item in enumerate(instrument.items.order_by("order", "pk"), start=1):
        codes[item.code] = (number, item)
        block = [para(f"{number}. {item.text}", s["question"])]
        condition = _condition(item, codes)
        if condition:
            block.append(para(condition, s["help"]))
        if item.help_text:
            block.append(para(item.help_text, s["help"]))
        if item.kind == Item.Kind.MULTIPLE:
            block.append(para(_("Plusieurs réponses possibles."), s["help"]))
        block += [Spacer(1, 0.2 * cm), _answer_area(item, s), Spacer(1, 0.6 * cm)]
        story.append(KeepTogether(block))
    story.append(para(_("Merci de votre participation."), s["body"]))
    return build(story, title=instrument.title, author=str(instrument.evaluation.program))
