"""Jobs of the evaluation app (discovered by Procrastinate)."""

from __future__ import annotations

import logging

from terreau.core.jobs import job
from terreau.evaluation.models import Evaluation

logger = logging.getLogger(__name__)


# One waiting at a time (later defers are dropped: the waiting one will see their answers too), one running at a
# time; every ten minutes as well, so that a refresh lost with a stopped worker is made up.
@job(
    name="evaluation.refresh_analyses",
    retries=2,
    lock="evaluation.refresh_analyses",
    serial="evaluation.refresh_analyses",
    periodic="*/10 * * * *",
)
def refresh_analyses() -> None:
    """Analyse again the answers of every evaluation whose answers changed since its stored analysis."""
    from terreau.evaluation.snapshots import refresh

    for evaluation in Evaluation.objects.exclude(state=Evaluation.State.DRAFT).select_related("program"):
        if refresh(evaluation=evaluation):
            logger.info("Evaluation %s: answers analysed again", evaluation.pk)
