"""Organisation profile page, editing an organisation, members management."""

from __future__ import annotations

import io
import sys
import types

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from terreau.accounts.models import User
from terreau.core.models import Visibility
from terreau.directory.models import Membership, Organisation, Theme, WorkforceBand
from terreau.territories.models import PostalCode
from tests.factories import (
    BranchFactory,
    BranchRoleFactory,
    CommuneFactory,
    MembershipFactory,
    NeedOfferFactory,
    NetworkRoleFactory,
    OrganisationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return OrganisationFactory(
        name="Centre socioculturel des Trois Cités",
        acronym="CSC3C",
        siren="732829320",
        rna="W862000123",
        legal_category="9220",
        workforce_band=WorkforceBand.B12,
        address="12 place des Trois Cités",
        postal_code="86000",
        website="https://troiscites.example.org",
        email="contact@troiscites.example.org",
        private_notes="Rencontre prévue avec la directrice en mars.",
        is_demo=True,
    )


def _url(org, name="directory:organisation"):
    return reverse(name, kwargs={"slug": org.slug})


def _edit_data(org, **changes):
    data = {
        "name": org.name,
        "acronym": org.acronym,
        "kind": org.kind,
        "host_type": org.host_type,
        "description": org.description,
        "commune": org.commune.code if org.commune_id else "",
        "address": org.address,
        "postal_code": org.postal_code,
        "website": org.website,
        "email": org.email,
        "phone": org.phone,
        "siren": org.siren,
        "siret": org.siret,
        "rna": org.rna,
        "legal_category": org.legal_category,
        "workforce_band": org.workforce_band,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _png(size=(8, 8), padding=0) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (46, 107, 48)).save(buffer, format="PNG")
    return buffer.getvalue() + b"\0" * padding


# --- profile page ------------------------------------------------------------------------------------


def test_anonymous_sees_public_profile_without_private_data(client, org):
    member = MembershipFactory(organisation=org, user__first_name="Aline", user__last_name="Secret")
    NeedOfferFactory(organisation=org, title="Tablettes pour les ateliers", quantity=5, estimated_value=1200)
    NeedOfferFactory(organisation=org, offer=True, title="Prêt de salle le samedi")
    NeedOfferFactory(organisation=org, private=True, title="Besoin confidentiel")

    response = client.get(_url(org))

    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Centre socioculturel des Trois Cités",
        "CSC3C",
        "Association",
        "Poitiers",
        "Vienne (86)",
        "732829320",
        "W862000123",
        "Association déclarée (9220)",
        "20 à 49 salariés",
        "https://troiscites.example.org",
        "Données de démonstration",
        "Tablettes pour les ateliers",
        "Prêt de salle le samedi",
        "1\xa0200 €",  # French thousands separator: a no-break space
    ):
        assert text in html, text
    assert (
        html.index('id="besoins"') < html.index("Tablettes pour les ateliers") < html.index('id="ressources"')
    )
    assert html.index('id="ressources"') < html.index("Prêt de salle le samedi")
    assert "Besoin confidentiel" not in html
    assert "Rencontre prévue" not in html
    assert member.user.last_name not in html
    assert _url(org, "directory:organisation_edit") not in html
    assert "Ajouter un besoin" not in html


def test_private_organisation_is_not_found_for_anonymous_and_other_branches(client):
    hidden = OrganisationFactory(private=True)
    assert client.get(_url(hidden)).status_code == 404
    client.force_login(BranchRoleFactory().user)
    assert client.get(_url(hidden)).status_code == 404


def test_unknown_slug_is_404(client):
    assert client.get("/organisations/nexiste-pas/").status_code == 404


def test_member_sees_own_private_needs_members_and_edit_buttons(client, org):
    membership = MembershipFactory(organisation=org, user__last_name="Durand")
    NeedOfferFactory(organisation=org, private=True, title="Besoin confidentiel")
    client.force_login(membership.user)

    html = client.get(_url(org)).content.decode()

    assert "Besoin confidentiel" in html
    assert "Durand" in html
    assert _url(org, "directory:organisation_edit") in html
    assert "Ajouter un besoin" in html and "Ajouter une ressource" in html
    assert "Rencontre prévue" not in html  # private notes are for branch staff only
    assert "Gérer les membres" not in html  # a plain member does not manage members


def test_signed_in_stranger_sees_no_member_names(client, org):
    MembershipFactory(organisation=org, user__last_name="Durand")
    client.force_login(UserFactory())
    html = client.get(_url(org)).content.decode()
    assert "Durand" not in html
    assert "Ajouter un besoin" not in html


@pytest.mark.parametrize("role", ["facilitator", "network_admin"])
def test_branch_staff_see_private_notes_private_needs_and_members(client, org, role):
    if role == "facilitator":
        user = BranchRoleFactory(branch=org.branch).user
    else:
        user = NetworkRoleFactory(network=org.branch.network).user
    NeedOfferFactory(organisation=org, private=True, title="Besoin confidentiel")
    MembershipFactory(organisation=org, role=Membership.Role.ADMIN, user__last_name="Durand")
    client.force_login(user)

    html = client.get(_url(org)).content.decode()

    assert "Rencontre prévue avec la directrice" in html
    assert "Besoin confidentiel" in html
    assert "Durand" in html
    assert "Gérer les membres" in html


def test_other_branch_facilitator_sees_only_public_part(client, org):
    NeedOfferFactory(organisation=org, private=True, title="Besoin confidentiel")
    client.force_login(BranchRoleFactory().user)
    html = client.get(_url(org)).content.decode()
    assert "Besoin confidentiel" not in html
    assert "Rencontre prévue" not in html
    assert "Ajouter un besoin" not in html


def test_profile_query_count_does_not_grow_with_needs_and_offers(client, org):
    membership = MembershipFactory(organisation=org)
    theme = Theme.objects.first()
    org.themes.add(theme)
    NeedOfferFactory(organisation=org, theme=theme)
    client.force_login(membership.user)
    client.get(_url(org))  # warm caches (content types, session)

    with CaptureQueriesContext(connection) as few:
        assert client.get(_url(org)).status_code == 200
    for i in range(12):
        NeedOfferFactory(organisation=org, theme=theme, offer=bool(i % 2), private=bool(i % 3 == 0))
    MembershipFactory.create_batch(4, organisation=org)
    with CaptureQueriesContext(connection) as many:
        response = client.get(_url(org))
    assert response.content.decode().count('class="need-offer"') == 13
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


# --- editing -----------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login_for_edit(client, org):
    response = client.get(_url(org, "directory:organisation_edit"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_member_edits_own_organisation(client, org):
    user = MembershipFactory(organisation=org).user
    client.force_login(user)
    assert client.get(_url(org, "directory:organisation_edit")).status_code == 200
    themes = list(Theme.objects.all()[:2])

    response = client.post(
        _url(org, "directory:organisation_edit"),
        _edit_data(
            org,
            name="CSC des Trois Cités",
            siren="732 829 320",
            siret="732.829.320-00074",
            rna="w862000124",
            themes=[t.code for t in themes],
            description="Nouveau texte",
        ),
    )

    assert response.status_code == 302, response.content.decode()
    org.refresh_from_db()
    assert org.name == "CSC des Trois Cités"
    assert (org.siren, org.siret, org.rna) == ("732829320", "73282932000074", "W862000124")
    assert set(org.themes.all()) == set(themes)
    assert org.description == "Nouveau texte"
    assert client.get(response["Location"]).status_code == 200


def test_member_cannot_edit_another_organisation(client, org):
    user = MembershipFactory().user
    client.force_login(user)
    assert client.get(_url(org, "directory:organisation_edit")).status_code == 403
    response = client.post(_url(org, "directory:organisation_edit"), _edit_data(org, name="Piraté"))
    assert response.status_code == 403
    hidden = OrganisationFactory(private=True)
    assert client.post(_url(hidden, "directory:organisation_edit"), _edit_data(hidden)).status_code == 404
    org.refresh_from_db()
    assert org.name != "Piraté"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("siren", "123456789", "Numéro SIREN invalide"),
        ("siret", "73282932000075", "Numéro SIRET invalide"),
        ("rna", "X123", "Numéro RNA invalide"),
        ("name", "", "Ce champ est obligatoire"),
        ("kind", "pirate", "Sélectionnez un choix valide"),
        ("website", "pas une adresse", "Saisissez une URL valide"),
        ("legal_category", "92", "code de 4 chiffres"),
        ("postal_code", "8600", "5 chiffres"),
        ("commune", "Atlantide", "Aucune commune ne correspond"),
    ],
)
def test_edit_validation_messages_are_french_and_nothing_is_saved(client, org, field, value, message):
    client.force_login(MembershipFactory(organisation=org).user)
    response = client.post(_url(org, "directory:organisation_edit"), _edit_data(org, **{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert Organisation.objects.get(pk=org.pk).name == org.name


def test_siret_of_la_poste_is_accepted_and_siret_must_match_siren(client, org):
    client.force_login(MembershipFactory(organisation=org).user)
    url = _url(org, "directory:organisation_edit")
    response = client.post(url, _edit_data(org, siren="356000000", siret="35600000049837"))
    assert response.status_code == 302
    response = client.post(url, _edit_data(org, siren="356000000", siret="73282932000074"))
    assert response.status_code == 400
    assert "Le SIRET doit commencer par le SIREN" in response.content.decode()


def test_commune_is_found_by_code_postal_code_name_or_label(client, org):
    other = CommuneFactory(code="86066", name="Châtellerault", population=31000)
    PostalCode.objects.create(code="86100", commune=other)
    CommuneFactory(
        code="17300", name="La Rochelle", department__code="17", department__name="Charente-Maritime"
    )
    client.force_login(MembershipFactory(organisation=org).user)
    url = _url(org, "directory:organisation_edit")
    for term in ("86066", "86100", "chatellerault", "Châtellerault (86)", "86066 — Châtellerault (86)"):
        org.commune_id = "86194"
        org.save()
        assert client.post(url, _edit_data(org, commune=term)).status_code == 302, term
        org.refresh_from_db()
        assert org.commune_id == "86066", term


def test_postal_code_colliding_with_an_insee_code_asks_to_choose(client, org):
    by_code = CommuneFactory(code="86100", name="Jardres", population=1500)
    by_postal_code = CommuneFactory(code="86066", name="Châtellerault", population=31000)
    PostalCode.objects.create(code="86100", commune=by_postal_code)
    client.force_login(MembershipFactory(organisation=org).user)
    url = _url(org, "directory:organisation_edit")
    response = client.post(url, _edit_data(org, commune="86100"))
    assert response.status_code == 400
    assert "Jardres (86)" in response.content.decode()
    assert "Châtellerault (86)" in response.content.decode()
    assert client.post(url, _edit_data(org, commune="Jardres (86)")).status_code == 302
    org.refresh_from_db()
    assert org.commune == by_code


def test_ambiguous_commune_name_asks_for_a_code(client, org):
    CommuneFactory(code="79001", name="Saint-Martin", department__code="79", department__name="Deux-Sèvres")
    CommuneFactory(
        code="17002", name="Saint-Martin", department__code="17", department__name="Charente-Maritime"
    )
    client.force_login(MembershipFactory(organisation=org).user)
    response = client.post(_url(org, "directory:organisation_edit"), _edit_data(org, commune="Saint-Martin"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Plusieurs communes portent ce nom" in html
    assert "Saint-Martin (79)" in html and "Saint-Martin (17)" in html


def test_logo_upload_accepts_small_images_only(client, org):
    client.force_login(MembershipFactory(organisation=org).user)
    url = _url(org, "directory:organisation_edit")

    response = client.post(
        url, {**_edit_data(org), "logo": SimpleUploadedFile("logo.png", _png(), "image/png")}
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.logo.name.startswith("logos/")
    assert f'src="{org.logo.url}"' in client.get(_url(org)).content.decode()

    big = SimpleUploadedFile("gros.png", _png(padding=2 * 1024 * 1024 + 1), "image/png")
    response = client.post(url, {**_edit_data(org), "logo": big})
    assert response.status_code == 400
    assert "ne doit pas dépasser 2 Mo" in response.content.decode()

    bmp = io.BytesIO()
    Image.new("RGB", (4, 4)).save(bmp, format="BMP")
    response = client.post(url, {**_edit_data(org), "logo": SimpleUploadedFile("logo.bmp", bmp.getvalue())})
    assert response.status_code == 400
    assert "Format d'image non accepté" in response.content.decode().replace("&#x27;", "'")

    fake = SimpleUploadedFile("logo.png", b"%PDF-1.4 not an image", "image/png")
    response = client.post(url, {**_edit_data(org), "logo": fake})
    assert response.status_code == 400
    assert "pas une image valide" in response.content.decode()


def test_member_cannot_change_staff_fields_even_by_forging_the_post(client, org):
    client.force_login(MembershipFactory(organisation=org).user)
    other_branch = BranchFactory()
    html = client.get(_url(org, "directory:organisation_edit")).content.decode()
    assert 'name="private_notes"' not in html
    response = client.post(
        _url(org, "directory:organisation_edit"),
        _edit_data(org, visibility=Visibility.BRANCH, branch=other_branch.pk, private_notes="forgé"),
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.visibility == Visibility.PUBLIC
    assert org.branch != other_branch
    assert org.private_notes.startswith("Rencontre")


def test_facilitator_edits_staff_fields_within_their_branches_only(client, org):
    facilitator = BranchRoleFactory(branch=org.branch).user
    client.force_login(facilitator)
    url = _url(org, "directory:organisation_edit")
    foreign = BranchFactory()
    response = client.post(url, _edit_data(org, visibility="branch", branch=foreign.pk, private_notes="x"))
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.content.decode()

    response = client.post(
        url, _edit_data(org, visibility="branch", branch=org.branch.pk, private_notes="Partenaire clé.")
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert (org.visibility, org.private_notes) == ("branch", "Partenaire clé.")


@pytest.fixture
def geocoder(monkeypatch):
    """A stand-in for terreau.territories.geocoding (records calls; fails when asked to)."""
    calls = []
    module = types.ModuleType("terreau.territories.geocoding")
    module.fail = False

    def geocode_organisation(organisation):
        calls.append((organisation.pk, organisation.address))
        if module.fail:
            raise ConnectionError("geocoder unreachable")
        organisation.latitude, organisation.longitude = 46.58, 0.34
        organisation.save(update_fields=["latitude", "longitude"])

    module.geocode_organisation = geocode_organisation
    module.calls = calls
    monkeypatch.setitem(sys.modules, "terreau.territories.geocoding", module)
    return module


def test_address_change_geocodes_again(client, org, geocoder):
    client.force_login(MembershipFactory(organisation=org).user)
    url = _url(org, "directory:organisation_edit")
    assert client.post(url, _edit_data(org, description="Sans changement d'adresse")).status_code == 302
    assert geocoder.calls == []
    assert client.post(url, _edit_data(org, address="3 rue Carnot")).status_code == 302
    assert geocoder.calls == [(org.pk, "3 rue Carnot")]
    org.refresh_from_db()
    assert org.latitude == 46.58


def test_geocoding_failure_does_not_prevent_the_save(client, org, geocoder):
    geocoder.fail = True
    org.latitude, org.longitude = 1.0, 2.0
    org.save()
    client.force_login(MembershipFactory(organisation=org).user)
    response = client.post(_url(org, "directory:organisation_edit"), _edit_data(org, address="3 rue Carnot"))
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.address == "3 rue Carnot"
    assert org.latitude is None  # stale coordinates of the old address are dropped


# --- members -----------------------------------------------------------------------------------------


@pytest.fixture
def admin_membership(org):
    return MembershipFactory(organisation=org, role=Membership.Role.ADMIN)


def test_plain_member_cannot_manage_members(client, org):
    member = MembershipFactory(organisation=org)
    client.force_login(member.user)
    url = _url(org, "directory:organisation_members")
    assert client.get(url).status_code == 403
    assert client.post(url, {"email": "x@example.org", "role": "member"}).status_code == 403
    assert not User.objects.filter(email="x@example.org").exists()


def test_admin_adds_an_existing_user_who_is_notified(
    client, org, admin_membership, django_capture_on_commit_callbacks
):
    existing = UserFactory(email="deja@example.org")
    client.force_login(admin_membership.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url(org, "directory:organisation_members"),
            {"email": " DEJA@example.org ", "role": "member", "job_title": "Trésorière"},
        )
    assert response.status_code == 302
    membership = Membership.objects.get(organisation=org, user=existing)
    assert membership.job_title == "Trésorière"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["deja@example.org"]
    assert org.name in mail.outbox[0].subject
    assert existing.has_usable_password()


def test_admin_invites_a_new_person_who_sets_a_password(
    client, org, admin_membership, django_capture_on_commit_callbacks
):
    client.force_login(admin_membership.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url(org, "directory:organisation_members"),
            {"email": "nouvelle@example.org", "first_name": "Nora", "last_name": "Benali", "role": "admin"},
        )
    assert response.status_code == 302
    user = User.objects.get(email="nouvelle@example.org")
    assert not user.has_usable_password()
    assert Membership.objects.get(user=user, organisation=org).role == Membership.Role.ADMIN
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "choisissez votre mot de passe" in body
    link = next(line for line in body.splitlines() if "/comptes/mot-de-passe/nouveau/" in line)
    client.logout()
    response = client.get(link.replace("http://testserver", ""), follow=True)
    assert response.status_code == 200
    assert 'name="new_password1"' in response.content.decode()


def test_adding_a_member_twice_is_refused_in_french(client, org, admin_membership):
    other = MembershipFactory(organisation=org)
    client.force_login(admin_membership.user)
    response = client.post(
        _url(org, "directory:organisation_members"), {"email": other.user.email, "role": "member"}
    )
    assert response.status_code == 400
    assert "déjà membre" in response.content.decode()
    assert mail.outbox == []


def test_forged_role_or_bad_email_is_refused(client, org, admin_membership):
    client.force_login(admin_membership.user)
    url = _url(org, "directory:organisation_members")
    response = client.post(url, {"email": "a@example.org", "role": "superadmin"})
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.content.decode()
    response = client.post(url, {"email": "pas-une-adresse", "role": "member"})
    assert response.status_code == 400
    assert "Saisissez une adresse e-mail valide" in response.content.decode()
    assert not User.objects.filter(email="a@example.org").exists()


def test_facilitator_adds_and_removes_members(client, org):
    client.force_login(BranchRoleFactory(branch=org.branch).user)
    response = client.post(
        _url(org, "directory:organisation_members"), {"email": "b@example.org", "role": "member"}
    )
    assert response.status_code == 302
    membership = Membership.objects.get(organisation=org, user__email="b@example.org")
    url = reverse("directory:organisation_member_remove", kwargs={"slug": org.slug, "pk": membership.pk})
    assert client.post(url).status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_removal_of_another_organisations_membership_is_not_found(client, org, admin_membership):
    foreign = MembershipFactory()
    client.force_login(admin_membership.user)
    url = reverse("directory:organisation_member_remove", kwargs={"slug": org.slug, "pk": foreign.pk})
    assert client.post(url).status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()


def test_last_admin_cannot_remove_themselves(client, org, admin_membership):
    client.force_login(admin_membership.user)
    url = reverse(
        "directory:organisation_member_remove", kwargs={"slug": org.slug, "pk": admin_membership.pk}
    )
    response = client.post(url, follow=True)
    assert "dernier administrateur" in response.content.decode()
    assert Membership.objects.filter(pk=admin_membership.pk).exists()

    MembershipFactory(organisation=org, role=Membership.Role.ADMIN)
    assert client.post(url).status_code == 302
    assert not Membership.objects.filter(pk=admin_membership.pk).exists()


def test_member_removal_needs_post(client, org, admin_membership):
    client.force_login(admin_membership.user)
    url = reverse(
        "directory:organisation_member_remove", kwargs={"slug": org.slug, "pk": admin_membership.pk}
    )
    assert client.get(url).status_code == 405
