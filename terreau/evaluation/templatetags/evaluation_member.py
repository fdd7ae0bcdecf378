"""``{% my_evaluations %}`` on "Mon espace": the evaluations a person works on, by their role in the program.

Coordinators and evaluators reach each evaluation's page and report; partner viewers its report; the volunteers
and staff of a host site, while a wave is open, the assisted entry for the seniors of their site. Kept here so
that accounts never imports evaluation (the template loads the tag by name)."""

from __future__ import annotations

from typing import Any

from django import template

from terreau.core.access import actor_for, visible
from terreau.evaluation.models import Evaluation, Wave

register = template.Library()


@register.inclusion_tag("evaluation/_my_evaluations.html", takes_context=True)
def my_evaluations(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    actor = actor_for(getattr(request, "user", None))
    team = actor.program_ids | actor.program_evaluator_ids
    working = (
        list(
            visible(actor, Evaluation.objects.filter(program_id__in=team))
            .select_related("program")
            .order_by("-period_start", "title")[:20]
        )
        if team
        else []
    )
    reading = (
        list(
            visible(actor, Evaluation.objects.filter(program_id__in=actor.program_viewer_ids - team))
            .exclude(state=Evaluation.State.DRAFT)
            .select_related("program")
            .order_by("-period_start", "title")[:20]
        )
        if actor.program_viewer_ids - team
        else []
    )
    # Assisted entry: evaluations collecting with an open wave, in the programs of the person's sites (the
    # site team never sees the evaluation itself, only the way to enter a senior's answers).
    assisting = (
        list(
            Evaluation.objects.filter(
                state=Evaluation.State.COLLECTING,
                program__sites__in=actor.site_ids,
                waves__state=Wave.State.OPEN,
            )
            .exclude(program_id__in=team)
            .select_related("program")
            .distinct()
            .order_by("title")[:20]
        )
        if actor.site_ids
        else []
    )
    return {"working": working, "reading": reading, "assisting": assisting}
