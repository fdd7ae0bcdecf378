"""The engine on the classes of mistakes named in issue 16, one small case each (written from the issue's
text, never from the held-out set): scope written in the text, physical help kept to its area, remote help
not penalised for distance, kind of help when its code is missing or wrong, direction, and words whose
meaning depends on context. Pure Python: no database."""

from __future__ import annotations

import pytest

from terreau.matching import communes, engine, text

# Real communes (etalab codes): Poitiers and Buxerolles (Grand Poitiers), Châtellerault (Vienne, another
# intercommunality), Niort (Deux-Sèvres), Bordeaux (Gironde), Nancy (Meurthe-et-Moselle), Lille (Nord).
POITIERS, BUXEROLLES, CHATELLERAULT, NIORT, BORDEAUX, NANCY, LILLE = (
    "86194",
    "86041",
    "86066",
    "79191",
    "33063",
    "54395",
    "59350",
)


def org(oid, commune, needs=(), offers=(), kind="association"):
    def items(prefix, rows):
        return tuple(engine.Item(f"{oid}-{prefix}{k}", t, ty) for k, (ty, t) in enumerate(rows))

    return engine.Organisation(
        id=oid, kind=kind, commune=commune, needs=items("n", needs), offers=items("o", offers)
    )


def ranking(orgs, who):
    return {p.id: p for p in dict(engine.match(orgs))[who]}


# --- scope written in the text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "departments", "hard"),
    [
        ("Prêt de notre salle, uniquement dans la Vienne.", {"86"}, True),
        ("Réservé aux associations lorraines.", {"54", "55", "57", "88"}, True),
        ("Pour les structures de Picardie (Somme, Oise, Aisne).", {"02", "60", "80"}, False),
        ("Nous intervenons exclusivement en Gironde.", {"33"}, True),
    ],
)
def test_departments_and_regions_named_in_the_text(sentence, departments, hard):
    scope = text.parse_scope(sentence)
    assert scope.departments == frozenset(departments)
    assert scope.hard is hard


def test_radius_own_area_and_named_intercommunality():
    assert text.parse_scope("Dans un rayon de 30 km autour de nos locaux.").radius_km == 30
    assert text.parse_scope("Pour les associations de notre commune.").own == "commune"
    assert text.parse_scope("Uniquement dans notre agglomération.").own == "epci"
    grand_poitiers = communes.commune(POITIERS).epci
    scope = text.parse_scope("Réservé aux associations du Grand Poitiers.")
    assert scope.epcis == {grand_poitiers} and scope.hard and "Grand Poitiers" in scope.label


@pytest.mark.parametrize(
    "sentence",
    [
        "Mentorat en visio partout en France.",
        "Ordinateurs reconditionnés expédiés par colis dans toute la France.",
        "Appel à projets national ouvert aux associations.",
        "Accompagnement à distance par nos juristes.",
    ],
)
def test_remote_help_is_recognised(sentence):
    assert text.parse_scope(sentence).remote


@pytest.mark.parametrize(
    "sentence",
    [
        "Initiation des seniors aux démarches en ligne.",
        "Des tablettes pour échanger en visio avec les petits-enfants.",
        "Des bras pour la collecte nationale de la Banque alimentaire.",
    ],
)
def test_the_subject_of_the_help_is_not_the_way_it_is_given(sentence):
    assert not text.parse_scope(sentence).remote


def test_an_offer_limited_to_its_commune_is_not_suggested_to_the_next_town():
    lender = org(
        "lender", POITIERS, offers=[("locaux", "Prêt d'une salle aux associations de notre commune.")]
    )
    here = org("here", POITIERS, needs=[("locaux", "Une salle pour nos réunions mensuelles.")])
    there = org("there", CHATELLERAULT, needs=[("locaux", "Une salle pour nos réunions mensuelles.")])
    got = ranking([lender, here, there], "lender")
    assert "here" in got and "there" not in got or got["there"].score < got["here"].score / 2


# --- physical help stays local; remote help is not penalised for distance --------------------------------


def test_physical_help_prefers_the_local_area_and_is_weak_between_regions():
    van = org("van", POITIERS, offers=[("mobilite", "Prêt de notre minibus 9 places le week-end.")])
    near = org("near", BUXEROLLES, needs=[("mobilite", "Un minibus pour emmener nos adhérents en sortie.")])
    dept = org(
        "dept", CHATELLERAULT, needs=[("mobilite", "Un minibus pour emmener nos adhérents en sortie.")]
    )
    far = org("far", NANCY, needs=[("mobilite", "Un minibus pour emmener nos adhérents en sortie.")])
    got = ranking([van, near, dept, far], "van")
    assert got["near"].score > got["dept"].score > got.get("far", engine.Partner("far", 0.0, (), ())).score
    assert "far" not in got or got["far"].score < 0.25 * got["near"].score
    assert "même intercommunalité" in got["near"].why


def test_remote_help_is_not_penalised_for_distance():
    mentor = org(
        "mentor",
        LILLE,
        offers=[("competences", "Mentorat en visio par des cadres bénévoles, partout en France.")],
        kind="company",
    )
    near = org("near", LILLE, needs=[("competences", "Un mentorat pour structurer notre association.")])
    far = org("far", BORDEAUX, needs=[("competences", "Un mentorat pour structurer notre association.")])
    got = ranking([mentor, near, far], "mentor")
    assert got["far"].score == pytest.approx(got["near"].score, abs=0.02)
    assert "possible à distance" in got["far"].why


# --- kind of help ------------------------------------------------------------------------------------------


def test_a_type_code_contradicted_by_the_text_does_not_exclude_the_pair():
    # A room asked for under the code "materiel" (a plausible wrong pick) meets a room offered as "locaux".
    asker = org("asker", POITIERS, needs=[("materiel", "Nous cherchons une salle de réunion le mardi soir.")])
    giver = org("giver", POITIERS, offers=[("locaux", "Prêt de notre salle de réunion en soirée.")])
    got = ranking([asker, giver], "asker")
    assert "giver" in got and got["giver"].score > 0.2
    assert any("déduit du texte" in w for w in got["giver"].why)


def test_the_kind_of_help_is_read_from_the_text_when_the_code_is_missing():
    assert "benevolat" in text.analyse("Des bras pour décharger le camion samedi").types
    assert "financement" in text.analyse("Un soutien financier pour notre festival").types
    assert "locaux" in text.analyse("Un lieu pour stocker nos décors").types
    assert "visibilite" in text.analyse("Un podcast pour parler de nous").types


def test_direction_a_need_that_gives_meets_an_offer_that_gives_weakly():
    giver = org("giver", POITIERS, offers=[("benevolat", "Nos salariés proposent des heures de bénévolat.")])
    wrong = org(
        "wrong",
        POITIERS,
        needs=[(None, "Nos salariés souhaitent s'engager : nous proposons des heures de bénévolat.")],
        kind="company",
    )
    right = org(
        "right", POITIERS, needs=[("benevolat", "Nous cherchons des bénévoles pour nos heures d'ouverture.")]
    )
    got = ranking([giver, wrong, right], "giver")
    assert got["right"].score > got["wrong"].score


# --- words whose meaning depends on context ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Une salle de sport pour nos cours de gym", "Prêt d'une salle de réunion"),
        ("Accompagner les jeunes pousses du territoire", "Activités pour les jeunes du quartier"),
        ("Aide à la collecte de données de notre enquête", "Des bénévoles pour la collecte alimentaire"),
        ("Renouveler notre parc informatique", "Entretien du parc arboré de la commune"),
    ],
)
def test_ambiguous_words_do_not_meet_across_meanings(a, b):
    ta, tb = set(text.analyse(a).terms), set(text.analyse(b).terms)
    assert not {"sall", "~locaux", "jeun", "~jeunes", "collect", "parc"} & ta & tb


def test_jeunes_pousses_are_start_ups():
    assert "~entrepreneuriat" in text.analyse("Mentorat pour les jeunes pousses").terms
    assert "~jeunes" not in text.analyse("Mentorat pour les jeunes pousses").terms
