"""Issue 11, what the browser journeys still found: member suggestions follow the same quality and feasibility
rule as the facilitators' alliances (no physical help from 492 km, no room answered by tablets, nothing under
the threshold), on both sides of a pair; the number of pairs a card announces matches the pairs it lists; the
alliances cover needs not yet covered before giving a need its second offer."""

from __future__ import annotations

import importlib
import re

import pytest

from terreau.directory.models import Direction
from terreau.matching import engine, services
from tests.factories import (
    BranchFactory,
    BranchRoleFactory,
    MembershipFactory,
    NeedOfferFactory,
    OrganisationFactory,
)

LILLE = {"latitude": 50.6292, "longitude": 3.0573}  # about 490 km from Poitiers (the factories' commune)
TABLETS_NEED = "Tablettes pour des ateliers numériques avec les seniors de notre EHPAD"
TABLETS_OFFER = "Dons de tablettes reconditionnées pour des ateliers numériques"
LAPTOPS_NEED = "Ordinateurs portables pour des ateliers numériques"
LAPTOPS_OFFER = "Dons d'ordinateurs portables reconditionnés pour des ateliers numériques"
ROOM_NEED = "Une salle pour les ateliers du mardi"
CLUB_TABLETS = "Tablettes reconditionnées pour le club du mercredi"
ACCOUNTING_NEED = "Accompagnement en comptabilité associative"


@pytest.fixture(autouse=True)
def _cold_index():
    services.reset_index()
    yield
    services.reset_index()


def item(org, direction, title, type="materiel", **kwargs):
    return NeedOfferFactory(
        organisation=org, direction=Direction.OFFER if direction == "offer" else Direction.NEED,
        title=title, description="", type=type, **kwargs,
    )  # fmt: skip


@pytest.fixture
def world(db):
    """The browser journeys' territory: an association needing tablets, laptops and a room; a club needing
    tablets and accounting help; a nearby company giving tablets and laptops, one lending rooms; a company
    490 km away offering tablets (physical) and accounting help (skills)."""
    branch = BranchFactory(name="Poitou-Charentes")
    asso = OrganisationFactory(branch=branch, name="Les Aînés Connectés")
    club = OrganisationFactory(branch=branch, name="Club Numérique du Clain")
    item(asso, "need", TABLETS_NEED, theme_id="inclusion-numerique")
    item(asso, "need", LAPTOPS_NEED, theme_id="inclusion-numerique")
    room = item(asso, "need", ROOM_NEED, type="locaux")
    club_tablets = item(club, "need", CLUB_TABLETS)
    accounting = item(club, "need", ACCOUNTING_NEED, type="competences")
    giver = OrganisationFactory(branch=branch, company=True, name="Recyclerie Numérique")
    item(giver, "offer", TABLETS_OFFER, theme_id="inclusion-numerique")
    item(giver, "offer", LAPTOPS_OFFER, theme_id="inclusion-numerique")
    rooms = OrganisationFactory(branch=branch, company=True, name="Salles Partagées")
    item(rooms, "offer", "Prêt de salles de réunion pour des ateliers", type="locaux")
    far = OrganisationFactory(branch=branch, company=True, name="Numérique du Nord", **LILLE)
    far_tablets = item(far, "offer", TABLETS_OFFER)
    coaching = item(
        far,
        "offer",
        "Accompagnement en comptabilité associative par nos experts-comptables",
        type="competences",
    )
    return {
        "branch": branch,
        "asso": asso,
        "club": club,
        "giver": giver,
        "far": far,
        "room": room,
        "club_tablets": club_tablets,
        "accounting": accounting,
        "far_tablets": far_tablets,
        "coaching": coaching,
        "member": MembershipFactory(organisation=asso).user,
        "club_member": MembershipFactory(organisation=club).user,
        "far_member": MembershipFactory(organisation=far).user,
        "staff": BranchRoleFactory(branch=branch).user,
    }


def suggestions(world, org, user):
    return {s.partner.pk: s for s in services.suggestions_for(organisation=world[org], user=world[user])}


def pairs_of(found):
    return {(p.need.pk, p.offer.pk) for s in found.values() for p in s.pairs}


# --- 1. the same feasibility rule for member suggestions ------------------------------------------------


def test_member_suggestions_leave_out_physical_help_from_far_away(world):
    found = suggestions(world, "asso", "member")
    # Tablets (physical) from 490 km: the far company is not suggested to the association at all.
    assert world["far"].pk not in found
    assert world["far_tablets"].pk not in {p.offer.pk for s in found.values() for p in s.pairs}
    # Skills from there are fine: the club is suggested the far company for its accounting only.
    club = suggestions(world, "club", "club_member")
    assert [(p.need.pk, p.offer.pk) for p in club[world["far"].pk].pairs] == [
        (world["accounting"].pk, world["coaching"].pk)
    ]


def test_the_receiving_side_sees_the_same(world):
    found = suggestions(world, "far", "far_member")
    assert world["asso"].pk not in found  # no tablets to give 490 km away
    assert pairs_of(found) == {(world["accounting"].pk, world["coaching"].pk)}


# --- 2. pairs that make no sense, and the quality threshold -----------------------------------------------


def test_a_room_is_never_answered_by_equipment(world):
    found = suggestions(world, "asso", "member")
    assert all(
        p.need.pk != world["room"].pk or p.offer.type == "locaux" for s in found.values() for p in s.pairs
    )
    assert services.kinds_compatible(need_type="locaux", offer_type="locaux")
    assert not services.kinds_compatible(need_type="locaux", offer_type="materiel")
    assert services.kinds_compatible(need_type="materiel", offer_type="financement")
    assert services.kinds_compatible(need_type="locaux", offer_type=None)  # a kind read from text: a guess


def test_member_suggestions_share_the_alliances_threshold(world):
    found = suggestions(world, "asso", "member")
    assert found
    assert all(p.score >= services.ALLIANCE_MIN_SCORE for s in found.values() for p in s.pairs)
    assert all(s.score >= services.ALLIANCE_MIN_SCORE for s in found.values())


# --- 3. the number of pairs announced matches the pairs listed ----------------------------------------------


def test_the_pairs_announced_are_the_pairs_listed(world):
    giver = suggestions(world, "asso", "member")[world["giver"].pk]
    assert len(giver.pairs) == engine.MAX_PAIRS_SHOWN  # tablets and laptops, both ways round: 4 pairs
    said = [s for s in giver.why if "paire" in s]
    assert len(said) == 1
    numbers = [int(n) for n in re.findall(r"\d+", said[0])]
    assert numbers[0] == len(giver.pairs), said
    assert numbers == [3, 4] and "affichées" in said[0], said


def test_pairs_sentence():
    assert engine.reason_sentences(["3 paires complémentaires"], pairs_shown=3) == [
        "Plusieurs points de rencontre\u00a0: 3 paires besoin-ressource."
    ]
    assert engine.reason_sentences(["6 paires complémentaires"], pairs_shown=3) == [
        "Plusieurs points de rencontre\u00a0: 3 paires besoin-ressource affichées sur 6."
    ]
    assert engine.reason_sentences(["6 paires complémentaires"], pairs_shown=1) == [
        "Plusieurs points de rencontre\u00a0: 1 paire besoin-ressource affichée sur 6."
    ]


# --- 4. alliances: needs not yet covered first ---------------------------------------------------------------


def details(rows):
    """PairDetails from (need id, need org, offer id, offer org) rows (nearby, material help)."""
    n = len(rows)
    return engine.PairDetails(
        need_id=[r[0] for r in rows],
        need_org=[r[1] for r in rows],
        offer_id=[r[2] for r in rows],
        offer_org=[r[3] for r in rows],
        need_type=["materiel"] * n,
        offer_type=["materiel"] * n,
        distance_km=[5.0] * n,
        remote=[False] * n,
    )


def test_pick_alliances_covers_every_need_before_second_offers(monkeypatch):
    # Best first: the association's laptops need takes two offers of the giver before the club's tablets
    # need, whose only nearby giver is the same company.
    pairs = details(
        [
            ("laptops", "asso", "laptops-offer", "giver"),
            ("tablets", "asso", "tablets-offer", "giver"),
            ("laptops", "asso", "tablets-offer", "giver"),
            ("club-tablets", "club", "tablets-offer", "giver"),
            ("accounting", "club", "coaching", "far"),
        ]
    )
    picked = services.pick_alliances(order=[0, 1, 2, 3, 4], details=pairs, top=20)
    assert picked == [0, 1, 3, 4]  # in score order; the laptops' second offer gives way
    # With room for everyone the second offers come back, still in score order.
    monkeypatch.setattr(
        importlib.import_module("terreau.matching.selection"), "ALLIANCES_PER_ORGANISATION", 10
    )
    assert services.pick_alliances(order=[0, 1, 2, 3, 4], details=pairs, top=20) == [0, 1, 2, 3, 4]
    # Top 3: one pair per need first (the best three needs).
    assert services.pick_alliances(order=[0, 1, 2, 3, 4], details=pairs, top=3) == [0, 1, 3]


def test_alliances_give_the_club_its_tablets(world):
    overview = services.territory_overview(branch=world["branch"], user=world["staff"])
    shown = [(a.need.pk, a.offer.organisation_id) for a in overview.alliances]
    assert (world["club_tablets"].pk, world["giver"].pk) in shown
    assert (world["accounting"].pk, world["far"].pk) in shown
    scores = [a.score for a in overview.alliances]
    assert scores == sorted(scores, reverse=True)
