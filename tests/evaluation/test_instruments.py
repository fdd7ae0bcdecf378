"""The questionnaire builder's services and library (issue 15): every template is valid; each kind's rules;
skip logic only on an earlier question and its real values; a frozen questionnaire refuses every edit; a new
version copies the questions with their codes and takes over as the version in use."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from terreau.evaluation import instruments as svc
from terreau.evaluation import library
from terreau.evaluation.instrument_models import Instrument, Item
from terreau.evaluation.models import Evaluation
from tests.factories import UserFactory
from tests.programs.test_programs_support import make_program

pytestmark = pytest.mark.django_db

AGREE = {"scale_min_label": "Pas du tout d'accord", "scale_max_label": "Tout à fait d'accord"}


def make_evaluation(program=None, **extra):
    program = program or make_program()[0]
    return Evaluation.objects.create(
        program=program,
        title="Évaluation 2026",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 12, 31),
        audiences=["participants", "volunteers"],
        **extra,
    )


@pytest.fixture
def world():
    evaluation = make_evaluation()
    by = UserFactory()
    instrument = svc.instrument_create(evaluation=evaluation, audience="participants", title="Avant", by=by)
    return evaluation, instrument, by


# --- library -------------------------------------------------------------------------------------------------


def test_every_template_of_the_library_is_valid():
    data = json.loads(library.PATH.read_text(encoding="utf-8"))
    assert library.problems(data) == []
    rows = library.templates()
    assert len(rows) >= 30
    assert len({t["key"] for t in rows}) == len(rows)
    assert len({t["code"] for t in rows}) == len(rows)
    for t in rows:
        assert t["kind"] in Item.Kind.values
        if t["kind"] == "likert":
            assert t["scale"]["min_label"] and t["scale"]["max_label"]
        if t["kind"] in ("single", "multiple"):
            assert len(t["choices"]) >= 2 and all(c.strip() for c in t["choices"])
    # Each audience has templates of its own.
    for audience in ("participants", "site_staff", "volunteers", "partners", "families"):
        assert library.templates(audience)


def test_the_validator_catches_broken_templates():
    bad = {
        "themes": {"x": "X"},
        "templates": [
            {
                "key": "a",
                "code": "a",
                "theme": "x",
                "audiences": ["participants"],
                "kind": "likert",
                "text": "T",
                "scale": {"min": 1, "max": 5, "min_label": "", "max_label": "Oui"},
            },
            {
                "key": "a",
                "code": "a",
                "theme": "y",
                "audiences": ["martians"],
                "kind": "single",
                "text": "T",
                "choices": ["Oui"],
            },
            {
                "key": "c",
                "code": "C C",
                "theme": "x",
                "audiences": ["participants"],
                "kind": "dance",
                "text": "",
            },
        ],
    }
    found = " ".join(library.problems(bad))
    for word in ("labels", "repeated key", "unknown theme", "audience", "choices", "code", "unknown kind"):
        assert word in found


def test_template_lookup():
    t = library.template("confidence_message")
    assert t["code"] == "confiance_message"
    t["text"] = "changed"
    assert library.template("confidence_message")["text"] != "changed"  # copies
    with pytest.raises(KeyError):
        library.template("nope")
    assert all("volunteers" in t["audiences"] for t in library.templates("volunteers"))


# --- questionnaires ------------------------------------------------------------------------------------------


def test_create_from_templates_and_refusals(world):
    evaluation, instrument, by = world
    assert svc.current_instrument(evaluation=evaluation, audience="participants") == instrument
    with pytest.raises(ValidationError, match="déjà un questionnaire en usage"):
        svc.instrument_create(evaluation=evaluation, audience="participants", title="Bis", by=by)
    with pytest.raises(ValidationError, match="publics interrogés"):
        svc.instrument_create(evaluation=evaluation, audience="families", title="Proches", by=by)
    with pytest.raises(ValidationError, match="titre"):
        svc.instrument_create(evaluation=evaluation, audience="volunteers", title="  ", by=by)
    with pytest.raises(ValidationError, match="pas prévu pour ce public"):
        svc.instrument_create(
            evaluation=evaluation,
            audience="volunteers",
            title="V",
            by=by,
            template_keys=["confidence_message"],
        )
    vol = svc.instrument_create(
        evaluation=evaluation,
        audience="volunteers",
        title="Volontaires",
        by=by,
        template_keys=["volunteer_patience", "volunteer_skills_gained", "volunteer_patience"],
    )
    items = list(vol.items.all())
    assert [i.code for i in items] == ["volontaire_patience", "volontaire_competences"]
    assert (
        items[0].scale_min_label == "Pas du tout d'accord" and items[0].template_key == "volunteer_patience"
    )
    assert items[1].choices[0] == {"value": "animer-un-groupe", "label": "Animer un groupe"}
    # Adding the same template again is skipped, not doubled.
    assert svc.items_add_from_library(instrument=vol, by=by, keys=["volunteer_patience"]) == []
    with pytest.raises(ValidationError, match="n'existe pas"):
        svc.items_add_from_library(instrument=vol, by=by, keys=["../../etc/passwd"])


def test_closed_evaluation_refuses_a_new_questionnaire():
    evaluation = make_evaluation(state=Evaluation.State.CLOSED)
    with pytest.raises(ValidationError, match="terminée"):
        svc.instrument_create(evaluation=evaluation, audience="participants", title="T", by=None)


# --- each kind's validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "likert", "text": "Q", "scale_min": 1, "scale_max": 1, **AGREE}, "2 à 11 points"),
        ({"kind": "likert", "text": "Q", "scale_min": 0, "scale_max": 11, **AGREE}, "2 à 11 points"),
        ({"kind": "likert", "text": "Q", "scale_min": 1, "scale_max": 10**30, **AGREE}, "trop grand"),
        ({"kind": "likert", "text": "Q", "scale_min": 1, "scale_max": 5}, "deux bouts"),
        ({"kind": "single", "text": "Q", "choices": ["Oui"]}, "entre 2 et 20"),
        ({"kind": "single", "text": "Q", "choices": ["Oui", " oui "]}, "même libellé"),
        ({"kind": "multiple", "text": "Q", "choices": [f"c{i}" for i in range(21)]}, "entre 2 et 20"),
        ({"kind": "multiple", "text": "Q", "choices": "\n\n  \n"}, "entre 2 et 20"),
        ({"kind": "number", "text": "Q", "number_min": 5, "number_max": 5}, "inférieur au maximum"),
        ({"kind": "number", "text": "Q", "number_min": "1e999"}, "trop grand"),
        ({"kind": "number", "text": "Q", "number_min": "abc"}, "indiquez un nombre"),
        ({"kind": "text", "text": ""}, "obligatoire"),
        ({"kind": "text", "text": "x" * 401}, "400 caractères"),
        ({"kind": "essay", "text": "Q"}, "type de réponse"),
        ({"kind": "text", "text": "Q", "code": "<script>"}, "Le code ne contient"),
    ],
)
def test_each_kind_is_validated(world, fields, message):
    _evaluation, instrument, by = world
    with pytest.raises(ValidationError, match=message):
        svc.item_add(instrument=instrument, by=by, **fields)
    assert not instrument.items.exists()


def test_valid_questions_of_every_kind(world):
    _evaluation, instrument, by = world
    likert = svc.item_add(instrument=instrument, by=by, kind="likert", text="Je suis à l'aise.", **AGREE)
    eleven = svc.item_add(
        instrument=instrument, by=by, kind="likert", text="Note", scale_min=0, scale_max=10, **AGREE
    )
    single = svc.item_add(
        instrument=instrument, by=by, kind="single", text="Fréquence ?", choices="Jamais\nSouvent\n\nÉté ?"
    )
    number = svc.item_add(
        instrument=instrument, by=by, kind="number", text="Heures", number_min=0, number_max=40
    )
    yes_no = svc.item_add(
        instrument=instrument, by=by, kind="yes_no", text="Je suis à l'aise.", required=True
    )
    assert likert.code == "je_suis_a_laise" and yes_no.code == "je_suis_a_laise_2"
    assert eleven.scale_max == 10 and number.number_max == 40
    assert [c["value"] for c in single.choices] == ["jamais", "souvent", "ete"]
    assert [i.order for i in instrument.items.all()] == [0, 1, 2, 3, 4]
    with pytest.raises(ValidationError, match="déjà pris"):
        svc.item_add(instrument=instrument, by=by, kind="text", text="Autre", code="heures")
    # Choice values are stable when the labels are edited: a kept label keeps its value.
    single = svc.item_update(item=single, by=by, choices=["Souvent", "Parfois", "Jamais"])
    assert [c["value"] for c in single.choices] == ["souvent", "parfois", "jamais"]


# --- skip logic ----------------------------------------------------------------------------------------------


def test_skip_logic_only_on_an_earlier_question_and_its_values(world):
    _evaluation, instrument, by = world
    uses = svc.item_add(instrument=instrument, by=by, kind="yes_no", text="Utilisez-vous une tablette ?")
    how = svc.item_add(
        instrument=instrument,
        by=by,
        kind="single",
        text="Pour quoi ?",
        choices=["Appels", "Photos"],
        show_if={"item": uses.code, "in": ["yes"]},
    )
    assert how.show_if == {"item": uses.code, "in": ["yes"]}
    later = svc.item_add(instrument=instrument, by=by, kind="text", text="Précisez")
    free = svc.item_add(instrument=instrument, by=by, kind="text", text="Commentaire")
    for show_if in (
        {"item": later.code, "in": ["x"]},  # a later question
        {"item": "nope", "in": ["yes"]},  # unknown
        {"item": uses.code, "in": ["maybe"]},  # not a value of it
        {"item": uses.code, "in": []},
        {"item": later.code, "in": []},
        "yes",
    ):
        with pytest.raises(ValidationError):
            svc.item_update(item=uses, by=by, show_if=show_if)
    with pytest.raises(ValidationError):  # a free text is no condition
        svc.item_update(item=free, by=by, show_if={"item": later.code, "in": ["x"]})
    svc.item_set_condition(item=free, by=by, source_code=how.code, values=["photos", "appels"])
    free.refresh_from_db()
    assert free.show_if == {"item": how.code, "in": ["appels", "photos"]}
    # What would break a condition is refused: moving it above its source, deleting the source, removing a value.
    with pytest.raises(ValidationError, match="condition"):
        svc.item_move(item=how, by=by, direction="up")
    with pytest.raises(ValidationError, match="dépend de celle-ci"):
        svc.item_delete(item=uses, by=by)
    with pytest.raises(ValidationError, match="condition"):
        svc.item_update(item=Item.objects.get(pk=how.pk), by=by, choices=["Appels", "Jeux"])
    # Renaming a source's code renames it in the conditions.
    svc.item_update(item=Item.objects.get(pk=uses.pk), by=by, code="tablette")
    how.refresh_from_db()
    assert how.show_if["item"] == "tablette"
    svc.item_set_condition(item=free, by=by)
    free.refresh_from_db()
    assert free.show_if is None


def test_move_and_delete_keep_the_order(world):
    _evaluation, instrument, by = world
    a, b, c = (svc.item_add(instrument=instrument, by=by, kind="text", text=t) for t in "ABC")
    svc.item_move(item=c, by=by, direction="up")
    assert [i.text for i in instrument.items.all()] == ["A", "C", "B"]
    svc.item_move(item=a, by=by, direction="up")  # already first: nothing happens
    svc.item_delete(item=Item.objects.get(pk=a.pk), by=by)
    assert [(i.text, i.order) for i in instrument.items.all()] == [("C", 0), ("B", 1)]
    with pytest.raises(ValidationError):
        svc.item_move(item=b, by=by, direction="sideways")


# --- freezing and versions -----------------------------------------------------------------------------------


def test_a_frozen_questionnaire_refuses_every_edit(world):
    evaluation, instrument, by = world
    item = svc.item_add(instrument=instrument, by=by, kind="yes_no", text="Oui ?")
    Instrument.objects.filter(pk=instrument.pk).update(frozen_at=timezone.now())  # the collection's doing
    edits = [
        lambda: svc.instrument_update(instrument=instrument, by=by, title="Autre"),
        lambda: svc.item_add(instrument=instrument, by=by, kind="text", text="Q"),
        lambda: svc.items_add_from_library(instrument=instrument, by=by, keys=["confidence_message"]),
        lambda: svc.item_update(item=item, by=by, text="Changé"),
        lambda: svc.item_set_condition(item=item, by=by),
        lambda: svc.item_move(item=item, by=by, direction="down"),
        lambda: svc.item_delete(item=item, by=by),
    ]
    for edit in edits:
        with pytest.raises(ValidationError) as caught:
            edit()
        assert caught.value.messages == [str(svc.FROZEN)]
    item.refresh_from_db()
    assert item.text == "Oui ?"
    instrument.refresh_from_db()
    assert instrument.title == "Avant"


def test_new_version_copies_codes_and_moves_is_current(world):
    evaluation, instrument, by = world
    svc.items_add_from_library(
        instrument=instrument, by=by, keys=["confidence_message", "use_device_frequency"]
    )
    source = instrument.items.get(code="usage_frequence_ecran")
    svc.item_add(
        instrument=instrument,
        by=by,
        kind="text",
        text="Pourquoi ?",
        show_if={"item": source.code, "in": ["jamais"]},
    )
    with pytest.raises(ValidationError, match="modifiez-le directement"):
        svc.instrument_new_version(instrument=instrument, by=by)
    svc.instrument_freeze(instrument=instrument)
    new = svc.instrument_new_version(instrument=instrument, by=by)
    instrument.refresh_from_db()
    assert not instrument.is_current and new.is_current and new.version == 2 and new.previous == instrument
    assert new.frozen_at is None
    assert svc.current_instrument(evaluation=evaluation, audience="participants") == new
    old = [(i.code, i.order, i.kind, i.choices, i.show_if) for i in instrument.items.all()]
    assert [(i.code, i.order, i.kind, i.choices, i.show_if) for i in new.items.all()] == old
    # The new version is editable, the old one stays frozen, and only the current one gives a new version.
    svc.item_update(item=new.items.get(code="confiance_message"), by=by, text="Je sais écrire un message.")
    assert instrument.items.get(code="confiance_message").text.startswith("Je me sens capable")
    with pytest.raises(ValidationError, match="version en usage"):
        svc.instrument_new_version(instrument=instrument, by=by)
    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
    ):  # the database keeps one current version per audience
        Instrument.objects.create(evaluation=evaluation, audience="participants", title="X", version=9)
