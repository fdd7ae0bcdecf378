"""The one way to draw a PDF in Terreau (reportlab platypus), with every text escaped.

reportlab's Paragraph reads a small markup language (<b>, <img src=...>, <para>, entities): a name typed by
a user must never reach it raw, or an <img> is loaded, a tag changes the layout, and an unbalanced tag makes
the whole document fail. para() and table() take plain text and escape it; long words are cut to fit;
characters outside the PDF standard fonts (emoji) are drawn as a box instead of failing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cache
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, StyleSheet1, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

# Table, TableStyle and Flowable are re-exported for layouts that table() does not cover (a questionnaire's boxes
# to tick): a Table draws its string cells as plain text, never as markup; text cells still go through para().
__all__ = [
    "FRAME_WIDTH",
    "Flowable",
    "KeepTogether",
    "PageBreak",
    "Spacer",
    "Table",
    "TableStyle",
    "build",
    "cm",
    "markup_text",
    "para",
    "style",
    "styles",
    "table",
]

MARGIN = 2 * cm
FRAME_WIDTH = A4[0] - 2 * MARGIN
HEADER_BACKGROUND = colors.HexColor("#e8efe6")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@cache
def styles() -> StyleSheet1:
    """reportlab's sample styles, plus Cell, CellHeader, CellRight and Small for tables and footers."""
    sheet = getSampleStyleSheet()
    for style in sheet.byName.values():
        style.splitLongWords = True
    sheet.add(ParagraphStyle("Cell", parent=sheet["Normal"], fontSize=9, leading=11))
    sheet.add(ParagraphStyle("CellHeader", parent=sheet["Cell"], fontName="Helvetica-Bold"))
    sheet.add(ParagraphStyle("CellRight", parent=sheet["Cell"], alignment=TA_RIGHT))
    sheet.add(ParagraphStyle("CellHeaderRight", parent=sheet["CellHeader"], alignment=TA_RIGHT))
    sheet.add(ParagraphStyle("Small", parent=sheet["Italic"], fontSize=8, leading=10))
    return sheet


def style(name: str, parent: str = "Normal", **overrides: Any) -> ParagraphStyle:
    """A paragraph style derived from one of styles() (font, size, indent...)."""
    return ParagraphStyle(name, parent=styles()[parent], **overrides)


def markup_text(value: Any) -> str:
    """Plain text as Paragraph markup that says exactly that text (line breaks kept)."""
    text = _CONTROL.sub("", "" if value is None else str(value))
    return escape(text).replace("\r\n", "\n").replace("\n", "<br/>")


def para(value: Any, style: str | ParagraphStyle = "Normal") -> Paragraph:
    """A paragraph of plain text: never read as markup."""
    return Paragraph(markup_text(value), styles()[style] if isinstance(style, str) else style)


def table(
    rows: Iterable[Sequence[Any]],
    *,
    header: bool = True,
    widths: Sequence[float] | None = None,
    right: Iterable[int] = (),
) -> Table:
    """A grid of plain-text cells that wrap in their column. `widths` are fractions of the frame width
    (equal columns by default); `right` lists the columns aligned right (numbers)."""
    rows = [list(row) for row in rows]
    n = max((len(row) for row in rows), default=1)
    fractions = widths or [1 / n] * n
    right = set(right)

    def cell(value: Any, col: int, is_header: bool) -> Flowable:
        if isinstance(value, Flowable):
            return value
        name = "CellHeader" if is_header else "Cell"
        return para(value, name + ("Right" if col in right else ""))

    data = [[cell(v, c, header and r == 0) for c, v in enumerate(row)] for r, row in enumerate(rows)]
    grid = Table(data, colWidths=[f * FRAME_WIDTH for f in fractions], hAlign="LEFT", repeatRows=int(header))
    style = [("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), HEADER_BACKGROUND))
    grid.setStyle(TableStyle(style))
    return grid


def build(story: list[Flowable], *, title: str, author: str, on_page: Any = None) -> bytes:
    """The document as PDF bytes (A4, 2 cm margins); title and author go to the PDF metadata. ``on_page``
    (canvas, doc) draws on every page (a stamp across a cancelled document)."""
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=_CONTROL.sub("", str(title)),
        author=_CONTROL.sub("", str(author)),
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
    )
    if on_page is None:
        doc.build(story)
    else:
        doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
