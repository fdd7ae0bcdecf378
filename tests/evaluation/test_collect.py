"""Collection services (terreau.evaluation.collect) and skip logic (terreau.evaluation.logic)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from terreau.evaluation import collect
from terreau.evaluation.logic import is_shown
from terreau.evaluation.models import Answer, Instrument, Respondent, Response, Wave
from tests.evaluation.factories import (
    CollectionLinkFactory,
    EvaluationFactory,
    HostSiteFactory,
    InstrumentFactory,
    ItemFactory,
    RespondentFactory,
    WaveFactory,
)

pytestmark = pytest.mark.django_db


def make_world(*, required_first: bool = True) -> SimpleNamespace:
    """A collecting evaluation of a program with two sites, an open wave, and a participants' questionnaire:
    a Likert (required), a single choice, a text shown only when the choice is "famille", a number, a multiple
    choice, a yes/no."""
    site_a = HostSiteFactory(name="EHPAD Les Tilleuls")
    site_b = HostSiteFactory(program=site_a.program, name="Club des Aînés")
    evaluation = EvaluationFactory(program=site_a.program, collecting=True)
    wave = WaveFactory(evaluation=evaluation, open=True)
    instrument = InstrumentFactory(evaluation=evaluation)
    items = SimpleNamespace(
        likert=ItemFactory(instrument=instrument, order=1, code="isolement", required=required_first),
        single=ItemFactory(instrument=instrument, order=2, code="connu", single=True),
        hidden=ItemFactory(
            instrument=instrument,
            order=3,
            code="famille-detail",
            text_kind=True,
            text="Qui dans votre famille ?",
            show_if={"item": "connu", "in": ["famille"]},
        ),
        number=ItemFactory(instrument=instrument, order=4, code="ateliers", number=True),
        multiple=ItemFactory(instrument=instrument, order=5, code="usage", multiple=True),
        yes_no=ItemFactory(instrument=instrument, order=6, code="seul", yes_no=True),
    )
    return SimpleNamespace(
        program=site_a.program,
        site_a=site_a,
        site_b=site_b,
        evaluation=evaluation,
        wave=wave,
        instrument=instrument,
        items=items,
    )


def start(world: SimpleNamespace, **kwargs) -> Response:
    return collect.response_start(wave=world.wave, audience="participants", mode=Response.Mode.LINK, **kwargs)


# Skip logic (pure)


def test_is_shown_rules():
    assert is_shown(None, {})
    assert is_shown({"item": "a", "in": ["yes"]}, {"a": "yes"})
    assert not is_shown({"item": "a", "in": ["yes"]}, {"a": "no"})
    assert not is_shown({"item": "a", "in": ["yes"]}, {})  # unanswered earlier: hidden
    assert not is_shown({"item": "a", "in": ["yes"]}, {"a": None})
    assert is_shown({"item": "a", "in": ["4", "5"]}, {"a": "4"})
    assert is_shown({"item": "a", "in": [4]}, {"a": Decimal("4.00")})
    assert is_shown({"item": "a", "in": ["x"]}, {"a": ["y", "x"]})  # multiple: any selected value
    assert not is_shown({"item": "a", "in": ["x"]}, {"a": []})


# Starting


def test_start_new_respondent_then_resume():
    world = make_world()
    response = start(world, site=world.site_a)
    respondent = response.respondent
    assert not respondent.enrolled and respondent.code and respondent.site == world.site_a
    assert response.instrument == world.instrument
    again = start(world, code=respondent.code.lower().replace("-", " "))
    assert again.pk == response.pk
    assert Response.objects.count() == 1


def test_a_code_typed_elsewhere_restarts_the_unsent_questionnaire_without_showing_its_answers():
    """The review found that typing someone's code opened their unsent answers: now it starts again, under a
    new token (the old one can no longer write), with none of the earlier answers."""
    world = make_world()
    respondent = RespondentFactory(evaluation=world.evaluation, code="AB12-CD34")
    first = start(world, code="AB12-CD34")
    old_token = first.token
    collect.answer_save(response=first, item=world.items.likert, raw={"value": "2"})
    again = start(world, code="ab12 cd34")
    assert again.pk == first.pk and again.respondent == respondent
    assert again.token != old_token
    assert not again.answers.exists()
    assert not Response.objects.filter(token=old_token).exists()


def test_start_refusals():
    world = make_world()
    with pytest.raises(ValidationError, match="Ce code n'est pas connu"):
        start(world, code="ZZZZ-9999")
    respondent = RespondentFactory(evaluation=world.evaluation, code="AB12-CD34")
    response = start(world, code="ab12cd34")
    assert response.respondent == respondent
    collect.answer_save(response=response, item=world.items.likert, raw={"value": "3"})
    collect.response_submit(response=response)
    with pytest.raises(ValidationError, match="déjà été envoyé avec ce code"):
        start(world, code="AB12-CD34")
    world.wave.state = Wave.State.CLOSED
    world.wave.save()
    with pytest.raises(ValidationError, match="vague de collecte est close"):
        start(world)


def test_start_records_consent_once():
    world = make_world()
    response = start(world, consent_on=world.wave.opens_on, consent_by="en ligne")
    assert response.respondent.consent_on == world.wave.opens_on


def test_start_without_current_instrument_is_refused():
    world = make_world()
    Instrument.objects.update(is_current=False)
    with pytest.raises(ValidationError, match="pas encore prêt"):
        start(world)


# Answers


def test_answers_of_every_kind_are_saved_and_the_instrument_frozen():
    world = make_world()
    response = start(world)
    assert world.instrument.frozen_at is None
    collect.answer_save(response=response, item=world.items.likert, raw={"value": "4"})
    world.instrument.refresh_from_db()
    frozen = world.instrument.frozen_at
    assert frozen is not None
    collect.answer_save(response=response, item=world.items.single, raw={"value": "famille"})
    collect.answer_save(response=response, item=world.items.number, raw={"value": "2,5"})
    collect.answer_save(response=response, item=world.items.multiple, raw={"values": ["photos", "appel"]})
    collect.answer_save(response=response, item=world.items.yes_no, raw={"value": "no"})
    collect.answer_save(response=response, item=world.items.likert, raw={"value": "5"})  # changed: replaced
    world.instrument.refresh_from_db()
    assert world.instrument.frozen_at == frozen
    answers = {a.item.code: a for a in Answer.objects.filter(response=response)}
    assert answers["isolement"].number == 5
    assert answers["connu"].text == "famille"
    assert answers["ateliers"].number == Decimal("2.50")
    assert answers["usage"].choices == ["appel", "photos"]
    assert answers["seul"].number == 0
    assert Answer.objects.count() == 5


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("likert", {"value": "6"}, "de 1 à 5"),
        ("likert", {"value": "trois"}, "de 1 à 5"),
        ("number", {"value": "101"}, "entre 0 et 100"),
        ("number", {"value": "1e400"}, "en chiffres"),
        ("number", {"value": "99999999999999999999"}, "en chiffres"),
        ("single", {"value": "inconnu"}, "choix proposés"),
        ("multiple", {"values": ["appel", "pirate"]}, "choix proposés"),
        ("yes_no", {"value": "peut-être"}, "oui ou par non"),
        ("likert", {"value": ""}, "Je préfère ne pas répondre"),
    ],
)
def test_out_of_range_values_are_refused(name, raw, message):
    world = make_world()
    response = start(world)
    with pytest.raises(ValidationError, match=message):
        collect.answer_save(response=response, item=getattr(world.items, name), raw=raw)
    assert not Answer.objects.exists()


def test_text_too_long_and_declined():
    world = make_world()
    response = start(world)
    with pytest.raises(ValidationError, match="trop longue"):
        collect.answer_save(response=response, item=world.items.hidden, raw={"value": "x" * 5001})
    answer = collect.answer_save(response=response, item=world.items.likert, raw={"declined": True})
    assert answer.declined and answer.number is None


def test_item_of_another_instrument_is_refused():
    world = make_world()
    response = start(world)
    other = ItemFactory()
    with pytest.raises(ValidationError) as exc:
        collect.answer_save(response=response, item=other, raw={"value": "3"})
    assert exc.value.code == collect.NOT_FOUND


def test_closed_wave_and_submitted_response_refuse_answers():
    world = make_world()
    response = start(world)
    collect.answer_save(response=response, item=world.items.likert, raw={"value": "3"})
    collect.response_submit(response=response)
    with pytest.raises(ValidationError, match="déjà été envoyé"):
        collect.answer_save(response=response, item=world.items.likert, raw={"value": "2"})
    second = start(world)
    Wave.objects.filter(pk=world.wave.pk).update(state=Wave.State.CLOSED)
    with pytest.raises(ValidationError, match="Merci de votre participation"):
        collect.answer_save(response=second, item=world.items.likert, raw={"value": "2"})


# Skip logic, resuming, submitting


def test_visible_items_and_next_item_follow_skip_logic():
    world = make_world()
    response = start(world)
    codes = [i.code for i in collect.visible_items(response=response)]
    assert "famille-detail" not in codes
    assert collect.next_item(response=response) == world.items.likert
    collect.answer_save(response=response, item=world.items.likert, raw={"value": "2"})
    collect.answer_save(response=response, item=world.items.single, raw={"value": "famille"})
    assert collect.next_item(response=response) == world.items.hidden
    collect.answer_save(response=response, item=world.items.single, raw={"value": "club"})
    assert collect.next_item(response=response) == world.items.number


def test_submit_requires_required_items_and_drops_hidden_answers():
    world = make_world()
    response = start(world)
    with pytest.raises(ValidationError, match="Je me sens moins seul"):
        collect.response_submit(response=response)
    collect.answer_save(response=response, item=world.items.likert, raw={"value": "2"})
    collect.answer_save(response=response, item=world.items.single, raw={"value": "famille"})
    collect.answer_save(response=response, item=world.items.hidden, raw={"value": "Ma fille"})
    collect.answer_save(response=response, item=world.items.single, raw={"value": "club"})  # hides it
    sent = collect.response_submit(response=response)
    assert sent.submitted_at is not None
    assert not Answer.objects.filter(item=world.items.hidden).exists()
    assert Answer.objects.filter(response=response).count() == 2


def test_declining_a_required_item_answers_it():
    world = make_world()
    response = start(world)
    collect.answer_save(response=response, item=world.items.likert, raw={"declined": True})
    assert collect.response_submit(response=response).submitted_at is not None


def test_paper_record_is_all_or_nothing():
    world = make_world()
    response = collect.paper_record(
        wave=world.wave,
        audience="participants",
        code="",
        site=world.site_b,
        by=None,
        answers={"isolement": {"value": "4"}, "connu": {"value": "club"}},
    )
    assert response.mode == Response.Mode.PAPER and response.submitted_at is not None
    assert response.respondent.consent_on is not None
    answers = Answer.objects.filter(response=response)
    # Four shown items left blank on paper are recorded as declined; the hidden one is not recorded.
    assert answers.count() == 6 - 1
    assert answers.filter(declined=True).count() == 3
    before = Respondent.objects.count()
    with pytest.raises(ValidationError):
        collect.paper_record(
            wave=world.wave,
            audience="participants",
            code="",
            site=None,
            by=None,
            answers={"isolement": {"value": "4"}, "ateliers": {"value": "5000"}},
        )
    assert Respondent.objects.count() == before


def test_a_revoked_link_no_longer_takes_answers_from_questionnaires_it_started():
    world = make_world()
    link = CollectionLinkFactory(wave=world.wave)
    response = start(world, link=link)
    collect.answer_save(response=response, item=world.items.likert, raw={"value": "3"})
    link.revoked_at = timezone.now()
    link.save()
    with pytest.raises(ValidationError, match="désactivé"):
        collect.answer_save(response=response, item=world.items.likert, raw={"value": "4"})
