"""The stored analysis of an evaluation's answers (AnalysisSnapshot), shared by web processes and workers.

Reading every answer of a large evaluation takes seconds, so the report does not wait for it: the analysis is
computed by a job after answers arrive (terreau.evaluation.tasks.refresh_analyses) and stored with the
fingerprint of what it was computed on. The report's pages show the stored analysis at once, saying when it was
computed and, when newer answers are being analysed, that an update is under way."""

from __future__ import annotations

import hashlib
import pickle
import time
from dataclasses import replace

from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone

from terreau.evaluation.analysis import Analysis, analyse
from terreau.evaluation.instrument_models import Instrument
from terreau.evaluation.models import AnalysisSnapshot, Evaluation, Wave
from terreau.evaluation.response_models import Response


def _fingerprint(evaluation: Evaluation) -> str:
    """What the analysis depends on, in three small queries: the responses (started, sent, last changed), the
    questionnaires (last changed) and the waves (their states and dates)."""
    responses = Response.objects.filter(wave__evaluation=evaluation).aggregate(
        n=Count("pk"), sent=Count("submitted_at"), last=Max("updated_at")
    )
    instruments = Instrument.objects.filter(evaluation=evaluation).aggregate(
        n=Count("pk"), last=Max("updated_at"), items=Count("items")
    )
    waves = Wave.objects.filter(evaluation=evaluation).aggregate(n=Count("pk"), last=Max("updated_at"))
    text = f"{responses}|{instruments}|{waves}|{evaluation.updated_at}"
    return hashlib.sha256(text.encode()).hexdigest()


def _store(evaluation: Evaluation, fingerprint: str, result: Analysis, seconds: float) -> None:
    # The evaluation is the caller's (current) row: kept out of the payload, put back when read.
    payload = pickle.dumps(replace(result, evaluation=None), protocol=pickle.HIGHEST_PROTOCOL)
    try:
        with transaction.atomic():
            AnalysisSnapshot.objects.update_or_create(
                evaluation=evaluation,
                defaults={
                    "fingerprint": fingerprint,
                    "payload": payload,
                    "computed_at": timezone.now(),
                    "seconds": seconds,
                },
            )
    except IntegrityError:  # another process stored the same analysis at the same moment
        pass


def refresh(*, evaluation: Evaluation) -> bool:
    """Analyse the answers again if they changed since the stored analysis (the job's work); True if it did."""
    fingerprint = _fingerprint(evaluation)
    if AnalysisSnapshot.objects.filter(evaluation=evaluation, fingerprint=fingerprint).exists():
        return False
    started = time.monotonic()
    result = analyse(evaluation=evaluation)
    _store(evaluation, fingerprint, result, time.monotonic() - started)
    return True


def analyse_cached(*, evaluation: Evaluation, allow_stale: bool = True) -> Analysis:
    """The analysis of the answers, from the stored one when it was computed on the same answers.

    When answers arrived since and ``allow_stale`` (the report's pages), the stored analysis is returned at once
    with ``stale=True`` and a job computes the new one (terreau.evaluation.tasks); without a stored analysis, or
    with ``allow_stale=False``, it is computed here and stored."""
    fingerprint = _fingerprint(evaluation)
    snapshot = AnalysisSnapshot.objects.filter(evaluation=evaluation).first()
    if snapshot is not None and (snapshot.fingerprint == fingerprint or allow_stale):
        result = pickle.loads(bytes(snapshot.payload))  # noqa: S301 - written by _store only
        result = replace(result, evaluation=evaluation, computed_at=snapshot.computed_at)
        if snapshot.fingerprint != fingerprint:
            from terreau.core.jobs import defer
            from terreau.evaluation.tasks import refresh_analyses

            defer(refresh_analyses)
            result = replace(result, stale=True)
        return result
    started = time.monotonic()
    result = analyse(evaluation=evaluation)
    _store(evaluation, fingerprint, result, time.monotonic() - started)
    return replace(result, computed_at=timezone.now())
