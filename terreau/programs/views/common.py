"""What the programs pages share: the program a user may see or change (404 or 403 otherwise) and
whether they may change it."""

from __future__ import annotations

from django.http import HttpRequest

from terreau.core.access import editable, get_for
from terreau.programs.models import Program


def program_for(request: HttpRequest, slug: str, action: str = "view") -> Program:
    """The program the user may see (``action="view"``) or change; 404 when they cannot see it, 403 when
    they see it but may not do ``action``."""
    return get_for(
        request.user, Program.objects.select_related("branch", "coordinator"), action=action, slug=slug
    )


def may_change(user, program: Program) -> bool:
    """Whether the user may change the program (its coordination, its branch's staff)."""
    return editable(user, Program.objects.filter(pk=program.pk)).exists()
