"""Suggestions people can trust and read (issue 11): the facilitators' alliances are the branch's best pairs,
ordered, varied, above a threshold and never physical help far away; reasons read as French sentences;
one contact action per partner on the complementarities page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from terreau.directory.models import Direction
from terreau.matching import engine, indexing, selection, services
from terreau.matching.evaluation import load
from terreau.vocabulary import THEMES
from tests.factories import (
    BranchFactory,
    BranchRoleFactory,
    MembershipFactory,
    NeedOfferFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db

LILLE = {"latitude": 50.6292, "longitude": 3.0573}  # about 400 km from Poitiers (the factories' commune)
NIORT = {"latitude": 46.3237, "longitude": -0.4588}  # about 65 km from Poitiers
TABLETS_NEED = "Tablettes pour des ateliers numériques avec les seniors de notre EHPAD"
TABLETS_OFFER = "Dons de tablettes reconditionnées pour des ateliers numériques"


@pytest.fixture(autouse=True)
def _cold_index():
    services.reset_index()
    yield
    services.reset_index()


def item(org, direction, title, type="materiel", **kwargs):
    return NeedOfferFactory(
        organisation=org, direction=direction, title=title, description="", type=type, **kwargs
    )


@pytest.fixture
def branch_world():
    """A branch where a weak pair comes first in slot order and a strong one later, a need that many
    companies answer, and a far-away company offering tablets (physical) and coaching (remote-able)."""
    branch = BranchFactory()
    asso = OrganisationFactory(branch=branch, name="Les Aînés Connectés")
    weak_need = item(asso, Direction.NEED, "Un coup de main pour repeindre la salle", type="benevolat")
    weak_offer = item(
        OrganisationFactory(branch=branch, company=True, name="Peintures du Clain"),
        Direction.OFFER,
        "Salariés bénévoles pour des chantiers solidaires de peinture",
        type="benevolat",
    )
    # An offer 65 km away (Niort, within the distance cap) scores lower than the same offer in Poitiers
    # but comes first in the index's order.
    item(OrganisationFactory(branch=branch, company=True, **NIORT), Direction.OFFER, TABLETS_OFFER)
    tablets = item(asso, Direction.NEED, TABLETS_NEED)
    givers = [OrganisationFactory(branch=branch, company=True, name=f"Recyclerie {i}") for i in range(5)]
    for giver in givers:
        item(giver, Direction.OFFER, TABLETS_OFFER)
    far = OrganisationFactory(branch=branch, company=True, name="Numérique du Nord", **LILLE)
    far_tablets = item(far, Direction.OFFER, TABLETS_OFFER)
    return {
        "branch": branch,
        "asso": asso,
        "tablets": tablets,
        "weak": (weak_need, weak_offer),
        "far_tablets": far_tablets,
        "far": far,
        "staff": BranchRoleFactory(branch=branch).user,
    }


def overview(world, **kwargs):
    return services.territory_overview(branch=world["branch"], user=world["staff"], **kwargs)


def test_alliances_are_ordered_by_score_and_above_the_threshold(client, branch_world, monkeypatch):
    # Without the diversity caps, to see every pair above the threshold.
    monkeypatch.setattr(selection, "ALLIANCES_PER_NEED", 20)
    monkeypatch.setattr(selection, "ALLIANCES_PER_ORGANISATION", 20)
    alliances = overview(branch_world).alliances
    assert alliances
    scores = [a.score for a in alliances]
    assert len(set(scores)) > 1 and scores == sorted(scores, reverse=True)
    assert all(s >= services.ALLIANCE_MIN_SCORE for s in scores)
    # The page shows them in the same order.
    client.force_login(branch_world["staff"])
    html = client.get(reverse("matching:territory", args=[branch_world["branch"].slug])).content.decode()
    shown = [int(p) for p in re.findall(r"<td>(\d+)&nbsp;%</td>", html)]
    assert shown == [a.percent for a in alliances]


def test_threshold_leaves_out_weak_pairs(branch_world, monkeypatch):
    index = indexing.build_index()
    ns, os_ = index.item_slots(str(o.pk) for o in branch_world["branch"].organisations.all())
    pairs = index.pairs_for_items(ns, os_, distinct=True)
    ids = zip(index.need_ids(pairs.need), index.offer_ids(pairs.offer), pairs.score.tolist(), strict=True)
    weak = {(int(n), int(o)) for n, o, s in ids if engine.MIN_PAIR_SCORE <= s < services.ALLIANCE_MIN_SCORE}
    assert weak  # the engine does find weak pairs (e.g. repainting volunteers, tablets for a room)
    shown = {(a.need.pk, a.offer.pk) for a in overview(branch_world, top=200).alliances}
    assert shown and not shown & weak
    # Above the best score nothing is shown.
    monkeypatch.setattr(services, "ALLIANCE_MIN_SCORE", 0.999)
    assert overview(branch_world).alliances == []


def test_alliances_are_varied_across_needs_and_organisations(branch_world):
    alliances = overview(branch_world, top=50).alliances
    per_need, per_org = {}, {}
    for a in alliances:
        per_need[a.need.pk] = per_need.get(a.need.pk, 0) + 1
        for org in {a.need.organisation_id, a.offer.organisation_id}:
            per_org[org] = per_org.get(org, 0) + 1
    assert per_need[branch_world["tablets"].pk] == services.ALLIANCES_PER_NEED
    assert max(per_need.values()) <= services.ALLIANCES_PER_NEED
    assert max(per_org.values()) <= services.ALLIANCES_PER_ORGANISATION


def test_no_physical_help_beyond_the_distance_cap(branch_world):
    # Only the far company answers this need: tablets (physical) from 400 km are never proposed.
    lonely = OrganisationFactory(branch=branch_world["branch"], name="Club des Tablettes")
    need = item(lonely, Direction.NEED, "Tablettes reconditionnées pour des ateliers numériques en club")
    coaching_need = item(
        lonely, Direction.NEED, "Accompagnement en comptabilité associative", type="competences"
    )
    coaching = item(
        branch_world["far"],
        Direction.OFFER,
        "Accompagnement en comptabilité associative par nos experts-comptables",
        type="competences",
    )
    alliances = overview(branch_world, top=200).alliances
    pairs = {(a.need.pk, a.offer.pk) for a in alliances}
    assert (need.pk, branch_world["far_tablets"].pk) not in pairs
    assert (branch_world["tablets"].pk, branch_world["far_tablets"].pk) not in pairs
    assert all(
        a.offer.organisation_id != branch_world["far"].pk or a.offer.type not in services.PHYSICAL_TYPES
        for a in alliances
    )
    # Skills are not limited by distance.
    assert (coaching_need.pk, coaching.pk) in pairs


def test_is_physical():
    assert services.is_physical(need_type="materiel", offer_type="materiel")
    assert services.is_physical(need_type="locaux", offer_type="autre")
    assert not services.is_physical(need_type="materiel", offer_type="financement")
    assert not services.is_physical(need_type="competences", offer_type="competences")
    assert not services.is_physical(need_type="benevolat", offer_type="benevolat", remote=True)


# --- reasons as sentences -----------------------------------------------------------------------------

CODE_SLUGS = [code for code in THEMES if "-" in code]


def assert_readable(sentence: str) -> None:
    assert sentence and sentence[0].isupper() and sentence.endswith(".")
    assert "=" not in sentence and "≈" not in sentence
    assert not any(code in sentence for code in CODE_SLUGS), sentence
    assert not re.search(r"[^\u00a0][:;?!]", sentence), sentence  # French typography
    assert not re.search(r"\d km", sentence), sentence
    if sentence.startswith("Même thème"):
        assert sentence[len("Même thème\u00a0: ") : -1] in THEMES.values()


def test_reasons_over_the_evaluation_set_are_french_sentences():
    seen = set()
    for _org, partners in engine.match(load().organisations, top=5):
        for partner in partners:
            for s in engine.reason_sentences(partner.why):
                assert_readable(s)
                seen.add(s.split("\u00a0:")[0].split(" ")[0])
    assert {"Même", "Les", "À"} <= seen  # themes, synonyms and distances were all met


@pytest.mark.parametrize(
    ("reason", "sentence"),
    [
        ("type matériel = matériel", "Même type d'aide\u00a0: matériel."),
        ("même thème: inclusion-numerique", "Même thème\u00a0: Inclusion numérique."),
        (
            "synonymes: tablettes ≈ matériel informatique",
            "Les deux parlent de tablettes et de matériel informatique.",
        ),
        ("12 km", "À 12\u00a0km l'un de l'autre."),
        ("possible à distance", "Aide possible à distance."),
    ],
)
def test_reason_sentences(reason, sentence):
    assert engine.reason_sentences([reason]) == [sentence]


def test_web_and_contact_reasons_are_sentences(client):
    branch = BranchFactory()
    asso = OrganisationFactory(branch=branch, name="Les Aînés Connectés")
    giver = OrganisationFactory(branch=branch, company=True, name="Recyclerie Numérique")
    item(asso, Direction.NEED, TABLETS_NEED, theme_id="inclusion-numerique")
    item(giver, Direction.OFFER, TABLETS_OFFER, theme_id="inclusion-numerique")
    member = MembershipFactory(organisation=asso).user
    found = services.suggestions_for(organisation=asso, user=member)
    assert "Même thème\u00a0: Inclusion numérique." in found[0].why
    for s in found[0].why:
        assert_readable(s)
    client.force_login(member)
    body = client.get(f"/api/organisations/{asso.slug}/suggestions/").json()
    assert body[0]["why"] == found[0].why


# --- one contact action per partner ---------------------------------------------------------------------


def test_complementarities_page_has_one_contact_form_per_partner(client):
    branch = BranchFactory()
    asso = OrganisationFactory(branch=branch, name="Les Aînés Connectés")
    giver = OrganisationFactory(branch=branch, company=True, name="Recyclerie Numérique")
    rooms = OrganisationFactory(branch=branch, company=True, name="Salles Partagées")
    item(asso, Direction.NEED, TABLETS_NEED)
    item(asso, Direction.NEED, "Ordinateurs portables pour des ateliers numériques")
    item(asso, Direction.NEED, "Une salle pour les ateliers du mardi", type="locaux")
    item(giver, Direction.OFFER, TABLETS_OFFER)
    item(giver, Direction.OFFER, "Dons d'ordinateurs portables reconditionnés pour des ateliers")
    item(rooms, Direction.OFFER, "Prêt de salles de réunion pour des ateliers", type="locaux")
    member = MembershipFactory(organisation=asso).user
    found = services.suggestions_for(organisation=asso, user=member)
    assert len(found) >= 2 and max(len(s.pairs) for s in found) >= 2
    client.force_login(member)
    html = client.get(reverse("matching:suggestions", args=[asso.slug])).content.decode()
    propose = reverse("partnerships:propose")
    assert html.count(f'action="{propose}"') == len(found)
    assert html.count('name="message"') == len(found)
    assert html.count('<details class="contact">') == len(found)  # collapsed until asked for
    for s in found:
        for pair in s.pairs:
            assert escape(pair.need.title) in html and escape(pair.offer.title) in html
