"""Skip logic of the questionnaires, pure Python (no Django): whether an item is shown given earlier answers.

``show_if`` is None (always shown) or {"item": "<code of an earlier item>", "in": ["<value>", ...]}: the item is
shown when that earlier answer's value is one of the listed values. Values are compared as text: yes/no answers
are "yes"/"no", Likert and number answers their number as text ("4"), single choices their value; a multiple
choice matches when any of its selected values is listed. An earlier item left unanswered (or declined) hides
the item.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any


def as_text(value: Any) -> str:
    """A value as the text skip logic compares: numbers without a useless fraction ("4", not "4.00")."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return str(value)
        if number == number.to_integral_value():
            return str(int(number))
        return format(number.normalize(), "f")
    return str(value)


def is_shown(show_if: Mapping[str, Any] | None, answers_by_code: Mapping[str, Any]) -> bool:
    """Whether an item with this condition is shown, given earlier answers by item code (a text value, or a list
    of values for a multiple choice; unanswered items are absent or None)."""
    if not show_if:
        return True
    if not isinstance(show_if, Mapping):
        return True
    code = show_if.get("item")
    wanted = show_if.get("in") or []
    if not code or not isinstance(wanted, list | tuple):
        return True
    wanted_texts = {as_text(w) for w in wanted}
    given = answers_by_code.get(code)
    if given is None or given == "" or given == []:
        return False
    values = given if isinstance(given, list | tuple | set) else [given]
    return any(as_text(v) in wanted_texts for v in values)
