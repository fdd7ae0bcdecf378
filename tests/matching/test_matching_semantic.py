"""The sentence-encoder signal (engine/semantic.py): the packaged model loads from site-packages and carries
meaning, the score uses it in every path, stored vectors are used as given, and the reason it gives is one
the score used. Pure Python: no database. Texts written for these tests (never from the held-out set)."""

from __future__ import annotations

import numpy as np
import pytest

from terreau.matching import engine
from terreau.matching.engine import semantic, tables

POITIERS = "86194"


def test_embed_is_normalised_float32_and_cached():
    v = semantic.embed(["Prêt d'une salle de réunion", ""], "need")
    assert v.dtype == np.float32 and v.shape == (2, semantic.dimension())
    assert abs(float(np.linalg.norm(v[0])) - 1.0) < 1e-3
    assert not v[1].any()  # an empty text has no direction
    key = (semantic.BACKEND, "need", "Prêt d'une salle de réunion")
    assert key in semantic._cache
    np.testing.assert_array_equal(semantic.embed(["Prêt d'une  salle de réunion"], "need")[0], v[0])


def test_close_meaning_without_shared_words_is_closer_than_unrelated_text():
    need, close, unrelated = semantic.embed(
        [
            "Nous recherchons des ordinateurs portables pour nos cours d'informatique aux seniors",
            "Don de PC reconditionnés à des associations",
            "Cours de cuisine végétarienne le samedi matin",
        ],
        "need",
    )
    assert float(need @ close) > float(need @ unrelated) + 0.02


def _index(*offers: str) -> engine.Index:
    orgs = [
        engine.Organisation(
            id="x",
            commune=POITIERS,
            needs=(engine.Item("n", "Nous recherchons des ordinateurs portables pour un atelier numérique"),),
        )
    ]
    for k, t in enumerate(offers):
        orgs.append(engine.Organisation(id=f"y{k}", commune=POITIERS, offers=(engine.Item(f"o{k}", t),)))
    return engine.Index.build(orgs)


def test_score_prefers_the_pair_close_in_meaning_at_equal_word_overlap():
    index = _index(
        "Don de PC reconditionnés et de tablettes aux associations",
        "Cours de cuisine végétarienne le samedi matin",
    )
    ns = np.array([0, 0])
    os_ = np.array([0, 1])
    same_cosine = np.array([0.3, 0.3], dtype=np.float32)
    close, unrelated = index.score_pairs(ns, os_, same_cosine)
    saved = tables.SEMANTIC_WEIGHT
    try:
        tables.SEMANTIC_WEIGHT = 0.0
        a, b = index.score_pairs(ns, os_, same_cosine)
    finally:
        tables.SEMANTIC_WEIGHT = saved
    # The signal raises the close pair against the unrelated one (other factors, e.g. kinds, cancel out).
    assert close / unrelated > 1.15 * (a / b)


def test_partners_rank_the_close_meaning_first_when_both_share_one_word():
    # Both offers share one word with the need (« atelier »); only the first means the same thing.
    index = _index(
        "Atelier de réemploi: nous donnons des PC reconditionnés",
        "Atelier couture: nous prêtons des machines à coudre",
    )
    partners = [p.id for p in index.partners("x")]
    assert partners[0] == "y0"


def test_stored_vectors_are_used_as_given(monkeypatch):
    calls = []
    real = semantic.embed
    monkeypatch.setattr(
        semantic, "embed", lambda texts, side="need", **kw: calls.append(texts) or real(texts, side)
    )
    a = np.zeros(semantic.dimension(), dtype=np.float32)
    a[0] = 1.0
    b = np.zeros(semantic.dimension(), dtype=np.float32)
    b[0], b[1] = 0.6, 0.8
    orgs = [
        engine.Organisation(
            id="x", commune=POITIERS, needs=(engine.Item("n", "Besoin de bénévoles", embedding=a),)
        ),
        engine.Organisation(
            id="y", commune=POITIERS, offers=(engine.Item("o", "Bénévoles disponibles", embedding=b),)
        ),
    ]
    index = engine.Index.build(orgs)
    assert index.semantic_cosine(np.array([0]), np.array([0]))[0] == pytest.approx(0.6, abs=1e-3)
    assert not calls


def test_reason_close_meaning_is_said_only_when_the_score_gave_it_full_weight():
    def vec(x):
        v = np.zeros(semantic.dimension(), dtype=np.float32)
        v[0], v[1] = x, np.sqrt(1 - x * x)
        return v

    north = vec(1.0)
    orgs = [
        engine.Organisation(
            id="x",
            commune=POITIERS,
            needs=(engine.Item("n", "Besoin de bénévoles pour la fête", embedding=north),),
        ),
        engine.Organisation(
            id="y",
            commune=POITIERS,
            offers=(engine.Item("o1", "Bénévoles pour la fête", embedding=vec(0.95)),),
        ),
        engine.Organisation(
            id="z",
            commune=POITIERS,
            offers=(engine.Item("o2", "Bénévoles pour la fête", embedding=vec(0.8)),),
        ),
    ]
    index = engine.Index.build(orgs)
    why = {p.id: p.why for p in index.partners("x")}
    assert "sens proche" in why["y"]
    assert "sens proche" not in why["z"]
    assert "Textes proches par le sens." in engine.reason_sentences(why["y"])
    # Same words, same place: the closer meaning scores higher (the reason is one the score used).
    scores = {p.id: p.score for p in index.partners("x")}
    assert scores["y"] > scores["z"]
