"""The evaluation's part of a participant's personal data (terreau.activities.hooks).

A Respondent standing for a consenting participant links that person to pseudonymous answers. The person's
data export says which evaluations hold answers under which code (the answers themselves stay with the
evaluation's team, who read them by code: the site teams who export a participant's data never see answers);
erasure on request deletes the respondent and every answer; the retention period's anonymisation cuts the
link, and the answers stay, no longer tied to anyone."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from terreau.activities.hooks import ParticipantData
from terreau.evaluation.response_models import Respondent


def describe(participant: Any) -> list[str]:
    lines = []
    respondents = Respondent.objects.filter(participant=participant).select_related("evaluation")
    for respondent in respondents.order_by("evaluation__period_start", "pk"):
        sent = respondent.responses.filter(submitted_at__isnull=False).count()
        lines.append(
            ngettext(
                "Évaluation « %(title)s » : code personnel %(code)s, %(count)d questionnaire envoyé "
                "(réponses détenues par l'équipe d'évaluation du programme)",
                "Évaluation « %(title)s » : code personnel %(code)s, %(count)d questionnaires envoyés "
                "(réponses détenues par l'équipe d'évaluation du programme)",
                sent,
            )
            % {"title": respondent.evaluation.title, "code": respondent.code, "count": sent}
        )
    return lines or [_("Aucune réponse à une évaluation.")]


def erase(participant: Any) -> None:
    Respondent.objects.filter(participant=participant).delete()


def anonymise(participant_ids: Iterable[int]) -> None:
    Respondent.objects.filter(participant_id__in=list(participant_ids)).update(participant=None)


PARTICIPANT_DATA = ParticipantData(describe=describe, erase=erase, anonymise=anonymise)
