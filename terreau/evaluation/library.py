"""The library of French question templates (data/question_templates.json), offered by the questionnaire
builder: confidence with digital tools, social contacts, well-being, satisfaction with the sessions, host-site
staff's observations, volunteers' skills, partnership, families.

Each template names its ``key`` (stable), ``theme``, ``audiences``, ``kind`` (an Item kind), ``text``, ``help``,
a recommended ``code`` (kept across versions and waves) and, by kind: ``scale`` (min, max and the labels of
both ends) for a Likert scale, ``choices`` (labels) for single and multiple choice, ``number_min`` and
``number_max`` for a number. The file is validated when first read: a broken template fails loudly.
"""

from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from terreau.evaluation.instrument_models import Item
from terreau.evaluation.models import Audience

PATH = Path(__file__).resolve().parent / "data" / "question_templates.json"
KINDS = {k.value for k in Item.Kind}
AUDIENCES = {a.value for a in Audience}
CODE = re.compile(r"^[a-z0-9_-]{1,60}$")


class LibraryError(ValueError):
    """The templates' file is malformed (a developer's mistake, never a user's)."""


def problems(data: dict[str, Any]) -> list[str]:
    """Everything wrong with the library's data (an empty list when it is valid)."""
    themes = data.get("themes") or {}
    rows = data.get("templates") or []
    found: list[str] = []
    keys: set[str] = set()
    codes: set[str] = set()
    if not rows:
        found.append("no template")
    for i, t in enumerate(rows):
        where = f"template {i} ({t.get('key', '?')})"
        key, code = t.get("key") or "", t.get("code") or ""
        if not key or key in keys:
            found.append(f"{where}: missing or repeated key")
        if not CODE.match(code) or code in codes:
            found.append(f"{where}: missing, malformed or repeated code")
        keys.add(key)
        codes.add(code)
        if t.get("theme") not in themes:
            found.append(f"{where}: unknown theme")
        audiences = t.get("audiences") or []
        if not audiences or not set(audiences) <= AUDIENCES:
            found.append(f"{where}: missing or unknown audience")
        if not (t.get("text") or "").strip() or len(t["text"]) > 400 or len(t.get("help") or "") > 300:
            found.append(f"{where}: text missing or too long")
        kind = t.get("kind")
        if kind not in KINDS:
            found.append(f"{where}: unknown kind")
        elif kind == Item.Kind.LIKERT:
            scale = t.get("scale") or {}
            lo, hi = scale.get("min"), scale.get("max")
            if not (isinstance(lo, int) and isinstance(hi, int) and 2 <= hi - lo + 1 <= 11):
                found.append(f"{where}: the scale needs 2 to 11 points")
            if not (scale.get("min_label") and scale.get("max_label")):
                found.append(f"{where}: the scale needs labels at both ends")
        elif kind in (Item.Kind.SINGLE, Item.Kind.MULTIPLE):
            choices = [str(c).strip() for c in t.get("choices") or []]
            if not 2 <= len(choices) <= 20 or "" in choices or len(set(choices)) != len(choices):
                found.append(f"{where}: 2 to 20 distinct, non-empty choices")
        elif kind == Item.Kind.NUMBER:
            lo, hi = t.get("number_min"), t.get("number_max")
            if lo is not None and hi is not None and not lo < hi:
                found.append(f"{where}: number_min must be below number_max")
    return found


@lru_cache(maxsize=1)
def _load() -> dict[str, Any]:
    data = json.loads(PATH.read_text(encoding="utf-8"))
    wrong = problems(data)
    if wrong:
        raise LibraryError("; ".join(wrong))
    return data


def themes() -> dict[str, str]:
    """Theme keys and their French labels, in the library's order."""
    return dict(_load()["themes"])


def templates(audience: str | None = None) -> list[dict[str, Any]]:
    """The templates (copies), those meant for ``audience`` only when given."""
    rows = _load()["templates"]
    return [copy.deepcopy(t) for t in rows if audience is None or audience in t["audiences"]]


def template(key: str) -> dict[str, Any]:
    """One template by its key (a copy); KeyError when there is none."""
    for t in _load()["templates"]:
        if t["key"] == key:
            return copy.deepcopy(t)
    raise KeyError(key)


def by_theme(audience: str | None = None) -> list[tuple[str, list[dict[str, Any]]]]:
    """The templates for ``audience`` grouped by theme label, themes in the library's order."""
    labels = themes()
    groups: dict[str, list[dict[str, Any]]] = {}
    for t in templates(audience):
        groups.setdefault(t["theme"], []).append(t)
    return [(labels[theme], groups[theme]) for theme in labels if theme in groups]


def item_fields(t: dict[str, Any]) -> dict[str, Any]:
    """A template as the keyword arguments of instruments.item_add."""
    fields: dict[str, Any] = {
        "kind": t["kind"],
        "text": t["text"],
        "help_text": t.get("help") or "",
        "code": t["code"],
        "theme": t["theme"],
        "template_key": t["key"],
    }
    if t["kind"] == Item.Kind.LIKERT:
        scale = t["scale"]
        fields.update(
            scale_min=scale["min"],
            scale_max=scale["max"],
            scale_min_label=scale["min_label"],
            scale_max_label=scale["max_label"],
        )
    elif t["kind"] in (Item.Kind.SINGLE, Item.Kind.MULTIPLE):
        fields["choices"] = list(t["choices"])
    elif t["kind"] == Item.Kind.NUMBER:
        fields.update(number_min=t.get("number_min"), number_max=t.get("number_max"))
    return fields
