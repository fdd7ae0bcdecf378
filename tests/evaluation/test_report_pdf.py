"""The report's PDF (terreau.evaluation.report_pdf): a real PDF (poppler reads its text and draws its first
page), with its charts, that hostile text in titles, questions and quotes cannot break."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from django.db import connection

from terreau.evaluation.instrument_models import Item
from terreau.evaluation.models import Evaluation
from terreau.evaluation.report import build_report
from terreau.evaluation.report_pdf import distribution_drawing, paired_drawing, report_pdf
from terreau.evaluation.response_models import Answer
from tests.evaluation.test_analysis import make_world

pytestmark = pytest.mark.django_db

HOSTILE = '<para><img src="/etc/passwd"/><b>Gras & </i> 🙂 \x00\x07 \u202e « Fin »'
# PostgreSQL stores no NUL byte (forms refuse it, answers drop it): stored rows keep the rest of the hostile text.
STORED = HOSTILE.replace("\x00", "") if connection.vendor == "postgresql" else HOSTILE
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")


def _text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "rapport.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout


@needs_poppler
def test_pdf_is_a_real_pdf_with_its_charts(tmp_path):
    world = make_world()
    Evaluation.objects.filter(pk=world.evaluation.pk).update(
        title="Évaluation des ateliers 2026", method="Questionnaires avant et après.", limits="Pas de témoin."
    )
    world.evaluation.refresh_from_db()
    pdf = report_pdf(report=build_report(evaluation=world.evaluation))
    assert pdf.startswith(b"%PDF")
    text = _text(pdf, tmp_path)
    assert "Évaluation des ateliers 2026" in text
    assert "Taux de réponse" in text and "Évolutions avant / après" in text
    assert "Moyenne avant" in text and "Moyenne après" in text  # the paired chart's legend
    assert "Questionnaires avant et après." in text and "Pas de témoin." in text
    assert "Josiane" not in text and "example.org" not in text
    path = tmp_path / "rapport.pdf"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")], check=True
    )
    pngs = list(tmp_path.glob("p*.png"))
    assert pngs and pngs[0].stat().st_size > 1000


@needs_poppler
def test_hostile_text_does_not_break_the_pdf(tmp_path):
    world = make_world()
    Evaluation.objects.filter(pk=world.evaluation.pk).update(
        title=STORED, purpose=STORED, method=STORED, limits=STORED
    )
    world.evaluation.refresh_from_db()
    Item.objects.filter(instrument__evaluation=world.evaluation).update(text=STORED)
    Answer.objects.filter(item__code="avis").update(text=STORED + " et encore des mots ici")
    report = build_report(evaluation=world.evaluation)
    assert report.quotes  # the hostile quote is there, anonymised but with its markup
    pdf = report_pdf(report=report)
    text = _text(pdf, tmp_path)
    assert '<img src="/etc/passwd"/>' in text  # drawn as text, never read as markup
    assert "<b>Gras &" in text


def test_charts_take_any_label():
    dist = {
        "options": [{"label": HOSTILE * 3, "count": 3, "share": 42.9}, {"label": "", "count": 0, "share": 0}]
    }
    assert distribution_drawing(dist).height > 0
    entry = {
        "text": HOSTILE,
        "scale": (1, 5),
        "result": {
            "n": 12,
            "mean_before": 2.0,
            "mean_after": 3.5,
            "mean_change": 1.5,
            "ci_low": 0.9,
            "ci_high": 2.1,
        },
    }
    empty = {"text": "x", "scale": None, "result": dict.fromkeys(entry["result"], None) | {"n": 0}}
    assert paired_drawing([entry, empty]).height > 0
