"""The complementarity engine on small cases, the incremental index, and the hand-labelled evaluation set.

Pure Python: no database.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from terreau.matching import contract, engine, evaluation, text
from terreau.vocabulary import THEMES, TYPES


def org(oid, kind="association", commune=None, needs=(), offers=(), themes=(), lat=None, lon=None):
    def items(rows):
        return tuple(engine.Item(r[0], r[3], r[1], r[2], *r[4:]) for r in rows)

    return engine.Organisation(
        id=oid,
        kind=kind,
        commune=commune,
        themes=tuple(themes),
        needs=items(needs),
        offers=items(offers),
        lat=lat,
        lon=lon,
    )


def partners_of(orgs, top=10):
    return dict(engine.match(orgs, top=top))


def ids(partners):
    return [p.id for p in partners]


# --- text analysis ---------------------------------------------------------------------------------------


def test_plurals_accents_and_case_fold_to_the_same_terms():
    a = text.analyse("Des ORDINATEURS pour les Personnes Âgées")
    b = text.analyse("un ordinateur pour une personne agee")
    assert set(a.terms) == set(b.terms)
    assert "~ordinateur" in a.terms and "~seniors" in a.terms


@pytest.mark.parametrize(
    ("sentence", "concept"),
    [
        ("nos aînés", "~seniors"),
        ("les résidents de l'EHPAD", "~seniors"),
        ("une résidence autonomie", "~ehpad"),
        ("des iPad", "~tablette"),
        ("un ordinateur portable", "~numerique"),
        ("des jeunes en service civique", "~benevoles"),
        ("des volontaires", "~benevoles"),
        ("du mécénat de compétences", "~competences"),
        ("retour à l'emploi et recrutement", "~emploi"),
        ("personnes à mobilité réduite", "~handicap"),
    ],
)
def test_lexicon_synonyms_and_abbreviations(sentence, concept):
    assert concept in text.analyse(sentence).terms


def test_formation_of_a_group_is_not_training():
    assert "~formation" not in text.analyse("Formation d'un groupe de parents pour la fête des voisins").terms
    assert "~formation" in text.analyse("Formation aux premiers secours pour nos bénévoles").terms


def test_local_is_premises_only_as_a_noun():
    assert "~locaux" in text.analyse("Nous cherchons un local de stockage").terms
    assert "~locaux" in text.analyse("Nos locaux sont disponibles le mardi").terms
    producers = text.analyse("Paniers de nos producteurs locaux")
    assert "~locaux" not in producers.terms
    assert "~alimentation" in producers.terms


def test_wifi_network_is_not_a_network_of_contacts():
    assert "~reseau_contacts" not in text.analyse("Installation d'un réseau wifi").terms
    assert "~reseau_contacts" in text.analyse("Ouvrir notre réseau de contacts").terms
    assert "~communication" in text.analyse("Relayer sur les réseaux sociaux").terms


def test_european_mobility_is_not_transport():
    assert "~transport" not in text.analyse("Mobilité européenne des jeunes apprentis").terms
    assert "~transport" in text.analyse("Un minibus pour le transport des résidents").terms


@pytest.mark.parametrize(
    ("sentence", "departments", "hard", "radius"),
    [
        ("Uniquement dans la Vienne", {"86"}, True, None),
        ("exclusivement en Charente-Maritime", {"17"}, True, None),
        ("Nous intervenons en Charente et dans les Deux-Sèvres", {"16", "79"}, False, None),
        ("dans un rayon de 30 km autour de Poitiers", {"86"}, True, 30),
        ("réservé aux associations d'Alsace", {"67", "68"}, True, None),
        ("une somme de 2 000 à 10 000 €, pas cher", set(), False, None),
    ],
)
def test_territorial_scope(sentence, departments, hard, radius):
    scope = text.parse_scope(sentence)
    assert set(scope.departments) == departments
    assert scope.radius_km == radius
    if departments or radius:
        assert scope.hard is hard


# --- pairs and partners ----------------------------------------------------------------------------------

TABLETS_NEED = ("n1", "materiel", None, "Tablettes pour des ateliers numériques avec nos aînés en EHPAD")
TABLETS_OFFER = ("o1", "materiel", None, "Dons d'iPad reconditionnés pour les seniors")


def test_synonyms_find_a_partner_and_explain_it():
    result = partners_of(
        [
            org("ehpad", "other", "86194", needs=[TABLETS_NEED]),
            org("ent", "company", "86194", offers=[TABLETS_OFFER]),
            org("far", "company", "86194", offers=[("o2", "materiel", None, "Tables et chaises de jardin")]),
        ]
    )
    assert ids(result["ehpad"])[0] == "ent"
    best = result["ehpad"][0]
    assert best.pairs[0] == engine.Pair(
        need="n1", offer="o1", direction="receives", score=best.pairs[0].score
    )
    assert "type matériel = matériel" in best.why
    assert any(w.startswith("synonymes: ") and "seniors" in w for w in best.why)
    assert "même commune" in best.why


def test_directions_receives_and_gives():
    result = partners_of(
        [org("ehpad", "other", needs=[TABLETS_NEED]), org("ent", "company", offers=[TABLETS_OFFER])]
    )
    assert result["ehpad"][0].pairs[0].direction == "receives"
    assert result["ent"][0].pairs[0].direction == "gives"
    assert result["ent"][0].score == result["ehpad"][0].score


def test_never_the_organisation_itself_and_scores_in_range():
    orgs = [
        org("a", needs=[TABLETS_NEED], offers=[TABLETS_OFFER]),
        org("b", "company", offers=[("o9", "materiel", None, "Tablettes numériques pour les aînés")]),
        org("c", "company", needs=[("n9", None, None, "Des iPad pour nos seniors")]),
    ]
    result = partners_of(orgs)
    for oid, partners in result.items():
        assert oid not in ids(partners)
        for p in partners:
            assert 0.0 <= p.score <= 1.0
            assert all(0.0 <= pair.score <= 1.0 for pair in p.pairs)
    assert "a" not in ids(result["a"])
    assert set(ids(result["a"])) == {"b", "c"}


def test_type_compatibility_rejects_the_wifi_trap():
    result = partners_of(
        [
            org(
                "asso",
                needs=[("n1", "reseau", None, "Un réseau de contacts parmi les entreprises du quartier")],
            ),
            org("tech", "company", offers=[("o1", "competences", None, "Installation d'un réseau wifi")]),
            org(
                "club",
                "company",
                offers=[("o2", "reseau", None, "Mises en relation avec des chefs d'entreprise")],
            ),
        ]
    )
    assert ids(result["asso"]) == ["club"]


def test_group_formation_is_not_matched_with_training_offers():
    result = partners_of(
        [
            org(
                "parents",
                needs=[("n1", None, None, "Formation d'un groupe de parents pour la fête des voisins")],
            ),
            org("club", needs=[("n2", None, None, "Formation aux premiers secours pour nos bénévoles")]),
            org("pc", offers=[("o1", "formation", None, "Formation aux premiers secours (PSC1)")]),
        ]
    )
    assert ids(result["pc"])[0] == "club"
    assert "parents" not in ids(result["pc"])


def test_hard_scope_excludes_partners_outside():
    result = partners_of(
        [
            org(
                "asso",
                commune="86194",
                needs=[("n1", "materiel", None, "Des tablettes, uniquement dans la Vienne")],
            ),
            org("in", "company", commune="86066", offers=[("o1", "materiel", None, "Dons de tablettes")]),
            org("out", "company", commune="79191", offers=[("o2", "materiel", None, "Dons de tablettes")]),
        ]
    )
    assert ids(result["asso"]) == ["in"]
    assert "dans le périmètre demandé (Vienne)" in result["asso"][0].why


def test_distance_when_coordinates_are_known():
    result = partners_of(
        [
            org("asso", commune="86194", lat=46.58, lon=0.34, needs=[TABLETS_NEED]),
            org("near", "company", commune="86066", lat=46.817, lon=0.546, offers=[TABLETS_OFFER]),
            org(
                "far", "company", commune="67482", lat=48.573, lon=7.752, offers=[("o1", *TABLETS_OFFER[1:])]
            ),
        ]
    )
    assert ids(result["asso"]) == ["near", "far"]
    assert "31 km" in result["asso"][0].why
    assert result["asso"][0].score > result["asso"][1].score


def test_fulfilled_items_are_ignored_and_discussion_weighs_less():
    open_offer = engine.Item(id="o1", type="materiel", text="Dons d'iPad pour les seniors")
    done = engine.Item(id="o1", type="materiel", text="Dons d'iPad pour les seniors", status="fulfilled")
    busy = engine.Item(id="o1", type="materiel", text="Dons d'iPad pour les seniors", status="in_discussion")
    need = org("ehpad", "other", needs=[TABLETS_NEED])
    scores = {}
    for name, item in (("open", open_offer), ("done", done), ("busy", busy)):
        partners = partners_of([need, engine.Organisation(id="ent", kind="company", offers=(item,))])["ehpad"]
        scores[name] = partners[0].score if partners else None
    assert scores["done"] is None
    assert scores["busy"] < scores["open"]


def test_output_is_deterministic_and_ties_broken_by_id():
    orgs = [org("ehpad", "other", needs=[TABLETS_NEED])]
    orgs += [org(f"ent-{k}", "company", offers=[TABLETS_OFFER]) for k in (3, 1, 2)]
    first = partners_of(orgs)
    assert ids(first["ehpad"]) == ["ent-1", "ent-2", "ent-3"]
    assert first == partners_of(list(reversed(orgs)))


def test_top_limits_the_number_of_partners():
    orgs = [org("ehpad", "other", needs=[TABLETS_NEED])]
    orgs += [org(f"ent-{k}", "company", offers=[TABLETS_OFFER]) for k in range(6)]
    assert len(partners_of(orgs, top=4)["ehpad"]) == 4


# --- the incremental index -------------------------------------------------------------------------------


def _eval_orgs():
    return evaluation.load().organisations


def _snapshot(index, org_ids):
    return {oid: [p.as_dict() for p in index.partners(oid, top=10)] for oid in org_ids}


def test_incremental_index_agrees_with_a_rebuild():
    orgs = _eval_orgs()
    index = engine.Index.build(orgs)
    by_id = {o.id: o for o in orgs}
    # Add a need, edit a need, remove an offer, replace a whole organisation, add a new one.
    new_need = engine.Item(
        id="b-new", type="materiel", text="Des tablettes et une console Wii pour nos aînés"
    )
    index.upsert_item("ehpad-tilleuls", "need", new_need)
    edited = engine.Item(id="b-cer-1", type=None, text="Ordinateurs portables pour l'animation du mercredi")
    index.upsert_item("ehpad-cerisiers", "need", edited)
    index.remove_item("orange-poitiers", "offer", "r-ora-1")
    moved = by_id["solidatech"].__class__(**{**by_id["solidatech"].__dict__, "commune": "67482"})
    index.upsert_organisation(moved)
    newcomer = org(
        "nouvelle", "company", "86194", offers=[("r-x", "materiel", None, "Tablettes numériques à donner")]
    )
    index.upsert_organisation(newcomer)

    def replaced(o):
        if o.id == "ehpad-tilleuls":
            return o.__class__(**{**o.__dict__, "needs": (*o.needs, new_need)})
        if o.id == "ehpad-cerisiers":
            return o.__class__(
                **{**o.__dict__, "needs": tuple(edited if i.id == "b-cer-1" else i for i in o.needs)}
            )
        if o.id == "orange-poitiers":
            return o.__class__(**{**o.__dict__, "offers": tuple(i for i in o.offers if i.id != "r-ora-1")})
        return moved if o.id == "solidatech" else o

    final = [replaced(o) for o in orgs if o.id != "solidatech"] + [moved, newcomer]
    rebuilt = engine.Index.build(final, vocabulary=index.vocabulary)
    org_ids = [o.id for o in final]
    assert _snapshot(index, org_ids) == _snapshot(rebuilt, org_ids)
    # Compaction keeps the answers.
    before = _snapshot(index, org_ids)
    index.compact()
    assert _snapshot(index, org_ids) == before


def test_batch_run_agrees_with_single_organisation_queries():
    orgs = _eval_orgs()
    index = engine.Index.build(orgs)
    batch = index.all_partners(10)

    def shown(partners):
        # Scores are rounded to 3 decimals for display: a float32 product (batch) and a float64 one (single
        # query) may round a score such as 0.0405 apart, so they are compared within that rounding.
        out = []
        for p in partners:
            d = p.as_dict()
            d["score"] = pytest.approx(d["score"], abs=0.0011)
            for pair in d["pairs"]:
                pair["score"] = pytest.approx(pair["score"], abs=0.0011)
            out.append(d)
        return out

    for o in orgs:
        assert [p.as_dict() for p in batch[o.id]] == shown(index.partners(o.id))


def test_approximate_mode_keeps_the_best_partners_on_small_data():
    orgs = _eval_orgs()
    index = engine.Index.build(orgs)
    exact = index.all_partners(5)
    approx = index.all_partners(5, pairs_per_item=30, champions=50)
    same_first = sum(1 for k in exact if ids(exact[k])[:1] == ids(approx[k])[:1])
    assert same_first >= 0.9 * len(exact)
    for partners in approx.values():
        assert all(0 <= p.score <= 1 for p in partners)


def test_new_words_after_the_build_still_match():
    index = engine.Index.build([org("a", needs=[TABLETS_NEED]), org("b", "company", offers=[TABLETS_OFFER])])
    index.upsert_organisation(
        org("c", "company", offers=[("o", "materiel", None, "Xylophones et tablettes")])
    )
    index.upsert_organisation(
        org("d", needs=[("n", "materiel", None, "Un xylophone pour l'atelier musique")])
    )
    assert "c" in ids(index.partners("d"))


def test_pairs_for_items_scores_every_pair_of_the_queried_items():
    index = engine.Index.build(
        [
            org("a", needs=[TABLETS_NEED], offers=[("o-a", "materiel", None, "Des iPad pour les seniors")]),
            org("b", "company", offers=[TABLETS_OFFER]),
            org("c", needs=[("n-c", "materiel", None, "Des tablettes pour nos aînés")]),
        ]
    )
    need_a, offer_a = index.needs.ids.index("n1"), index.offers.ids.index("o-a")
    offer_b, need_c = index.offers.ids.index("o1"), index.needs.ids.index("n-c")

    ns, os_, sc = index.pairs_for_items([need_a], [offer_a])
    pairs = {(index.needs.ids[n], index.offers.ids[o]): s for n, o, s in zip(ns, os_, sc, strict=True)}
    # a's need meets b's offer (and a's own offer), a's offer meets c's need (and a's own need).
    assert {("n1", "o1"), ("n-c", "o-a")} <= set(pairs)
    assert pairs[("n1", "o1")] > engine.MIN_PAIR_SCORE and pairs[("n-c", "o-a")] > engine.MIN_PAIR_SCORE
    assert pairs[("n1", "o-a")] == 0.0  # inside one organisation
    # That pair is found from both queried items: twice, unless distinct.
    assert list(zip(ns.tolist(), os_.tolist(), strict=True)).count((need_a, offer_a)) == 2
    # Items not queried only appear as the other side of a pair.
    assert need_c not in ns[os_ != offer_a] and offer_b not in os_[ns != need_a]

    distinct = index.pairs_for_items([need_a], [offer_a], distinct=True)
    keys = list(zip(distinct.need.tolist(), distinct.offer.tolist(), strict=True))
    assert keys == sorted(set(keys)) and set(keys) == set(zip(ns.tolist(), os_.tolist(), strict=True))

    empty = index.pairs_for_items()
    assert len(empty.need) == len(empty.offer) == len(empty.score) == 0
    assert index.partners_from_pairs("a", empty) == []


def test_partners_from_pairs_agrees_with_partners_and_follows_the_given_scores():
    index = engine.Index.build(_eval_orgs())
    for oid in index.org_ids:
        items = index.org_items[index.org_slot[oid]]
        pairs = index.pairs_for_items(items["need"], items["offer"])
        assert [p.as_dict() for p in index.partners_from_pairs(oid, pairs, top=5)] == [
            p.as_dict() for p in index.partners(oid, top=5)
        ]
    # Re-weighted or filtered pairs change the answer: dropping the best partner's pairs removes it.
    oid = "ehpad-tilleuls"
    items = index.org_items[index.org_slot[oid]]
    ns, os_, sc = index.pairs_for_items(items["need"], items["offer"])
    best = index.partners(oid)[0].id
    partner_slot = index.org_slot[best]
    keep = (index.needs.org.a[ns] != partner_slot) & (index.offers.org.a[os_] != partner_slot)
    filtered = index.partners_from_pairs(oid, engine.ScoredPairs(ns[keep], os_[keep], sc[keep]))
    assert filtered and best not in ids(filtered)
    halved = index.partners_from_pairs(oid, engine.ScoredPairs(ns, os_, sc / 2), top=1)
    assert halved[0].score < index.partners(oid, top=1)[0].score


def test_score_pairs_is_vectorised_and_bounded():
    index = engine.Index.build(_eval_orgs())
    n, o = len(index.needs.ids), len(index.offers.ids)
    ns, os_ = np.repeat(np.arange(n), o), np.tile(np.arange(o), n)
    scores = index.score_pairs(ns, os_, np.ones(len(ns), dtype=np.float32))
    assert scores.shape == (n * o,)
    assert scores.min() >= 0.0 and scores.max() <= 1.0


# --- the evaluation set ----------------------------------------------------------------------------------


def test_evaluation_set_is_well_formed():
    path = evaluation.EVAL_DIR / "organisations.jsonl"
    with open(path, "rb") as f:
        orgs = contract.read_organisations(f)
    items = [(side, i) for o in orgs for side, rows in (("need", o.needs), ("offer", o.offers)) for i in rows]
    assert len(items) >= 150
    item_ids = [i.id for _, i in items]
    assert len(item_ids) == len(set(item_ids)), "item ids are unique across the set"
    assert all(i.type in TYPES for _, i in items if i.type)
    assert all(i.theme in THEMES for _, i in items if i.theme)
    # About half of the needs and offers come without a theme code.
    assert sum(1 for _, i in items if not i.theme) >= len(items) * 0.4
    es = evaluation.load()
    owner = es.owner()
    assert len(es.pairs) >= 60
    assert len(set(es.pairs)) == len(es.pairs)
    for need, offer in es.pairs:
        assert ("need", need) in owner, need
        assert ("offer", offer) in owner, offer
        assert owner[("need", need)].id != owner[("offer", offer)].id
    with open(path, encoding="utf-8") as f:
        assert all(json.loads(line)["kind"] for line in f)


def test_engine_beats_the_codes_only_baseline():
    results = evaluation.evaluate(evaluation.load())
    engine_all, base_all = results["moteur"]["all"], results["référence (codes)"]["all"]
    engine_missing, base_missing = (
        results["moteur"]["missing_theme"],
        results["référence (codes)"]["missing_theme"],
    )
    assert engine_all[0] > base_all[0] + 0.1  # precision@5
    assert engine_all[1] > base_all[1] + 0.1  # recall@10
    assert engine_missing[0] > base_missing[0] + 0.1
    assert engine_missing[1] > base_missing[1] + 0.1


def test_public_readers_describe_pairs_without_the_storage():
    giver = org(
        "giver", "company", "86194", offers=[("r-1", "materiel", None, "Dons de tablettes reconditionnées")]
    )
    asker = org(
        "asker",
        "association",
        "86194",
        needs=[("b-1", "materiel", None, "Des tablettes pour nos aînés")],
        offers=[("r-2", "benevolat", None, "Bénévoles pour animer des ateliers")],
    )
    index = engine.Index.build([giver, asker])
    assert index.has_organisation("asker") and not index.has_organisation("nobody")
    need_slots, offer_slots = index.item_slots(["asker", "nobody"])
    assert index.need_ids(need_slots) == ["b-1"] and index.offer_ids(offer_slots) == ["r-2"]
    ns, os_, sc = index.pairs_for_items(need_slots, offer_slots)
    info = index.pair_details(ns, os_)
    best = int(np.argmax(sc))
    assert (info.need_id[best], info.offer_id[best]) == ("b-1", "r-1")
    assert (info.need_org[best], info.offer_org[best]) == ("asker", "giver")
    assert (info.need_type[best], info.offer_type[best]) == ("materiel", "materiel")
    # The same partners as partners(), which reads the storage itself.
    assert index.partners_from_pairs("asker", engine.ScoredPairs(ns, os_, sc)) == index.partners("asker")


def test_lexicon_file_is_checked_when_loaded(tmp_path):
    from terreau.matching import lexicon

    assert "~seniors" in text.analyse("Ateliers pour les aînés").terms
    good = tmp_path / "good.toml"
    good.write_text(
        'stop_words = ["zz"]\n[concepts.b]\nlabel = "B"\nphrases = ["bé"]\n'
        '[concepts.a]\nlabel = "A"\nphrases = ["a"]\nparents = ["b"]\ntype = "materiel"\n'
        '[topics]\nsport = ["rugby"]\n',
        encoding="utf-8",
    )
    concepts, stop_words, topics = lexicon.load(good)
    assert list(concepts) == ["b", "a"] and concepts["a"].parents == ("b",) and stop_words == {"zz"}
    assert topics == {"sport": ("rugby",)}
    path = tmp_path / "bad_topic.toml"
    path.write_text('[topics]\nrugby = ["ballon"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="not theme codes"):
        lexicon.load(path)
    for bad in (
        '[concepts.a]\nlabel = "A"\nphrases = ["a"]\nparents = ["inconnu"]\n',
        '[concepts.a]\nlabel = "A"\nphrases = ["a"]\ntype = "cadeau"\n',
        '[concepts.a]\nlabel = "A"\n',
    ):
        path = tmp_path / "bad.toml"
        path.write_text(bad, encoding="utf-8")
        with pytest.raises(ValueError, match="lexicon: concept 'a'"):
            lexicon.load(path)


# --- offers open to any project of their kind ------------------------------------------------------------


def test_an_offer_open_to_any_project_says_so_only_where_that_raised_the_score():
    fund = org(
        "F",
        kind="foundation",
        commune="86194",
        offers=[
            ("f1", "financement", None, "Notre fondation finance toute action de solidarité dans la Vienne.")
        ],
    )
    no_word_in_common = org(
        "A",
        commune="86194",
        needs=[("a1", None, None, "Nous cherchons un financement pour réparer notre four à pain.")],
    )
    many_words_in_common = org(
        "B",
        commune="86194",
        needs=[
            ("b1", None, None, "Financement d'une action de solidarité de notre fondation dans la Vienne.")
        ],
    )
    outside_its_area = org(  # Bordeaux: same region, not the Vienne
        "C",
        commune="33063",
        needs=[("c1", None, None, "Nous cherchons un financement pour réparer notre four à pain.")],
    )
    found = partners_of([fund, no_word_in_common, many_words_in_common, outside_its_area])
    (a,), (b,), (c,) = found["A"], found["B"], found["C"]
    assert a.id == b.id == c.id == "F"
    assert "offre ouverte à tout projet" in a.why  # the floor of an open offer raised it
    assert "offre ouverte à tout projet" not in b.why  # its words alone score above that floor
    assert "offre ouverte à tout projet" not in c.why and c.score < a.score / 4  # the Vienne only
