"""Counts read as French, through ngettext / {% blocktranslate count %}: "1 présent", "3 présents", never
"présent(s)"."""

from __future__ import annotations

import re
from pathlib import Path

from django.template.loader import render_to_string

from terreau.meetings.views import _adjusted_message

ROOT = Path(__file__).resolve().parent.parent


def test_checkin_count_agrees_with_its_numbers():
    one = render_to_string("events/_checkin_rows.html", {"present": 1, "expected": 1, "rows": []})
    many = render_to_string("events/_checkin_rows.html", {"present": 3, "expected": 5, "rows": []})
    assert "1 présent sur 1 inscrit confirmé" in one
    assert "3 présents sur 5 inscrits confirmés" in many


def test_adjusted_plan_message_agrees_with_its_numbers():
    assert _adjusted_message({"removed": 1, "added": 2, "moved": 1}) == (
        "Planning ajusté : 1 rendez-vous annulé, 2 ajoutés, 1 déplacé."
    )


def test_no_parenthesised_plural_in_templates():
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "terreau" / "templates").rglob("*.*")
        if re.search(r"\w\((s|x|e\)s|es)\)", path.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"use {{% blocktranslate count %}} instead of (s): {offenders}"


def test_no_gender_or_plural_marks_in_parentheses_in_templates():
    """Neither "présent(e)" nor "(s)": say it another way ("Présence de Léa enregistrée") or use ngettext."""
    pattern = re.compile(r"[a-zàâçéèêëîïôûù]\((e|s|es|x|e\)\(s)\)")
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "terreau" / "templates").rglob("*.*")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, offenders


def test_no_gender_or_plural_marks_in_parentheses_in_python_messages():
    pattern = re.compile(r"""(?:_|gettext(?:_lazy)?|ngettext)\(\s*["'][^"']*[a-zé]\((?:e|s|es|x)\)""")
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "terreau").rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, offenders
