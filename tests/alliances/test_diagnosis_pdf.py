"""The published diagnosis's PDF: its chosen key issues with their evidence, the Borda table, the
consultation and the indicators with their references, hostile text kept as text."""

from __future__ import annotations

import io
import os
from decimal import Decimal

import pytest
from pypdf import PdfReader

from terreau.alliances import consultation, services
from terreau.alliances.diagnosis_pdf import diagnosis_document
from terreau.alliances.models import Diagnosis, Indicator, IndicatorValue, KeyIssue
from tests.alliances.conftest import ANSWER
from tests.factories import NeedOfferFactory

pytestmark = pytest.mark.django_db
S = Diagnosis.State


def _published(dw) -> Diagnosis:
    services.diagnosis_move(diagnosis=dw.diagnosis, to=S.CONSULTATION, by=dw.facilitator)
    consultation.invite(diagnosis=dw.diagnosis, organisations=[dw.a, dw.b], by=dw.facilitator)
    answer = consultation.answer_submit(
        diagnosis=dw.diagnosis,
        data={**ANSWER, "issues": "Isolement <b>des</b> aînés & fracture numérique"},
        organisation=dw.a,
    )
    consultation.answer_submit(diagnosis=dw.diagnosis, data=ANSWER, organisation=dw.b)
    indicator = Indicator.objects.create(code="part_75_plus", label="Part des 75 ans ou plus", unit="%")
    value = IndicatorValue.objects.create(
        indicator=indicator,
        level="department",
        code="86",
        year=2021,
        value=Decimal("11.1"),
        source="Insee RP",
    )
    IndicatorValue.objects.create(
        indicator=indicator, level="region", code="75", year=2021, value=Decimal("12"), source="Insee RP"
    )
    IndicatorValue.objects.create(
        indicator=indicator, level="france", code="FR", year=2021, value=Decimal("9.8"), source="Insee RP"
    )
    need = NeedOfferFactory(organisation=dw.a, title="Visites de convivialité")
    age = services.key_issue_save(
        key_issue=KeyIssue(
            diagnosis=dw.diagnosis, title="Bien vieillir", description="Rompre l'isolement des aînés."
        ),
        by=dw.facilitator,
        answers=[answer],
        indicator_values=[value],
        needs=[need],
    )
    digital = services.key_issue_save(
        key_issue=KeyIssue(diagnosis=dw.diagnosis, title="Accès au numérique"), by=dw.facilitator
    )
    youth = services.key_issue_save(
        key_issue=KeyIssue(diagnosis=dw.diagnosis, title="Emploi des jeunes"), by=dw.facilitator
    )
    services.ballot_cast(
        diagnosis=dw.diagnosis, organisation=dw.a, ranking_ids=[age.pk, digital.pk, youth.pk]
    )
    services.ballot_cast(diagnosis=dw.diagnosis, organisation=dw.b, ranking_ids=[digital.pk, age.pk])
    services.diagnosis_move(diagnosis=dw.diagnosis, to=S.ANALYSIS, by=dw.facilitator)
    services.key_issues_choose(diagnosis=dw.diagnosis, by=dw.facilitator, chosen=[age, digital])
    return services.diagnosis_publish(diagnosis=dw.diagnosis, by=dw.facilitator)


def test_pdf_holds_evidence_ranking_and_chosen_key_issues(dw):
    diagnosis = _published(dw)
    data = diagnosis_document(diagnosis)
    if os.environ.get("TERREAU_KEEP_PDF"):
        with open(os.environ["TERREAU_KEEP_PDF"], "wb") as f:
            f.write(data)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    flat = " ".join(text.split())
    for expected in (
        "Diagnostic de la Vienne",
        "Enjeux clés retenus",
        "Bien vieillir",
        "Visites de convivialité",
        "Isolement <b>des</b> aînés & fracture numérique",
        "Part des 75 ans ou plus",
        "Décompte de Borda sur 2 classements",
        "Règle de Borda",
        "2 structures ont répondu",
        "Taux de réponse des structures invitées : 100 %",
    ):
        assert expected in flat, expected
    assert "dominique@example.org" not in flat
