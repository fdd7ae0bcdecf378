"""More classes of issue 16, one small case each (written from general French, never from the held-out set):
help between regions, kinds of help read from the text, words whose meaning depends on context, direction,
scopes named in other ways, and reasons that say what weighed. Pure Python: no database."""

from __future__ import annotations

import pytest

from terreau.matching import communes, engine, text
from terreau.matching.engine import reason_sentences

from .test_matching_classes import BORDEAUX, LILLE, NANCY, POITIERS, org, ranking

# --- help between regions ------------------------------------------------------------------------------------


def test_help_not_said_remote_is_weak_between_regions_and_remote_help_is_not():
    plain, remote = "Conseils juridiques aux associations.", "Conseils juridiques aux associations, en visio."
    near = org("near", POITIERS, offers=[("competences", plain)])
    far = org("far", LILLE, offers=[("competences", plain)])
    near_online = org("near_online", POITIERS, offers=[("competences", remote)])
    online = org("online", NANCY, offers=[("competences", remote)])
    asker = org(
        "asker", POITIERS, needs=[("competences", "Des conseils juridiques pour revoir nos statuts.")]
    )
    got = ranking([near, far, near_online, online, asker], "asker")
    assert got["online"].score == pytest.approx(got["near_online"].score, abs=0.02)
    assert got.get("far", engine.Partner("far", 0.0, (), ())).score < 0.3 * got["near"].score
    assert "possible à distance" in got["online"].why


# --- kinds of help -------------------------------------------------------------------------------------------


def test_the_kind_named_before_the_purpose_comes_first():
    a = text.analyse("Un véhicule utilitaire pour aller chercher les denrées")
    assert a.main_types == {"mobilite"} and "materiel" in a.types


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("Des fringues chaudes et des sacs de couchage", "materiel"),
        ("Un piano, même d'occasion", "materiel"),
        ("Aide pour tenir la compta du club", "competences"),
        ("Un avocat pour revoir nos statuts", "competences"),
        ("Un logo et des flyers pour la fête", "visibilite"),
        ("Des gens pour tenir compagnie aux anciens", "benevolat"),
        ("Nous finançons les projets des jeunes", "financement"),
    ],
)
def test_more_kinds_are_read_from_the_text(sentence, kind):
    assert kind in text.analyse(sentence).types


def test_a_wrong_code_weighs_less_than_the_kind_the_text_names():
    asker = org("asker", POITIERS, needs=[("competences", "Un logo pour notre épicerie solidaire.")])
    design = org("design", POITIERS, offers=[("visibilite", "Création de logos et d'affiches offerte.")])
    skills = org("skills", POITIERS, offers=[("competences", "Mécénat de compétences pour l'épicerie.")])
    got = ranking([asker, design, skills], "asker")
    assert got["design"].score > got["skills"].score


def test_two_items_without_any_kind_can_still_meet():
    a = org("a", POITIERS, needs=[(None, "Des jeunes pour découvrir la menuiserie")])
    b = org("b", POITIERS, offers=[(None, "Découverte de la menuiserie en atelier")])
    assert "b" in ranking([a, b], "a")


# --- words whose meaning depends on context -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Des bénévoles pour le portage de repas", "Conseils sur le portage salarial"),
        ("Bénévoles pour la régie son et lumière", "La régie de quartier propose ses équipes"),
        ("Une batterie pour notre groupe de musique", "Batteries de vélos électriques reconditionnées"),
        ("Notre plateforme logistique stocke vos palettes", "Une plateforme en ligne de rendez-vous"),
        ("Nos techniciens installent bénévolement le wifi", "Des bénévoles pour la collecte"),
        ("Restauration du four banal du village", "Restauration collective pour nos résidents"),
    ],
)
def test_more_words_do_not_meet_across_meanings(a, b):
    shared = set(text.analyse(a).terms) & set(text.analyse(b).terms)
    assert not shared & {"portag", "regi", "batter", "plateform", "benevol", "restaur", "~alimentation"}


def test_young_plants_are_not_start_ups():
    terms = text.analyse("Jeunes pousses de légumes pour le jardin").terms
    assert "~plantes" in terms and "~entrepreneuriat" not in terms


# --- direction ---------------------------------------------------------------------------------------------


def test_a_place_that_welcomes_volunteers_receives_them():
    assert text.analyse("Nous accueillons volontiers des bénévoles pour des après-midis jeux").seeks


def test_looking_for_associations_for_our_employees_is_giving():
    a = text.analyse("Nous voulons offrir des journées de bénévolat à nos salariés : on cherche des assos")
    assert a.gives and not a.seeks


# --- scopes named in other ways --------------------------------------------------------------------------------


def test_regional_adjectives_after_assos_and_the_whole_department():
    assert text.parse_scope("Communiqués de presse pour les assos normandes").departments == {
        "14",
        "27",
        "50",
        "61",
        "76",
    }
    assert text.parse_scope("pour les petites assos franc-comtoises").departments == {"25", "39", "70", "90"}
    assert text.parse_scope("des bénévoles dans tout le département").own == "department"


def test_a_metropolis_named_by_its_short_name():
    scope = text.parse_scope("Subventions aux assos de Tours Métropole")
    tours = communes.commune("37261").epci
    assert scope.epcis == {tours}


@pytest.mark.parametrize(
    ("sentence", "departments"),
    [
        ("Bureaux à petit prix, à Saint-Martin-d'Hères", set()),  # a commune of Isère, not Saint-Martin
        ("Des bénévoles à Saint-Pierre-des-Corps", set()),
        ("Les assos de Saint-Barthélemy-d'Anjou", {"49"}),
        ("À Saint-Martin uniquement", {"978"}),
        ("À Saint-Pierre-et-Miquelon", {"975"}),
        ("En Seine-Saint-Denis", {"93"}),
    ],
)
def test_a_place_at_the_start_of_a_hyphenated_name_is_not_that_place(sentence, departments):
    assert text.parse_scope(sentence).departments == departments


# --- reasons -----------------------------------------------------------------------------------------------


def test_different_things_of_one_field_are_not_called_synonyms():
    asker = org("asker", BORDEAUX, needs=[("visibilite", "Un logo pour notre festival")])
    radio = org("radio", BORDEAUX, offers=[("visibilite", "Passages à la radio pour les associations")])
    why = ranking([asker, radio], "asker")["radio"].why
    assert not any(w.startswith("synonymes") for w in why)
    assert "même domaine: communication (logo / radio)" in why
    assert "Même domaine\u00a0: communication (logo d'un côté, radio de l'autre)." in reason_sentences(why)
