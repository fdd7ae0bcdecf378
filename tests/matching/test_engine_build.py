"""Index.build streams its input and keeps analyses compact: the index it builds is the one of analysing every
text, then vectorising all the analyses at once (Vocabulary.vectors), bit for bit.

Pure Python: no database.
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest

from terreau.matching import engine, evaluation, text
from terreau.matching.engine.storage import BulkTerms, Vocabulary


def _orgs() -> list[engine.Organisation]:
    orgs = list(evaluation.load().organisations)
    first = orgs[0]
    item = engine.Item(
        id="x1", text="Des ordinateurs portables, des ordinateurs fixes et des écrans", type="materiel"
    )
    empty = engine.Item(id="x2", text="", type=None)
    done = engine.Item(id="x3", text="Une salle de réunion", type="locaux", status="fulfilled")
    extra = [
        # The same texts again, an empty text, a fulfilled item, and an organisation given twice (replaced).
        engine.Organisation(
            id="copy", kind="company", commune="86194", needs=first.needs, offers=first.offers
        ),
        engine.Organisation(
            id="twice", kind="association", commune="75056", needs=(item, empty), offers=(done,)
        ),
        engine.Organisation(id="twice", kind="company", commune="69123", offers=(item,)),
    ]
    return orgs + extra


def _reference(orgs, vocabulary=None):
    """What build() did before it streamed: every analysis, the document frequencies, then vectors() of
    the needs and of the offers (in the order the index adds items)."""
    analyses = {"need": [], "offer": []}
    for o in orgs:
        analyses["need"] += [text.analyse(i.text) for i in o.needs]
        analyses["offer"] += [text.analyse(i.text) for i in o.offers]
    if vocabulary is None:
        df: dict[str, int] = {}
        for a in analyses["need"] + analyses["offer"]:
            for t in a.terms:
                df[t] = df.get(t, 0) + 1
        vocabulary = Vocabulary(df, len(analyses["need"]) + len(analyses["offer"]))
    return vocabulary, vocabulary.vectors(analyses["need"]), vocabulary.vectors(analyses["offer"])


def _same_matrix(m, ref, n_cols):
    assert m.shape == (ref.shape[0], n_cols)
    assert np.array_equal(m.indptr, ref.indptr)
    assert np.array_equal(m.indices, ref.indices)
    assert m.data.dtype == np.float32
    assert m.data.tobytes() == ref.data.tobytes()  # bit for bit


def _assert_like_reference(index, vocabulary, need_ref, offer_ref):
    assert index.vocabulary.terms == vocabulary.terms
    assert index.vocabulary.idf == vocabulary.idf
    assert index.vocabulary.n_docs == vocabulary.n_docs
    assert list(index.vocabulary.surfaces.items()) == list(vocabulary.surfaces.items())
    n_cols = len(vocabulary.terms)
    _same_matrix(index.needs.main, need_ref, n_cols)
    _same_matrix(index.offers.main, offer_ref, n_cols)
    assert (index.needs.main_t != index.needs.main.T).nnz == 0


def test_build_gives_the_matrices_of_vectorising_every_analysis():
    orgs = _orgs()
    index = engine.Index.build(orgs)
    _assert_like_reference(index, *_reference(orgs))


def test_build_streams_a_generator_and_blocks_give_the_same_bits(monkeypatch):
    orgs = _orgs()
    whole = engine.Index.build(orgs)
    # Tiny blocks (the running sum of squares carried from block to block).
    monkeypatch.setattr(BulkTerms, "BLOCK", 7)
    streamed = engine.Index.build(o for o in orgs)
    _assert_like_reference(streamed, *_reference(orgs))
    for side in ("needs", "offers"):
        a, b = getattr(whole, side), getattr(streamed, side)
        assert a.main.data.tobytes() == b.main.data.tobytes()
        assert a.ids == b.ids and a.slot == b.slot and a.type_code == b.type_code
        for name in ("org", "mask", "topics", "scope", "flags", "status", "updated", "alive"):
            assert np.array_equal(getattr(a, name).v, getattr(b, name).v)
    top = {o: [p.as_dict() for p in ps] for o, ps in whole.iter_partners(10)}
    assert top == {o: [p.as_dict() for p in ps] for o, ps in streamed.iter_partners(10)}


def test_build_with_a_given_vocabulary_adds_new_terms_in_order():
    orgs = _orgs()[:-1]  # no organisation replaced (compact() would empty its rows when columns are added)
    small = engine.Index.build(orgs[:5])
    vocabulary = copy.deepcopy(small.vocabulary)
    index = engine.Index.build(orgs, vocabulary=small.vocabulary)
    ref_vocabulary, need_ref, offer_ref = _reference(orgs, vocabulary)
    _assert_like_reference(index, ref_vocabulary, need_ref, offer_ref)


def test_build_keeps_no_texts_and_no_analyses():
    index = engine.Index.build(_orgs())
    assert not hasattr(index.needs, "texts") and not hasattr(index.offers, "texts")
    assert index._bulk is None


@pytest.mark.parametrize("orgs", [[], [engine.Organisation(id="alone")]])
def test_build_of_nothing(orgs):
    index = engine.Index.build(iter(orgs))
    assert index.needs.main.shape[0] == 0 and index.offers.main.shape[0] == 0
    assert index.all_partners() == {o.id: [] for o in orgs}


def test_an_item_replaced_during_the_build_counts_in_the_frequencies_as_before():
    orgs = _orgs()
    index = engine.Index.build(orgs)
    replaced = [o for o in orgs if o.id == "twice"]
    assert len(replaced) == 2 and index.org_ids.count("twice") == 2
    assert dataclasses.asdict(replaced[1])["offers"][0]["id"] == "x1"
    assert index.vocabulary.n_docs == sum(len(o.needs) + len(o.offers) for o in orgs)
