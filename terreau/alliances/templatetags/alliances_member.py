"""``{% my_alliances %}`` on "Mon espace": the working groups the person's organisations belong to, the
consultations open to them (answer, amend the answer, rank the key issues) and, for the branch's staff, the way to
the groups. Kept here so that accounts never imports alliances (the template loads the tag by name)."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Q

from terreau.alliances.group_models import WorkingGroup
from terreau.alliances.models import ConsultationAnswer, Diagnosis
from terreau.alliances.services import BALLOT_STATES
from terreau.core.access import actor_for, visible

register = template.Library()


def _consultations(actor: Any) -> list[dict[str, Any]]:
    """The diagnoses consulting the person's organisations (invited, or answered on their behalf) while their
    consultation or its analysis runs, with what each may do there now."""
    org_ids = list(actor.org_ids)
    diagnoses = (
        Diagnosis.objects.filter(state__in=BALLOT_STATES)
        .filter(Q(invitations__organisation_id__in=org_ids) | Q(answers__organisation_id__in=org_ids))
        .distinct()
        .order_by("-period_end", "title")
    )
    answers = visible(
        actor, ConsultationAnswer.objects.filter(diagnosis__in=diagnoses, organisation_id__in=org_ids)
    ).select_related("organisation")
    by_diagnosis: dict[int, list[ConsultationAnswer]] = {}
    for answer in answers:
        by_diagnosis.setdefault(answer.diagnosis_id, []).append(answer)
    return [
        {
            "diagnosis": d,
            "answers": by_diagnosis.get(d.pk, []),
            "open": d.consultation_open,
            "may_rank": d.key_issues.exists(),
        }
        for d in diagnoses[:20]
    ]


@register.inclusion_tag("alliances/_my_alliances.html", takes_context=True)
def my_alliances(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    actor = actor_for(getattr(request, "user", None))
    groups = WorkingGroup.objects.none()
    consultations: list[dict[str, Any]] = []
    if actor.org_ids:
        groups = (
            WorkingGroup.objects.filter(members__organisation_id__in=list(actor.org_ids))
            .exclude(state=WorkingGroup.State.MERGED)
            .select_related("branch")
            .distinct()
            .order_by("name")
        )
        consultations = _consultations(actor)
    return {
        "show": bool(actor.org_ids) or actor.is_staff_anywhere,
        "groups": groups,
        "consultations": consultations,
        "staff": actor.is_staff_anywhere,
    }
