"""Panels other apps add to a program's page without programs importing them (imports point down): an app
registers ``panel(request, program) -> str`` (rendered HTML, "" for nothing) in its AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.safestring import SafeString, mark_safe

Panel = Callable[[Any, Any], str]
_PANELS: list[Panel] = []


def register_program_panel(panel: Panel) -> Panel:
    if panel not in _PANELS:
        _PANELS.append(panel)
    return panel


def program_panels(request: Any, program: Any) -> list[SafeString]:
    """The registered panels rendered for this program (templates escape what they render)."""
    return [mark_safe(html) for panel in _PANELS if (html := panel(request, program))]  # noqa: S308
