"""What a text is about (topics read from its words), a funder's stated object, and how remote help is read:
the classes of mistakes found on the first held-out set once it was retired to development (issue 16)."""

from __future__ import annotations

import numpy as np
import pytest

from terreau.matching import engine, text
from terreau.matching.engine import reasons, tables

from .test_matching_engine import org, partners_of


def topics(s: str) -> set[str]:
    bits = text.analyse(s).topics
    return {code for i, code in enumerate(tables.THEME_CODES) if bits >> i & 1}


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Financer la restauration des mares", {"environnement"}),
        ("Aide pour acheter des produits frais", {"alimentation"}),
        ("Bourses pour les projets portés par les 12-25 ans", {"jeunesse"}),
        ("Des tablettes pour les aînés du village", {"inclusion-numerique", "bien-vieillir"}),
        # A context rule comes first: "jeunes pousses" are plants (or start-ups), not young people.
        ("Jeunes pousses d'arbres fruitiers pour le verger", {"environnement"}),
        ("Un créneau le mardi soir", set()),
    ],
)
def test_topics_are_read_from_the_words_of_a_text(sentence, expected):
    assert topics(sentence) == expected


FUNDER_TEXT = (
    "Fonds de dotation : dons pour l'alimentation durable et la transition écologique, toutes régions"
)


def _funder_world():
    funder = org("F", kind="foundation", commune="75056", offers=[("f1", "financement", None, FUNDER_TEXT)])
    inside = org(
        "A", commune="35238", needs=[("a1", "financement", None, "Financer la restauration des mares")]
    )
    outside = org(
        "B",
        commune="35238",
        needs=[("b1", "financement", None, "Financer des permis de conduire pour des jeunes")],
    )
    unknown = org("C", commune="35238", needs=[("c1", "financement", None, "Financer notre projet")])
    return funder, inside, outside, unknown


def test_a_funder_funds_what_its_object_says_whatever_the_words_in_common():
    found = partners_of(list(_funder_world()))
    (a,), (b,), (c,) = found["A"], found["B"], found["C"]
    assert a.id == b.id == c.id == "F"
    # No word in common with the mares, but inside the stated object (ecology), and said to reach every region.
    assert "objet du financeur: environnement" in a.why and "possible à distance" in a.why
    # Outside that object (driving licences for young people): kept, far lower; a need that says nothing: between.
    assert b.score < c.score < a.score
    assert not any(w.startswith(("objet du financeur", "même thème")) for w in b.why)
    sentences = reasons.sentences(a.why)
    assert "Dans ce que finance l'offre\u00a0: Environnement." in sentences


def test_outside_a_funders_object_the_relevance_is_lowered_and_inside_it_has_a_floor():
    index = engine.Index.build(_funder_world())
    offer = index.offers.slot[(index.org_slot["F"], "f1")]
    needs = [index.needs.slot[(index.org_slot[o], f"{o.lower()}1")] for o in "ABC"]
    ns, os_ = np.array(needs), np.array([offer] * 3)
    assert index._object_fit(ns, os_).tolist() == [1, 0, -1]
    relevance = index.pair_factors(ns, os_, np.zeros(3))["relevance"]
    assert relevance[0] >= tables.OBJECT_RELEVANCE
    assert relevance[1] == pytest.approx(
        index._relevance(ns[1:2], os_[1:2], np.zeros(1))[0] * tables.OUTSIDE_OBJECT
    )


@pytest.mark.parametrize(
    ("offer", "remote"),
    [
        ("200 ingénieurs volontaires pour parrainer des jeunes : CV, entretiens (Toulouse et visio)", True),
        ("Formation des bénévoles aux outils numériques, en ligne", True),
        ("Aide aux démarches en ligne pour les habitants", False),  # the object of the help, not its manner
        ("Salle de réunion équipée (écran et visio)", False),  # equipment of a room
    ],
)
def test_a_manner_set_apart_by_a_comma_or_a_bracket_says_the_help_travels(offer, remote):
    analysis = text.analyse(offer)
    assert text.offer_reach_remote(offer, analysis.scope) is remote


def test_a_room_is_never_lent_from_afar_and_a_place_beside_video_does_not_bind():
    room = org("R", commune="79191", offers=[("r1", "locaux", None, "Salle de réunion, visio possible")])
    jurists = org(
        "J",
        kind="company",
        commune="79191",
        offers=[("j1", "competences", None, "Nos juristes en mécénat de compétences, à Niort ou en visio")],
    )
    asso = org(
        "A",
        commune="59350",  # Lille
        needs=[
            ("a1", "locaux", None, "Une salle de réunion pour notre assemblée"),
            ("a2", "competences", None, "Conseil juridique : nos statuts à revoir avec un juriste"),
        ],
    )
    found = {p.id: p for p in partners_of([room, jurists, asso])["A"]}
    assert "J" in found and "possible à distance" in found["J"].why
    assert found["J"].score > 0.2  # Niort names where the jurists are, not a limit on whom they help
    # A room in Niort is no help in Lille, "visio possible" or not.
    assert "R" not in found or ("possible à distance" not in found["R"].why and found["R"].score < 0.1)
