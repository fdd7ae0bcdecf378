"""Complementarities in the application: suggestions, feedback, stored suggestions, facilitator pages and API."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from terreau.core.models import AuditEvent
from terreau.directory.models import Direction, NeedOffer, OrganisationKind
from terreau.matching import engine, indexing, services, store
from terreau.matching.models import MatchingChange, StoredSuggestion, SuggestionFeedback
from terreau.partnerships import services as partnership_services
from terreau.partnerships.models import ContactRequest, Partnership
from tests.factories import (
    BranchFactory,
    BranchRoleFactory,
    CommuneFactory,
    DepartmentFactory,
    MembershipFactory,
    NeedOfferFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db

TABLETS_NEED = "Tablettes pour des ateliers numériques avec les seniors de notre EHPAD"
TABLETS_OFFER = "Dons de tablettes reconditionnées pour des ateliers numériques"


def offer(org, title=TABLETS_OFFER, **kwargs):
    return NeedOfferFactory(
        organisation=org, direction=Direction.OFFER, title=title, description="", **kwargs
    )


def need(org, title=TABLETS_NEED, **kwargs):
    return NeedOfferFactory(organisation=org, direction=Direction.NEED, title=title, description="", **kwargs)


@pytest.fixture
def world():
    """Branch 1: an EHPAD-like association needing tablets and a company giving them. Branch 2: a public
    company whose tablets offer is private to branch 2, and one with a public weak offer."""
    b1, b2 = BranchFactory(), BranchFactory()
    asso = OrganisationFactory(branch=b1, name="Les Aînés Connectés")
    giver = OrganisationFactory(branch=b1, company=True, name="Recyclerie Numérique")
    hidden = OrganisationFactory(branch=b2, company=True, name="Entreprise Cachée")
    w = {
        "b1": b1,
        "b2": b2,
        "asso": asso,
        "giver": giver,
        "hidden": hidden,
        "need": need(asso),
        "offer": offer(giver),
        "private_offer": offer(hidden, private=True),
        "member": MembershipFactory(organisation=asso).user,
        "staff1": BranchRoleFactory(branch=b1).user,
        "staff2": BranchRoleFactory(branch=b2).user,
    }
    return w


# --- suggestions and visibility ----------------------------------------------------------------------


def test_member_sees_visible_partner_with_reasons(client, world):
    client.force_login(world["member"])
    response = client.get(reverse("matching:suggestions", args=[world["asso"].slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Recyclerie Numérique" in html
    assert "Entreprise Cachée" not in html
    assert "Proposer un contact" in html and "Pas pertinent" in html
    found = services.suggestions_for(organisation=world["asso"], user=world["member"])
    assert [s.partner.pk for s in found] == [world["giver"].pk]
    assert any("tablette" in why for why in found[0].why)
    assert found[0].pairs[0].need.pk == world["need"].pk and found[0].pairs[0].offer.pk == world["offer"].pk


def test_private_data_of_another_branch_never_feeds_scores(world):
    # A public organisation of branch 2 with a weak public offer and a strong private one.
    mixed = OrganisationFactory(branch=world["b2"], company=True, name="Mixte")
    offer(mixed, title="Prêt de salles pour des ateliers")
    strong = offer(mixed, private=True)
    before = {
        s.partner.pk: s for s in services.suggestions_for(organisation=world["asso"], user=world["member"])
    }
    assert world["hidden"].pk not in before
    if mixed.pk in before:
        assert all(strong.pk not in (p.need.pk, p.offer.pk) for p in before[mixed.pk].pairs)
    strong.delete()
    after = {
        s.partner.pk: s for s in services.suggestions_for(organisation=world["asso"], user=world["member"])
    }
    assert {k: v.score for k, v in before.items()} == {k: v.score for k, v in after.items()}


def test_staff_of_the_other_branch_sees_its_private_offer_but_cannot_open_the_page(client, world):
    # The private offer is real: branch 2 staff acting for one of its organisations gets it suggested.
    need_b2 = OrganisationFactory(branch=world["b2"], name="Club seniors")
    need(need_b2)
    found = services.suggestions_for(organisation=need_b2, user=world["staff2"])
    assert world["hidden"].pk in {s.partner.pk for s in found}
    client.force_login(world["staff2"])
    assert client.get(reverse("matching:suggestions", args=[world["asso"].slug])).status_code == 403


def test_outsiders_cannot_see_an_organisations_suggestions(client, world):
    url = reverse("matching:suggestions", args=[world["asso"].slug])
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(MembershipFactory(organisation=world["giver"]).user)
    assert client.get(url).status_code == 403
    client.force_login(world["staff1"])
    assert client.get(url).status_code == 200


def test_query_count_does_not_grow_with_suggestions(client, world):
    client.force_login(world["member"])
    url = reverse("matching:suggestions", args=[world["asso"].slug])
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).content.decode().count('class="suggestion"') == 1
    for i in range(5):
        offer(OrganisationFactory(branch=world["b1"], company=True, name=f"Donateur {i}"))
    client.get(url)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).content.decode().count('class="suggestion"') == 6
    assert len(many) == len(few)


# --- feedback ----------------------------------------------------------------------------------------


def test_dismissal_hides_the_pair_and_is_kept(client, world):
    client.force_login(world["member"])
    url = reverse("matching:dismiss", args=[world["asso"].slug])
    data = {
        "need": world["need"].pk,
        "offer": world["offer"].pk,
        "reason": "not_relevant",
        "note": "déjà équipés",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    feedback = SuggestionFeedback.objects.get()
    assert (feedback.partner, feedback.verdict, feedback.reason, feedback.by) == (
        world["giver"],
        "dismissed",
        "not_relevant",
        world["member"],
    )
    assert feedback.note == "déjà équipés"
    page = client.get(reverse("matching:suggestions", args=[world["asso"].slug])).content.decode()
    assert "Recyclerie Numérique" not in page


def test_dismissal_with_htmx_replaces_the_pair(client, world):
    client.force_login(world["member"])
    response = client.post(
        reverse("matching:dismiss", args=[world["asso"].slug]),
        {"need": world["need"].pk, "offer": world["offer"].pk, "reason": "too_far"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'role="status"' in response.content.decode()
    assert SuggestionFeedback.objects.filter(reason="too_far").exists()


@pytest.mark.parametrize(
    "data",
    [
        {"reason": "n'importe quoi"},
        {"reason": ""},
        {"need": "abc"},
    ],
)
def test_bad_dismissals_get_a_french_message_and_write_nothing(client, world, data):
    client.force_login(world["member"])
    payload = {"need": world["need"].pk, "offer": world["offer"].pk, "reason": "other", **data}
    response = client.post(reverse("matching:dismiss", args=[world["asso"].slug]), payload, follow=True)
    assert response.status_code == 200
    assert "motif" in response.content.decode()
    assert not SuggestionFeedback.objects.exists()


def test_forged_dismissal_of_other_organisations_pair_is_refused(client, world):
    other_need = need(OrganisationFactory(branch=world["b1"]))
    client.force_login(world["member"])
    response = client.post(
        reverse("matching:dismiss", args=[world["asso"].slug]),
        {"need": other_need.pk, "offer": world["offer"].pk, "reason": "other"},
        follow=True,
    )
    assert response.status_code == 200
    assert "ne concerne pas votre structure" in response.content.decode()
    # An invisible item: 404, nothing written.
    response = client.post(
        reverse("matching:dismiss", args=[world["asso"].slug]),
        {"need": world["need"].pk, "offer": world["private_offer"].pk, "reason": "other"},
    )
    assert response.status_code == 404
    assert not SuggestionFeedback.objects.exists()


def test_already_partners_hides_the_partner_altogether(world):
    second = need(world["asso"], title="Ordinateurs portables pour l'accueil", type="materiel")
    offer(world["giver"], title="Ordinateurs portables reconditionnés")
    found = services.suggestions_for(organisation=world["asso"], user=world["member"])
    assert found[0].partner == world["giver"] and len(found[0].pairs) >= 2
    services.suggestion_dismiss(
        organisation=world["asso"],
        need=second,
        offer=NeedOffer.objects.get(title__startswith="Ordinateurs portables r"),
        reason="already_partners",
        by=world["member"],
    )
    assert services.suggestions_for(organisation=world["asso"], user=world["member"]) == []


def test_feedback_adjustment_changes_the_ranking(world):
    # The twin gives exactly what the giver gives; the giver also answers a second need, so it ranks first.
    twin = OrganisationFactory(branch=world["b1"], company=True, name="Jumelle")
    offer(twin)
    second = need(world["asso"], title="Ordinateurs portables pour l'accueil")
    laptops = offer(world["giver"], title="Ordinateurs portables reconditionnés")
    ranking = [s.partner for s in services.suggestions_for(organisation=world["asso"], user=world["member"])]
    assert ranking[:2] == [world["giver"], twin]
    # Dismissing the second pair (too far) hides it and down-weights the giver's other pairs.
    services.suggestion_dismiss(
        organisation=world["asso"], need=second, offer=laptops, reason="too_far", by=world["member"]
    )
    found = services.suggestions_for(organisation=world["asso"], user=world["member"])
    assert [s.partner for s in found][:2] == [twin, world["giver"]]
    assert found[1].score < found[0].score


def test_type_factors_learn_from_accepted_and_dismissed_pairs(world):
    assert services.type_factors() == {}
    for _ in range(3):
        sender = OrganisationFactory(branch=world["b1"])
        n, o = need(sender, type="financement"), offer(world["giver"], type="financement")
        req = partnership_services.contact_request_create(
            sender=sender, recipient=world["giver"], need=n, offer=o
        )
        partnership_services.contact_request_accept(request=req)
    for _ in range(4):
        n2, o2 = need(world["asso"], type="locaux"), offer(world["giver"], type="locaux")
        services.suggestion_dismiss(organisation=world["asso"], need=n2, offer=o2, reason="not_relevant")
    factors = services.type_factors()
    assert factors[("financement", "financement")] > 1.0
    assert factors[("locaux", "locaux")] < 1.0
    assert services.partner_factor(0) == 1.0 and services.partner_factor(2) == pytest.approx(0.64)
    assert services.partner_factor(10) == services.PARTNER_FLOOR


def test_proposing_a_contact_records_the_reasons_and_marks_the_pair(client, world):
    client.force_login(world["member"])
    found = services.suggestions_for(organisation=world["asso"], user=world["member"])
    response = client.post(
        reverse("partnerships:propose"),
        {
            "sender": world["asso"].pk,
            "recipient": world["giver"].pk,
            "need": world["need"].pk,
            "offer": world["offer"].pk,
            "reasons": found[0].reasons_text,
            "message": "Bonjour",
        },
    )
    assert response.status_code == 302
    request = ContactRequest.objects.get()
    assert request.reasons == found[0].why
    assert SuggestionFeedback.objects.get().verdict == "contacted"
    page = client.get(reverse("matching:suggestions", args=[world["asso"].slug])).content.decode()
    assert "Contact déjà proposé" in page


# --- stored suggestions, kept up to date by the jobs --------------------------------------------------


def test_stored_suggestions_follow_a_need_added_edited_closed_and_deleted(
    world, no_worker, monkeypatch, django_capture_on_commit_callbacks
):
    store.rebuild_all()  # the worker keeps the index it built

    def no_rebuild(*args, **kwargs):
        raise AssertionError("the index must not be rebuilt")

    monkeypatch.setattr(engine.Index, "build", no_rebuild)
    mover = OrganisationFactory(branch=world["b1"], company=True, name="Transports Solidaires")
    with django_capture_on_commit_callbacks(execute=True):
        offer(mover, title="Prêt d'un minibus pour les sorties", type="mobilite")
    # A need about transport is added: the job run after the commit stores its partner.
    with django_capture_on_commit_callbacks(execute=True):
        trips = need(world["asso"], title="Un minibus pour les sorties des résidents", type="mobilite")
    found = {
        s.partner.pk: s for s in services.suggestions_for(organisation=world["asso"], user=world["member"])
    }
    assert mover.pk in found
    assert found[mover.pk].pairs[0].need.pk == trips.pk
    # Edited so that it no longer speaks of the same thing, then withdrawn: it is gone.
    with django_capture_on_commit_callbacks(execute=True):
        trips.title = "Des bénévoles pour la chorale"
        trips.type = "benevolat"
        trips.save()
    found = {s.partner.pk for s in services.suggestions_for(organisation=world["asso"], user=world["member"])}
    assert mover.pk not in found
    assert not StoredSuggestion.objects.filter(need=trips, offer_organisation=mover).exists()
    with django_capture_on_commit_callbacks(execute=True):
        world["offer"].status = "withdrawn"
        world["offer"].save()
    found = {s.partner.pk for s in services.suggestions_for(organisation=world["asso"], user=world["member"])}
    assert world["giver"].pk not in found
    assert not StoredSuggestion.objects.filter(offer=world["offer"]).exists()
    with django_capture_on_commit_callbacks(execute=True):
        mover.delete()
    assert not StoredSuggestion.objects.filter(offer_organisation_id=mover.pk).exists()
    assert not MatchingChange.objects.filter(done=False).exists()


def test_a_need_or_offer_moved_elsewhere_leaves_its_old_place(
    world, no_worker, django_capture_on_commit_callbacks
):
    store.rebuild_all()
    heir = OrganisationFactory(branch=world["b1"], company=True, name="Recyclerie Reprise")
    with django_capture_on_commit_callbacks(execute=True):
        moved = NeedOffer.objects.get(pk=world["offer"].pk)
        moved.organisation = heir
        moved.save()
    found = {s.partner.pk for s in services.suggestions_for(organisation=world["asso"], user=world["member"])}
    assert found == {heir.pk}
    # An offer turned into a need no longer answers the association's need.
    with django_capture_on_commit_callbacks(execute=True):
        moved.direction = Direction.NEED
        moved.save(update_fields=["direction"])
    assert services.suggestions_for(organisation=world["asso"], user=world["member"]) == []


# --- facilitators ------------------------------------------------------------------------------------


def test_territory_page_access(client, world):
    url = reverse("matching:territory", args=[world["b1"].slug])
    client.force_login(world["member"])
    assert client.get(url).status_code == 403
    assert client.get(reverse("matching:territory_alliances_csv", args=[world["b1"].slug])).status_code == 403
    client.force_login(world["staff2"])
    assert client.get(url).status_code == 404
    assert client.get(reverse("matching:territory_unmet_csv", args=[world["b1"].slug])).status_code == 404
    client.force_login(world["staff1"])
    html = client.get(url).content.decode()
    assert "Les Aînés Connectés" in html and TABLETS_OFFER in html
    assert reverse("partnerships:board") in html


def test_other_branch_sees_nothing_of_branch_1_private_data(client, world):
    private = need(OrganisationFactory(branch=world["b1"], private=True, name="Structure Discrète"))
    assert private
    overview = services.territory_overview(branch=world["b2"], user=world["staff2"])
    shown = {a.need.organisation.name for a in overview.alliances} | {
        n.organisation.name for g in overview.unmet for n in g.needs
    }
    assert "Structure Discrète" not in shown
    assert "Les Aînés Connectés" not in {n.organisation.name for g in overview.unmet for n in g.needs}


def test_unmet_needs_grouped_by_theme_and_department_and_exported(client, world):
    DepartmentFactory(code="17", name="Charente-Maritime")
    lonely_org = OrganisationFactory(
        branch=world["b1"], commune=CommuneFactory(code="17300", name="La Rochelle", department__code="17")
    )
    lonely = need(
        lonely_org,
        title="Un apiculteur pour installer des ruches",
        type="competences",
        theme_id="environnement",
    )
    overview = services.territory_overview(branch=world["b1"], user=world["staff1"])
    groups = {(g.theme, g.department): [n.pk for n in g.needs] for g in overview.unmet}
    assert any(lonely.pk in pks and theme == "Environnement" for (theme, _d), pks in groups.items())
    assert all(world["need"].pk not in pks for pks in groups.values())  # answered by the giver
    assert overview.alliances[0].need == world["need"] and overview.alliances[0].offer == world["offer"]
    client.force_login(world["staff1"])
    response = client.get(reverse("matching:territory_unmet_csv", args=[world["b1"].slug]))
    assert response["Content-Type"].startswith("text/csv")
    assert "ruches" in response.content.decode("utf-8-sig")
    response = client.get(reverse("matching:territory_alliances_csv", args=[world["b1"].slug]))
    assert TABLETS_OFFER in response.content.decode("utf-8-sig")
    # Both downloads are in the audit log, under the branch they describe.
    events = AuditEvent.objects.filter(actor=world["staff1"], action=AuditEvent.Action.EXPORT_DOWNLOADED)
    assert sorted(events.values_list("target", "branch_id")) == [
        ("alliances-potentielles.csv", world["b1"].pk),
        ("besoins-non-pourvus.csv", world["b1"].pk),
    ]


# --- API ---------------------------------------------------------------------------------------------


def test_api_suggestions_access_matrix(client, world):
    url = f"/api/organisations/{world['asso'].slug}/suggestions/"
    assert client.get(url).status_code == 404  # anonymous
    client.force_login(MembershipFactory(organisation=world["giver"]).user)
    assert client.get(url).status_code == 404  # member of another organisation
    client.force_login(world["staff2"])
    assert client.get(url).status_code == 404  # staff of another branch
    for user in (world["member"], world["staff1"]):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        body = response.json()
        assert [s["partner"] for s in body] == [world["giver"].slug]
        assert body[0]["pairs"][0]["need"] == world["need"].pk and body[0]["why"]


def test_api_partnerships_access_and_stage(client, world):
    req = partnership_services.contact_request_create(
        sender=world["asso"], recipient=world["giver"], need=world["need"], offer=world["offer"]
    )
    partnership = partnership_services.contact_request_accept(request=req)
    url = f"/api/partnerships/{partnership.pk}/"
    assert client.get("/api/partnerships/").json()["count"] == 0  # anonymous
    assert client.get(url).status_code == 404
    client.force_login(world["staff2"])
    assert client.get("/api/partnerships/").json()["count"] == 0
    assert client.patch(url, {"stage": "discussion"}, content_type="application/json").status_code == 404
    client.force_login(world["member"])
    assert client.get("/api/partnerships/").json()["count"] == 1
    assert set(client.get(url).json()["partners"]) == {world["asso"].slug, world["giver"].slug}
    assert client.patch(url, {"stage": "discussion"}, content_type="application/json").status_code == 403
    client.force_login(world["staff1"])
    response = client.patch(
        url, {"stage": "discussion", "note": "Premier rendez-vous"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["stage"] == "discussion"
    response = client.patch(url, {"stage": "contact_inconnu"}, content_type="application/json")
    assert response.status_code == 400
    response = client.patch(url, {"stage": "ended"}, content_type="application/json")
    assert response.status_code == 200
    response = client.patch(url, {"stage": "discussion"}, content_type="application/json")
    assert response.status_code == 400 and "étape" in response.json()["detail"]
    assert Partnership.objects.get().stage == "ended"


def test_organisation_kind_mapping():
    assert indexing._kind(OrganisationFactory.build(kind=OrganisationKind.HOST_STRUCTURE)) == "other"
