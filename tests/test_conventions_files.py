"""Conventions for generated files: every CSV/XLSX goes through terreau.core.tabular (formulas neutralised)
and every PDF through terreau.core.pdf (text escaped)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "terreau"
SOURCES = sorted(p for p in ROOT.rglob("*.py") if "migrations" not in p.parts)

RULES = [
    (
        "terreau/core/tabular.py",
        re.compile(r"\bcsv\.(writer|DictWriter)\b|\bWorkbook\s*\(|from openpyxl import[^\n]*\bWorkbook\b"),
        "write CSV/XLSX with terreau.core.tabular (csv_response, xlsx_response, write_csv...)",
    ),
    (
        "terreau/core/pdf.py",
        re.compile(r"\breportlab\.(platypus|pdfgen)\b|\bParagraph\s*\(|\bcanvas\.Canvas\b"),
        "draw PDFs with terreau.core.pdf (para, table, build), which escapes every text",
    ),
]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT.parent)))
def test_files_are_written_by_their_toolkit(path):
    rel = str(path.relative_to(ROOT.parent))
    text = path.read_text(encoding="utf-8")
    for owner, pattern, advice in RULES:
        if rel != owner:
            match = pattern.search(text)
            assert match is None, f"{rel} uses {match.group(0)!r}: {advice}"


def test_the_rules_catch_the_old_ways():
    tabular, pdf = (pattern for _owner, pattern, _advice in RULES)
    assert tabular.search("writer = csv.writer(response)") and tabular.search("wb = Workbook()")
    assert pdf.search("from reportlab.platypus import Table") and pdf.search("Paragraph(name, style)")
    assert not tabular.search("csv.reader(f)") and not pdf.search("from reportlab.lib.units import cm")
