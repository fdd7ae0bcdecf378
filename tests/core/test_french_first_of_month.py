"""The first day of a month is written "1er" in every template, PDF and message, the way French readers expect."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.template import Context, Template

from terreau.core import dates
from terreau.core.french import first_of_month


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 janvier 2027", "1er janvier 2027"),
        ("vendredi 1 janvier à 14:30", "vendredi 1er janvier à 14:30"),
        ("1 sept. 2026", "1er sept. 2026"),
        ("21 janvier 2027", "21 janvier 2027"),
        ("11 mai", "11 mai"),
        ("1 mars et 1 mai", "1er mars et 1er mai"),
        ("1 marsupial", "1 marsupial"),
        ("1 personne", "1 personne"),
        ("01/01/2027", "01/01/2027"),
        ("1er janvier", "1er janvier"),
    ],
)
def test_first_of_month(text, expected):
    assert first_of_month(text) == expected


def render(template: str, **context) -> str:
    return Template(template).render(Context(context))


def test_every_template_date_filter_writes_1er_without_load():
    assert render('{{ d|date:"j F Y" }}', d=date(2027, 1, 1)) == "1er janvier 2027"
    assert render('{{ d|date:"l j N Y" }}', d=date(2026, 9, 1)) == "mardi 1er sept. 2026"
    assert render('{{ d|date:"j F Y" }}', d=date(2027, 1, 21)) == "21 janvier 2027"
    # Figures alone stay figures (a calendar's day number, a numeric date).
    assert render('{{ d|date:"j" }}', d=date(2027, 1, 1)) == "1"
    assert render('{{ d|date:"d/m/Y" }}', d=date(2027, 1, 1)) == "01/01/2027"
    assert render("{{ d|date }}", d=None) == ""


def test_template_date_filter_still_uses_local_time(settings):
    settings.TIME_ZONE = "Europe/Paris"
    moment = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    # 23:30 UTC on 31 December is 00:30 on 1 January in Paris.
    assert render('{{ d|date:"j F Y H:i" }}', d=moment) == "1er janvier 2027 00:30"


def test_python_date_format_for_pdfs_and_messages():
    assert dates.date_format(date(2027, 5, 1), "l j F Y") == "samedi 1er mai 2027"
