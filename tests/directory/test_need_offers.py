"""Needs and offers: creation, editing, status changes with their history, forged posts."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from terreau.core.models import Visibility
from terreau.directory import services
from terreau.directory.models import Direction, NeedOffer, NeedOfferStatus, NeedOfferStatusChange, Theme
from tests.factories import (
    BranchRoleFactory,
    MembershipFactory,
    NeedOfferFactory,
    OrganisationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return MembershipFactory(user__first_name="Inès", user__last_name="Moreau")


@pytest.fixture
def need(member):
    return NeedOfferFactory(organisation=member.organisation, title="Tablettes pour les ateliers")


@pytest.fixture
def member_client(client, member):
    client.force_login(member.user)
    return client


def _create_url(org):
    return reverse("directory:need_offer_create", kwargs={"slug": org.slug})


def _edit_url(item):
    return reverse("directory:need_offer_edit", kwargs={"pk": item.pk})


def _status_url(item):
    return reverse("directory:need_offer_status", kwargs={"pk": item.pk})


def _data(**changes):
    data = {
        "direction": "need",
        "title": "Bénévoles pour le Trophée des seniors",
        "type": "benevolat",
        "theme": "bien-vieillir",
        "description": "Encadrer le tournoi de bowling.",
        "quantity": "4",
        "estimated_value": "350.50",
        "scope": "department",
        "starts_on": "2025-03-01",
        "ends_on": "2025-06-30",
        "visibility": "public",
    }
    data.update(changes)
    return data


# --- creation ----------------------------------------------------------------------------------------


def test_create_form_preselects_the_direction(member_client, member):
    html = member_client.get(_create_url(member.organisation) + "?direction=offer").content.decode()
    assert "<h1>Ajouter une ressource</h1>" in html
    assert 'value="offer" required id="id_direction_1" checked' in html


def test_member_creates_a_need(member_client, member):
    response = member_client.post(_create_url(member.organisation), _data())
    assert response.status_code == 302
    item = NeedOffer.objects.get(organisation=member.organisation)
    assert (item.direction, item.status, item.type, item.theme_id) == (
        "need",
        "open",
        "benevolat",
        "bien-vieillir",
    )
    assert item.quantity == 4 and str(item.estimated_value) == "350.50"
    assert response["Location"].endswith(f"#bo-{item.pk}")
    html = member_client.get(response["Location"]).content.decode()
    assert "Bénévoles pour le Trophée des seniors" in html
    assert "du 1er mars 2025 au 30 juin 2025" in html


def test_member_creates_an_offer_without_optional_fields(member_client, member):
    data = _data(direction="offer", theme="", quantity="", estimated_value="", starts_on="", ends_on="")
    assert member_client.post(_create_url(member.organisation), data).status_code == 302
    item = NeedOffer.objects.get(organisation=member.organisation)
    assert item.direction == Direction.OFFER
    assert item.theme is None and item.quantity is None and item.estimated_value is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"estimated_value": "-5"}, "La valeur estimée ne peut pas être négative."),
        ({"quantity": "-1"}, "La quantité ne peut pas être négative."),
        ({"ends_on": "2025-02-01"}, "La date de fin doit être postérieure ou égale à la date de début."),
        ({"type": "argent-magique"}, "Sélectionnez un choix valide"),
        ({"theme": "theme-inconnu"}, "Sélectionnez un choix valide"),
        ({"direction": "both"}, "Sélectionnez un choix valide"),
        ({"scope": "galaxie"}, "Sélectionnez un choix valide"),
        ({"visibility": "everyone"}, "Sélectionnez un choix valide"),
        ({"title": ""}, "Ce champ est obligatoire"),
        ({"starts_on": "31/02/2025"}, "Saisissez une date valide"),
        ({"estimated_value": "beaucoup"}, "Saisissez un nombre"),
    ],
)
def test_bad_input_is_refused_in_french_and_nothing_is_written(member_client, member, changes, message):
    response = member_client.post(_create_url(member.organisation), _data(**changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not NeedOffer.objects.exists()


def test_forged_organisation_and_status_fields_are_ignored_on_creation(member_client, member):
    other = OrganisationFactory()
    response = member_client.post(
        _create_url(member.organisation), _data(organisation=other.pk, status="fulfilled", is_demo="on")
    )
    assert response.status_code == 302
    item = NeedOffer.objects.get()
    assert item.organisation == member.organisation
    assert item.status == NeedOfferStatus.OPEN
    assert not item.is_demo


def test_member_cannot_create_for_another_organisation(member_client):
    public, hidden = OrganisationFactory(), OrganisationFactory(private=True)
    assert member_client.post(_create_url(public), _data()).status_code == 403
    assert member_client.post(_create_url(hidden), _data()).status_code == 404
    assert not NeedOffer.objects.exists()


def test_anonymous_is_sent_to_login(client, need):
    for url in (_create_url(need.organisation), _edit_url(need)):
        response = client.get(url)
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    response = client.post(_status_url(need), {"to": "fulfilled"})
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.status == NeedOfferStatus.OPEN


# --- editing -----------------------------------------------------------------------------------------


def test_member_edits_a_need_but_not_its_direction(member_client, need):
    response = member_client.post(_edit_url(need), _data(title="Dix tablettes", direction="offer"))
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.title == "Dix tablettes"
    assert need.direction == Direction.NEED


def test_edit_of_another_organisations_need_is_refused(member_client):
    public = NeedOfferFactory(title="Original")
    hidden = NeedOfferFactory(private=True, title="Original")
    assert member_client.get(_edit_url(public)).status_code == 403
    assert member_client.post(_edit_url(public), _data(title="Piraté")).status_code == 403
    assert member_client.post(_edit_url(hidden), _data(title="Piraté")).status_code == 404
    assert member_client.post(_status_url(public), {"to": "withdrawn"}).status_code == 403
    assert member_client.post(_status_url(hidden), {"to": "withdrawn"}).status_code == 404
    assert set(NeedOffer.objects.values_list("title", "status")) == {("Original", "open")}
    assert not NeedOfferStatusChange.objects.exists()


def test_facilitator_edits_needs_of_their_branch(client, need):
    client.force_login(BranchRoleFactory(branch=need.organisation.branch).user)
    assert (
        client.post(_edit_url(need), _data(title="Revu par l'antenne", visibility="branch")).status_code
        == 302
    )
    need.refresh_from_db()
    assert (need.title, need.visibility) == ("Revu par l'antenne", Visibility.BRANCH)


def test_tampered_id_in_url_is_not_found(member_client):
    assert member_client.get("/besoins-ressources/999999/modifier/").status_code == 404
    assert member_client.post("/besoins-ressources/999999/statut/", {"to": "open"}).status_code == 404


def test_missing_csrf_token_is_refused(member, need):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)
    assert client.post(_edit_url(need), _data(title="Sans jeton")).status_code == 403
    assert client.post(_status_url(need), {"to": "fulfilled"}).status_code == 403
    need.refresh_from_db()
    assert (need.title, need.status) == ("Tablettes pour les ateliers", "open")


# --- status and history ------------------------------------------------------------------------------


def test_edit_page_offers_the_allowed_transitions_only(member_client, need):
    html = member_client.get(_edit_url(need)).content.decode()
    assert "Marquer comme en discussion" in html
    assert "Marquer comme satisfait" in html
    assert "Rouvrir" not in html
    assert "Aucun changement de statut depuis la création" in html


def test_status_change_is_recorded_and_listed(member_client, member, need):
    response = member_client.post(_status_url(need), {"to": "in_discussion", "note": "Contact avec Orange"})
    assert response.status_code == 302
    assert response["Location"] == _edit_url(need)
    need.refresh_from_db()
    assert need.status == NeedOfferStatus.IN_DISCUSSION
    change = need.history.get()
    assert (change.from_state, change.to_state, change.by, change.note) == (
        "open",
        "in_discussion",
        member.user,
        "Contact avec Orange",
    )

    member_client.post(_status_url(need), {"to": "fulfilled"})
    html = member_client.get(_edit_url(need)).content.decode()
    assert "Ouvert → En discussion" in html
    assert "En discussion → Satisfait" in html
    assert "Inès Moreau" in html
    assert "Contact avec Orange" in html
    assert "Rouvrir" in html and "Marquer comme en discussion" not in html
    assert "Satisfait" in member_client.get(need.organisation.get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    ("start", "to", "message"),
    [
        ("fulfilled", "withdrawn", "Impossible de passer du statut « Satisfait » au statut « Retiré »."),
        ("open", "open", "Impossible de passer du statut « Ouvert » au statut « Ouvert »."),
        ("open", "archived", "Statut inconnu"),
        ("open", "", "Statut inconnu"),
    ],
)
def test_forbidden_or_unknown_transition_is_a_clear_400(member_client, need, start, to, message):
    NeedOffer.objects.filter(pk=need.pk).update(status=start)
    response = member_client.post(_status_url(need), {"to": to})
    assert response.status_code == 400
    assert message in response.content.decode()
    need.refresh_from_db()
    assert need.status == start
    assert not NeedOfferStatusChange.objects.exists()


def test_status_change_needs_post(member_client, need):
    assert member_client.get(_status_url(need)).status_code == 405


def test_status_change_through_htmx_returns_the_panel(member_client, need):
    response = member_client.post(_status_url(need), {"to": "withdrawn"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="statut"')
    assert "Statut modifié : Retiré." in html
    assert "Ouvert → Retiré" in html
    response = member_client.post(_status_url(need), {"to": "fulfilled"}, HTTP_HX_REQUEST="true")
    assert "Impossible de passer du statut « Retiré » au statut « Satisfait »." in response.content.decode()
    need.refresh_from_db()
    assert need.status == NeedOfferStatus.WITHDRAWN


def test_service_refuses_a_transition_from_a_stale_object(need):
    """Two people on the same page: the second change is checked against the stored status."""
    user = UserFactory()
    stale = NeedOffer.objects.get(pk=need.pk)
    services.need_offer_set_status(need_offer=need, to=NeedOfferStatus.FULFILLED, by=user)
    with pytest.raises(services.ServiceError):
        services.need_offer_set_status(need_offer=stale, to=NeedOfferStatus.IN_DISCUSSION, by=user)
    assert NeedOfferStatusChange.objects.count() == 1


def test_service_create_and_update_are_keyword_only_and_validate(member):
    theme = Theme.objects.get(code="sante")
    item = services.need_offer_create(
        organisation=member.organisation,
        data={"direction": "offer", "type": "locaux", "title": "Salle", "theme": theme, "scope": "commune"},
        by=member.user,
    )
    assert item.pk and item.status == NeedOfferStatus.OPEN
    services.need_offer_update(
        need_offer=item, data={"title": "Grande salle", "status": "fulfilled"}, by=member.user
    )
    item.refresh_from_db()
    assert (item.title, item.status) == (
        "Grande salle",
        NeedOfferStatus.OPEN,
    )  # status only via change_status
