"""The tabular toolkit (terreau.core.tabular): formulas neutralised, types kept, CSV for Excel, XLSX safe."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from terreau.core.tabular import Sheet, csv_response, csv_text, safe_cell, xlsx_bytes, xlsx_response

ATTACK = "=cmd|' /C calc'!A0"
HOSTILE = [ATTACK, "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"]


def read_csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))


@pytest.mark.parametrize("value", HOSTILE)
def test_every_formula_start_is_neutralised(value):
    assert safe_cell(value) == "'" + value
    assert read_csv(csv_text([[value]])) == [["'" + value]]
    sheet = load_workbook(io.BytesIO(xlsx_bytes([Sheet("Feuille", rows=[[value]])]))).active
    # XML reads a carriage return back as a line feed.
    assert sheet["A1"].value == "'" + value.replace("\r", "\n") and sheet["A1"].data_type == "s"


def test_numbers_dates_and_plain_text_are_kept():
    kept = [-3, 2.5, None, "Solidatech", "a=b", date(2025, 1, 2), True]
    assert [safe_cell(v) for v in kept] == kept
    sheet = load_workbook(io.BytesIO(xlsx_bytes([Sheet("Feuille", ["n", "texte"], [[-3, ATTACK]])]))).active
    assert [c.value for c in sheet[2]] == [-3, "'" + ATTACK]
    assert sheet["A1"].font.bold


def test_csv_is_semicolon_separated_with_crlf_and_quotes():
    text = csv_text([["Nom", "Note"], ["Aînés; connectés", 'dit "oui"\nensuite']])
    assert text.startswith("\ufeffNom;Note\r\n")
    assert read_csv(text)[1] == ["Aînés; connectés", 'dit "oui"\nensuite']


def test_xlsx_refuses_nothing_a_user_may_type():
    aware = datetime(2025, 3, 1, 13, 0, tzinfo=UTC)
    body = xlsx_bytes(
        [Sheet("Un titre / bien [trop] long pour Excel : 31 caractères", rows=[["bip\x07", aware]])],
        title="=titre",
    )
    workbook = load_workbook(io.BytesIO(body))
    sheet = workbook.active
    assert len(sheet.title) == 31 and "/" not in sheet.title
    assert sheet["A1"].value == "bip"
    assert sheet["B1"].value == datetime(2025, 3, 1, 14, 0)  # Europe/Paris, without time zone
    assert workbook.properties.title == "'=titre"


def test_responses_buffered_or_streamed():
    rows = [["a"], [ATTACK]]
    plain = csv_response(rows, filename="x.csv")
    assert plain.content.decode("utf-8-sig") == "a\r\n'" + ATTACK + "\r\n"
    streamed = csv_response(iter(rows), filename="x.csv", streaming=True)
    assert b"".join(streamed.streaming_content).decode("utf-8-sig") == plain.content.decode("utf-8-sig")
    assert streamed["Content-Disposition"] == 'attachment; filename="x.csv"'
    xlsx = xlsx_response([Sheet("A", rows=rows)], filename="x.xlsx", streaming=True)
    assert load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active["A2"].value == "'" + ATTACK
