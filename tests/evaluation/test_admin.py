"""The evaluations' admin: scoped to the facilitator's branches, states and frozen questionnaires read only,
raw answers kept from the branch's staff (superusers only), French columns."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from terreau.accounts.models import BranchRole
from terreau.evaluation.models import Evaluation, Item, Wave
from tests.evaluation.factories import (
    AnswerFactory,
    EvaluationFactory,
    InstrumentFactory,
    ItemFactory,
    ResponseFactory,
    ShareLinkFactory,
    WaveFactory,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:evaluation_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def mine():
    return EvaluationFactory(collecting=True)


@pytest.fixture
def other():
    return EvaluationFactory()


@pytest.fixture
def facilitator(client, mine):
    user = UserFactory(is_staff=True)
    BranchRole.objects.create(user=user, branch=mine.program.branch)
    client.force_login(user)
    return user


def test_changelist_shows_the_branch_rows_with_french_columns(client, facilitator, mine, other):
    response = client.get(_url(Evaluation, "changelist"))
    assert response.status_code == 200
    assert set(response.context["cl"].queryset.values_list("pk", flat=True)) == {mine.pk}
    assert "programme" in response.content.decode().lower()
    WaveFactory(evaluation=mine)
    WaveFactory(evaluation=other)
    waves = client.get(_url(Wave, "changelist"))
    assert {w.evaluation_id for w in waves.context["cl"].queryset} == {mine.pk}
    assert ">Évaluation<" in waves.content.decode() or "évaluation" in waves.content.decode().lower()


def test_choice_lists_hold_only_the_branch_rows(client, facilitator, mine, other):
    form = client.get(_url(Wave, "add")).context["adminform"].form
    assert set(form.fields["evaluation"].queryset) == {mine}
    assert form.fields["evaluation"].label == "évaluation"
    form = client.get(_url(Evaluation, "add")).context["adminform"].form
    assert set(form.fields["program"].queryset) == {mine.program}
    assert "state" not in form.fields  # moved through its lifecycle only
    refused = client.post(
        _url(Wave, "add"),
        {
            "evaluation": other.pk,
            "kind": "before",
            "opens_on": "2026-01-05",
            "closes_on": "2026-02-05",
            "history-TOTAL_FORMS": "0",
            "history-INITIAL_FORMS": "0",
        },
    )
    assert refused.status_code == 200 and not Wave.objects.filter(evaluation=other).exists()


def test_states_are_read_only(client, facilitator, mine):
    wave = WaveFactory(evaluation=mine)
    form = client.get(_url(Wave, "change", wave.pk)).context["adminform"].form
    assert "state" not in form.fields
    form = client.get(_url(Evaluation, "change", mine.pk)).context["adminform"].form
    assert "state" not in form.fields and "created_by" not in form.fields


def test_frozen_questionnaire_and_its_questions_are_read_only(client, facilitator, mine):
    frozen = InstrumentFactory(evaluation=mine, frozen=True)
    item = ItemFactory(instrument=frozen)
    page = client.get(_url(frozen.__class__, "change", frozen.pk))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    inline = page.context["inline_admin_formsets"][0]
    assert inline.has_change_permission is False and inline.has_add_permission is False
    assert client.post(_url(frozen.__class__, "change", frozen.pk), {"title": "Changé"}).status_code == 403
    assert client.get(_url(Item, "change", item.pk)).context["has_change_permission"] is False
    assert client.post(_url(Item, "change", item.pk), {"text": "Changée"}).status_code == 403
    item.refresh_from_db()
    assert item.text != "Changée"
    assert client.post(_url(Item, "delete", item.pk), {"post": "yes"}).status_code == 403
    assert Item.objects.filter(pk=item.pk).exists()


def test_questions_of_a_questionnaire_not_yet_answered_stay_editable(client, facilitator, mine):
    draft = InstrumentFactory(evaluation=mine, audience="volunteers")
    item = ItemFactory(instrument=draft)
    page = client.get(_url(draft.__class__, "change", draft.pk))
    assert page.context["has_change_permission"] is True
    assert page.context["inline_admin_formsets"][0].has_change_permission is True
    assert client.get(_url(Item, "change", item.pk)).context["has_change_permission"] is True
    assert client.get(_url(draft.__class__, "add")).status_code == 403  # versions come from the builder


def test_raw_answers_are_kept_from_the_branch_staff(client, facilitator, mine):
    answer = AnswerFactory(response=ResponseFactory(respondent__evaluation=mine), number=4)
    response, respondent = answer.response, answer.response.respondent
    for model, row in (
        (answer.__class__, answer),
        (response.__class__, response),
        (respondent.__class__, respondent),
    ):
        listing = client.get(_url(model, "changelist"))
        assert listing.status_code == 200
        assert not listing.context["cl"].queryset.exists(), model.__name__
        assert client.get(_url(model, "change", row.pk)).status_code in (302, 403, 404), model.__name__
        assert client.get(_url(model, "add")).status_code == 403


def test_superuser_reads_raw_answers_but_never_the_participant_behind_a_code(client, mine):
    answer = AnswerFactory(response=ResponseFactory(respondent__evaluation=mine), number=4)
    respondent = answer.response.respondent
    root = get_user_model().objects.create_superuser(email="racine.admin@example.org", password="x-T-2026")
    client.force_login(root)
    listing = client.get(_url(answer.__class__, "changelist"))
    assert answer in listing.context["cl"].queryset
    assert "sans réponse" in listing.content.decode().lower()
    page = client.get(_url(respondent.__class__, "change", respondent.pk))
    assert page.status_code == 200 and page.context["has_change_permission"] is False
    assert "participant" not in page.context["adminform"].form.fields
    assert respondent.code in page.content.decode()
    assert client.post(_url(answer.__class__, "change", answer.pk), {"number": "1"}).status_code == 403


def test_share_links_are_created_and_revoked_on_the_pages(client, facilitator, mine):
    link = ShareLinkFactory(evaluation=mine)
    assert client.get(_url(link.__class__, "add")).status_code == 403
    form = client.get(_url(link.__class__, "change", link.pk)).context["adminform"].form
    assert list(form.fields) == ["label"]
    assert client.post(_url(link.__class__, "delete", link.pk), {"post": "yes"}).status_code == 403


def test_evaluation_added_in_the_admin_records_its_author(client, facilitator, mine):
    response = client.post(
        _url(Evaluation, "add"),
        {
            "program": mine.program.pk,
            "title": "Évaluation ajoutée dans l'administration",
            "period_start": "2026-01-01",
            "period_end": "2026-06-30",
            "min_count": "5",
            "audiences": '["participants"]',
            "questions-TOTAL_FORMS": "0",
            "questions-INITIAL_FORMS": "0",
            "waves-TOTAL_FORMS": "0",
            "waves-INITIAL_FORMS": "0",
            "history-TOTAL_FORMS": "0",
            "history-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    created = Evaluation.objects.get(title="Évaluation ajoutée dans l'administration")
    assert created.created_by == facilitator and created.state == Evaluation.State.DRAFT


def test_every_evaluation_admin_page_renders(client, mine):
    """Change lists and change pages of every evaluation model, for a superuser (a wrong column or read-only
    field only shows when the page is drawn)."""
    from django.contrib import admin

    from tests.evaluation.factories import (
        CollectionLinkFactory,
        EvaluationQuestionFactory,
        IndicatorFactory,
    )

    answer = AnswerFactory(response=ResponseFactory(respondent__evaluation=mine), number=4)
    wave = answer.response.wave
    EvaluationQuestionFactory(evaluation=mine)
    IndicatorFactory(evaluation=mine)
    CollectionLinkFactory(wave=wave)
    ShareLinkFactory(evaluation=mine)
    root = get_user_model().objects.create_superuser(email="racine.pages@example.org", password="x-T-2026")
    client.force_login(root)
    models = [m for m in admin.site._registry if m._meta.app_label == "evaluation"]
    assert len(models) == 11  # the two histories are shown under their evaluation and wave
    for model in models:
        assert client.get(_url(model, "changelist")).status_code == 200, model.__name__
        first = model._default_manager.order_by("pk").first()
        assert first is not None, model.__name__
        assert client.get(_url(model, "change", first.pk)).status_code == 200, model.__name__
