"""Classes of issue 16 fixed for ENGINE_VERSION 7 (found on the development sets dev6a and dev7a/dev8a; each
case written from general French, never from a held-out or validation set). Pure Python: no database."""

from __future__ import annotations

import pytest

from terreau.matching import reach, scope, text

from .test_matching_classes import BORDEAUX, NIORT, POITIERS, org, ranking

# --- an area named beside a remote way of giving binds; a town is where the helper is --------------------


@pytest.mark.parametrize(
    ("sentence", "area"),
    [
        ("Permanences en visio pour les seniors, partout en Nouvelle-Aquitaine", True),
        ("Coups de main com pour les assos bretonnes, en visio ou dans vos locaux", True),
        ("Consultations juridiques en visio ou à Marseille, dans toute la région Sud", True),
        ("Nos juristes en mécénat de compétences, à Niort ou en visio", False),
        ("Sensibilisation au handicap en visio (ou sur site en Nouvelle-Aquitaine)", False),
    ],
)
def test_an_area_named_is_told_from_the_helpers_town(sentence, area):
    got = scope.parse_scope(sentence)
    assert got.remote
    assert got.area is area


def test_remote_help_limited_to_a_named_region_ranks_below_remote_help_open_to_all():
    asso = org("asso", BORDEAUX, needs=[("formation", "Former nos bénévoles à l'accompagnement numérique")])
    regional = org(
        "regional",
        POITIERS,
        offers=[
            (
                "formation",
                "Formation des bénévoles à l'accompagnement numérique en visio, partout en Bretagne",
            )
        ],
    )
    national = org(
        "national",
        NIORT,
        offers=[
            (
                "formation",
                "Formation des bénévoles à l'accompagnement numérique en visio, à Niort ou en ligne",
            )
        ],
    )
    got = ranking([asso, regional, national], "asso")
    assert got["national"].score > got["regional"].score


# --- giving staff time: a place that hosts a company's teams, a service that introduces both sides --------


def test_a_company_giving_its_staffs_time_meets_an_association_that_hosts_teams_and_an_introduction_service():
    company = org(
        "company",
        POITIERS,
        needs=[(None, "Nos salariés veulent s'engager : on cherche une asso pour une journée solidaire")],
        kind="company",
    )
    host = org(
        "host",
        POITIERS,
        offers=[
            (None, "Journées solidaires au jardin : on accueille vos salariés pour une journée de plantation")
        ],
    )
    broker = org(
        "broker",
        POITIERS,
        offers=[
            ("reseau", "On met en relation les entreprises qui veulent engager leurs salariés avec des assos")
        ],
    )
    volunteers = org(
        "volunteers", POITIERS, offers=[("benevolat", "Nos bénévoles donnent un coup de main aux assos")]
    )
    got = ranking([company, host, broker, volunteers], "company")
    assert got["broker"].score > got["volunteers"].score
    assert got["host"].score > got["volunteers"].score


@pytest.mark.parametrize(
    ("sentence", "introduces"),
    [
        ("On met en relation les entreprises qui veulent engager leurs salariés avec des assos", True),
        ("Mise en relation avec des entreprises qui veulent s'engager auprès d'une asso", True),
        ("Nos bénévoles donnent un coup de main aux assos", False),
    ],
)
def test_an_introduction_service_is_told(sentence, introduces):
    assert reach.introduces(sentence) is introduces


@pytest.mark.parametrize(
    ("sentence", "overseas_inside"),
    [
        ("Tablettes reconditionnées, envoi par colis partout en France métropolitaine", False),
        ("Appel à projets ouvert en France métropolitaine et en Outre-mer", True),
        ("Tablettes reconditionnées, envoi par colis partout en France", True),
    ],
)
def test_mainland_france_leaves_overseas_out(sentence, overseas_inside):
    got = scope.parse_scope(sentence)
    assert got.remote
    assert (not got.departments or "973" in got.departments) is overseas_inside
    assert not got.departments or "75" in got.departments


# --- how the help travels is no subject two texts share ------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "term"),
    [
        ("Formations en ligne gratuites pour les bénévoles", "lign"),
        ("Du soutien scolaire, même à distance", "distanc"),
        ("Des conseils juridiques par visio", "visio"),
    ],
)
def test_the_manner_of_remote_help_is_not_a_term(sentence, term):
    terms = text.analyse(sentence).terms
    assert not any(t.startswith(term) for t in terms)


def test_a_video_call_as_the_object_of_a_need_stays_a_term():
    assert "visio" in text.analyse("Des tablettes pour la visio avec la famille").terms


# --- a volunteering platform finds volunteers for any association of its area; a festival is an event ------


def test_a_volunteering_platform_is_open_to_any_associations_call_for_volunteers():
    assert reach.broad_object(
        "Nous trouvons des bénévoles pour les associations de toute la Somme : aide aux devoirs"
    )
    assert reach.broad_object("Nous orientons des bénévoles vers les associations de la Vienne")
    assert reach.broad_object(
        "Bénévoles et volontaires en service civique orientés vers les structures de la MEL"
    )
    assert not reach.broad_object("Nos bénévoles animent des ateliers numériques")


def test_a_festival_is_an_event():
    assert "~evenements" in text.analyse("Bénévoles pour le festival de la baie").terms
    assert "~evenements" in text.analyse("Coup de main pour vos événements").terms
    assert "~evenements" not in text.analyse("Salle des fêtes prêtée aux associations").terms


# --- trained people and fitness are no training; school support named in other words -----------------------


@pytest.mark.parametrize(
    ("sentence", "training"),
    [
        ("Transcription de vos documents en FALC par nos travailleurs formés", False),
        ("Séances de remise en forme pour les seniors", False),
        ("On forme vos équipes bénévoles à l'accueil", True),
        ("Vos bénévoles seront formés à l'accueil des personnes à la rue", True),
    ],
)
def test_trained_people_and_fitness_are_not_training(sentence, training):
    assert ("formation" in text.analyse(sentence).types) is training


def test_homework_help_and_school_support_are_the_same_thing():
    need = text.analyse("Bénévoles pour l'aide aux devoirs des collégiens")
    offer = text.analyse("Soutien scolaire gratuit par nos étudiants, en visio")
    assert need.objects and need.objects == offer.objects


@pytest.mark.parametrize(
    ("sentence", "money"),
    [
        ("PC portables reconditionnés à 60 € pour les assos", False),
        ("Ordinateurs reconditionnés expédiés par colis (participation 30 €)", False),
        ("Subventions de 5 000 à 30 000 € par projet", True),
        ("Jusqu'à 10 000 € pour l'équipement numérique", True),
        ("Bourse de 500 € pour les jeunes", True),
    ],
)
def test_a_price_asked_is_no_money_given(sentence, money):
    assert ("financement" in text.analyse(sentence).types) is money


def test_a_coach_is_transport_and_because_is_no_word():
    assert "mobilite" in text.analyse("Un car pour la sortie annuelle des résidents").types
    assert not text.analyse("Merci, car nous avons besoin d'aide").types


def test_a_job_search_named_in_an_offer_is_not_the_offer_asking():
    assert not text.analyse("Mentors bénévoles pour les 16-25 ans : orientation, recherche d'emploi").seeks
    assert text.analyse("Notre asso recherche des bénévoles").seeks


def test_fruits_and_vegetables_named_one_by_one_are_food():
    assert "~denrees" in text.analyse("Fraises et tomates déclassées en saison, à ramasser à la ferme").terms
