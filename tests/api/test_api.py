"""REST API: lists, filters, pagination, retrieve, writes, tokens, territories, bad payloads, OpenAPI."""

from __future__ import annotations

import io
import json

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from terreau.api.exceptions import exception_handler
from terreau.directory.models import NeedOffer, NeedOfferStatus, Organisation
from terreau.directory.services import ServiceError
from terreau.territories.models import PostalCode
from tests.factories import (
    BranchRoleFactory,
    CommuneFactory,
    DepartmentFactory,
    MembershipFactory,
    NeedOfferFactory,
    OrganisationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

VALID_SIREN = "732829320"  # Luhn-valid
ORGS = "/api/organisations/"
NEEDS = "/api/needs/"
OFFERS = "/api/offers/"


@pytest.fixture(autouse=True)
def _fast_and_fresh(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # users are made per test
    cache.clear()  # throttling counters live in the cache
    yield
    cache.clear()


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def world():
    """Branch 1 with a facilitator, a public organisation A (with a member) and a private one."""
    role = BranchRoleFactory()
    branch = role.branch
    a = OrganisationFactory(name="Atelier Tricot Solidaire", slug="atelier-tricot", branch=branch)
    a.private_notes = "Rencontre prévue en mars"
    a.save()
    private = OrganisationFactory(
        name="Collectif Discret", slug="collectif-discret", branch=branch, private=True
    )
    member = MembershipFactory(organisation=a).user
    return {"branch": branch, "facilitator": role.user, "a": a, "private": private, "member": member}


# --- organisations: list, filters, pagination, retrieve ---------------------------------------------


def test_anonymous_list_shows_public_organisations_only(world):
    response = client_for().get(ORGS)
    assert response.status_code == 200
    slugs = [row["slug"] for row in response.json()["results"]]
    assert slugs == ["atelier-tricot"]
    assert "private_notes" not in response.json()["results"][0]


def test_facilitator_list_includes_private_rows_and_notes(world):
    rows = client_for(world["facilitator"]).get(ORGS).json()["results"]
    by_slug = {row["slug"]: row for row in rows}
    assert set(by_slug) == {"atelier-tricot", "collectif-discret"}
    assert by_slug["atelier-tricot"]["private_notes"] == "Rencontre prévue en mars"


def test_list_filters_kind_department_and_text():
    OrganisationFactory(name="Entreprise Numérique", slug="ent-num", company=True)
    OrganisationFactory(
        name="Club Rochelais",
        slug="club-rochelais",
        commune=CommuneFactory(
            code="17300",
            name="La Rochelle",
            department=DepartmentFactory(code="17", name="Charente-Maritime"),
        ),
    )
    OrganisationFactory(name="Tricot du Poitou", slug="tricot")
    client = client_for()

    def slugs(**params):
        response = client.get(ORGS, params)
        assert response.status_code == 200
        return {row["slug"] for row in response.json()["results"]}

    assert slugs(kind="company") == {"ent-num"}
    assert slugs(department="17") == {"club-rochelais"}
    assert slugs(department=["17", "86"]) == {"club-rochelais", "ent-num", "tricot"}
    assert slugs(q="tricot") == {"tricot"}


def test_pagination_and_invalid_page():
    for i in range(5):
        OrganisationFactory(name=f"Structure {i}", slug=f"structure-{i}")
    client = client_for()
    body = client.get(ORGS, {"page_size": 2}).json()
    assert body["count"] == 5
    assert len(body["results"]) == 2
    assert "page=2" in body["next"]
    last = client.get(ORGS, {"page_size": 2, "page": 3}).json()
    assert len(last["results"]) == 1 and last["next"] is None
    response = client.get(ORGS, {"page": 99})
    assert response.status_code == 404
    assert response.json()["detail"] == "Page non valide."


def test_retrieve_by_slug_and_unknown_or_private_is_404(world):
    client = client_for()
    response = client.get(f"{ORGS}atelier-tricot/")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Atelier Tricot Solidaire"
    assert body["commune"] == "86194" and body["department"] == "86"
    assert body["page_url"].endswith("/organisations/atelier-tricot/")
    assert "private_notes" not in body
    for slug in ("collectif-discret", "nexiste-pas"):
        response = client.get(f"{ORGS}{slug}/")
        assert response.status_code == 404
        assert response.json() == {"detail": "Non trouvé."}


def test_list_query_count_does_not_grow_with_rows(world, django_assert_max_num_queries):
    for i in range(10):
        OrganisationFactory(branch=world["branch"], slug=f"extra-{i}")
    client = client_for(world["facilitator"])
    client.get(ORGS)  # warm the token
    with django_assert_max_num_queries(10):
        assert client.get(ORGS).status_code == 200


# --- organisations: writes ---------------------------------------------------------------------------


def test_facilitator_creates_organisation(world):
    payload = {
        "kind": "association",
        "name": "Les Écrans Partagés",
        "siren": "732 829 320",
        "commune": "86194",
        "themes": ["inclusion-numerique", "bien-vieillir"],
        "branch": world["branch"].slug,
        "private_notes": "Contact via la mairie",
    }
    response = client_for(world["facilitator"]).post(ORGS, payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["slug"] == "les-ecrans-partages"
    assert body["siren"] == VALID_SIREN
    assert sorted(body["themes"]) == ["bien-vieillir", "inclusion-numerique"]
    org = Organisation.objects.get(slug="les-ecrans-partages")
    assert org.branch == world["branch"] and org.private_notes == "Contact via la mairie"
    # the same name again gets another address
    again = client_for(world["facilitator"]).post(ORGS, {**payload, "siren": ""}, format="json")
    assert again.json()["slug"] == "les-ecrans-partages-2"


def test_member_cannot_create_and_anonymous_must_authenticate(world):
    payload = {"kind": "association", "name": "Nouvelle", "branch": world["branch"].slug}
    response = client_for(world["member"]).post(ORGS, payload, format="json")
    assert response.status_code == 403
    assert "antenne" in response.json()["detail"]
    response = client_for().post(ORGS, payload, format="json")
    assert response.status_code == 401
    assert response.json()["detail"] == "Informations d'authentification non fournies."
    assert not Organisation.objects.filter(name="Nouvelle").exists()


def test_facilitator_cannot_create_in_another_branch(world):
    other = BranchRoleFactory()
    payload = {"kind": "association", "name": "Ailleurs", "branch": other.branch.slug}
    assert client_for(world["facilitator"]).post(ORGS, payload, format="json").status_code == 403
    payload["branch"] = None
    response = client_for(world["facilitator"]).post(ORGS, payload, format="json")
    assert response.status_code == 400
    assert response.json()["branch"] == ["Indiquez l'antenne de l'organisation."]


def test_member_updates_own_organisation_but_not_notes_nor_branch(world):
    client = client_for(world["member"])
    url = f"{ORGS}atelier-tricot/"
    response = client.patch(url, {"description": "Ateliers chaque mardi."}, format="json")
    assert response.status_code == 200
    assert response.json()["description"] == "Ateliers chaque mardi."
    response = client.patch(url, {"private_notes": "forgé"}, format="json")
    assert response.status_code == 403
    other_branch = BranchRoleFactory().branch
    response = client.patch(url, {"branch": other_branch.slug}, format="json")
    assert response.status_code == 403
    world["a"].refresh_from_db()
    assert world["a"].private_notes == "Rencontre prévue en mars"
    assert world["a"].branch == world["branch"]


def test_member_put_round_trip_and_staff_fields(world):
    client = client_for(world["member"])
    url = f"{ORGS}atelier-tricot/"
    body = client.get(url).json()
    body["description"] = "Nouvelle présentation"
    response = client.put(url, body, format="json")  # visibility and branch sent back unchanged
    assert response.status_code == 200, response.json()
    response = client.patch(url, {"visibility": "branch"}, format="json")
    assert response.status_code == 403
    assert "visibilité" in response.json()["detail"]
    world["a"].refresh_from_db()
    assert world["a"].visibility == "public"
    assert world["a"].description == "Nouvelle présentation"


def test_slug_is_read_only_on_update(world):
    client = client_for(world["facilitator"])
    response = client.patch(f"{ORGS}atelier-tricot/", {"slug": "autre"}, format="json")
    assert response.status_code == 200
    assert response.json()["slug"] == "atelier-tricot"


def test_facilitator_updates_notes_with_put(world):
    client = client_for(world["facilitator"])
    url = f"{ORGS}atelier-tricot/"
    body = client.get(url).json()
    body["private_notes"] = "Convention signée"
    response = client.put(url, body, format="json")
    assert response.status_code == 200, response.json()
    world["a"].refresh_from_db()
    assert world["a"].private_notes == "Convention signée"


def test_delete_is_for_branch_staff(world):
    url = f"{ORGS}atelier-tricot/"
    assert client_for(world["member"]).delete(url).status_code == 403
    assert client_for(world["facilitator"]).delete(url).status_code == 204
    assert not Organisation.objects.filter(slug="atelier-tricot").exists()


# --- needs and offers --------------------------------------------------------------------------------


def test_needs_and_offers_are_separate_endpoints(world):
    need = NeedOfferFactory(organisation=world["a"])
    offer = NeedOfferFactory(organisation=world["a"], offer=True)
    client = client_for()
    assert [row["id"] for row in client.get(NEEDS).json()["results"]] == [need.pk]
    assert [row["id"] for row in client.get(OFFERS).json()["results"]] == [offer.pk]
    assert client.get(f"{NEEDS}{offer.pk}/").status_code == 404
    assert client.get(f"{OFFERS}{offer.pk}/").json()["direction"] == "offer"


def test_need_list_query_count_does_not_grow_with_rows(world, django_assert_max_num_queries):
    for i in range(10):
        need = NeedOfferFactory(organisation=world["a"], title=f"Besoin {i}")
        need.change_status(to=NeedOfferStatus.IN_DISCUSSION, by=world["member"])
    client = client_for(world["facilitator"])
    client.get(NEEDS)
    with django_assert_max_num_queries(10):
        rows = client.get(NEEDS).json()["results"]
    assert len(rows) == 10 and all(len(row["history"]) == 1 for row in rows)


def test_need_filters(world):
    a_need = NeedOfferFactory(organisation=world["a"], type="materiel")
    other = NeedOfferFactory(type="benevolat", title="Bénévoles pour des visites")
    client = client_for()

    def ids(**params):
        response = client.get(NEEDS, params)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids(type="benevolat") == {other.pk}
    assert ids(organisation="atelier-tricot") == {a_need.pk}
    assert ids(organisation=str(other.organisation_id)) == {other.pk}
    assert ids(q="visites") == {other.pk}
    assert ids(status="open") == {a_need.pk, other.pk}
    response = client.get(NEEDS, {"type": "licorne"})
    assert response.status_code == 400
    assert "licorne" in json.dumps(response.json(), ensure_ascii=False)
    assert "choix valide" in json.dumps(response.json(), ensure_ascii=False)


def test_member_creates_need_by_slug_or_id(world):
    client = client_for(world["member"])
    payload = {
        "organisation": "atelier-tricot",
        "type": "materiel",
        "title": "Laine",
        "theme": "bien-vieillir",
    }
    response = client.post(NEEDS, payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["direction"] == "need" and body["status"] == "open"
    assert body["organisation"] == "atelier-tricot"
    response = client.post(
        OFFERS, {**payload, "organisation": world["a"].pk, "title": "Salle"}, format="json"
    )
    assert response.status_code == 201
    assert NeedOffer.objects.get(title="Salle").direction == "offer"


def test_forged_organisation_on_need_create(world):
    client = client_for(world["member"])
    payload = {"type": "materiel", "title": "Forgé"}
    # private organisation of the same branch: not visible to the member -> 404
    assert (
        client.post(NEEDS, {**payload, "organisation": world["private"].pk}, format="json").status_code == 404
    )
    # public organisation the member does not belong to -> 403
    public_other = OrganisationFactory(branch=world["branch"])
    assert (
        client.post(NEEDS, {**payload, "organisation": public_other.slug}, format="json").status_code == 403
    )
    assert client.post(NEEDS, {**payload, "organisation": 99999999}, format="json").status_code == 404
    assert client.post(NEEDS, {**payload, "organisation": 10**30}, format="json").status_code == 404
    for bad in ({"id": 1}, [1], True, "", None):
        response = client.post(NEEDS, {**payload, "organisation": bad}, format="json")
        assert response.status_code == 400, bad
    assert not NeedOffer.objects.filter(title="Forgé").exists()


def test_need_cannot_move_to_another_organisation(world):
    need = NeedOfferFactory(organisation=world["a"])
    other = MembershipFactory(user=world["member"]).organisation
    response = client_for(world["member"]).patch(
        f"{NEEDS}{need.pk}/", {"organisation": other.slug}, format="json"
    )
    assert response.status_code == 400
    need.refresh_from_db()
    assert need.organisation == world["a"]


def test_status_change_goes_through_history(world):
    need = NeedOfferFactory(organisation=world["a"])
    client = client_for(world["member"])
    url = f"{NEEDS}{need.pk}/"
    response = client.patch(
        url, {"status": "in_discussion", "status_note": "Appel avec Orange"}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "in_discussion"
    assert body["history"] == [
        {
            "from_state": "open",
            "to_state": "in_discussion",
            "at": body["history"][0]["at"],
            "note": "Appel avec Orange",
        }
    ]
    assert need.history.get().by == world["member"]
    # history is not public
    assert client_for().get(url).json()["history"] == []
    response = client.patch(url, {"status": "fulfilled"}, format="json")
    assert response.status_code == 200
    response = client.patch(url, {"status": "withdrawn"}, format="json")
    assert response.status_code == 400
    assert "Statuts possibles : « Ouvert »" in response.json()["status"][0]
    need.refresh_from_db()
    assert need.status == NeedOfferStatus.FULFILLED
    assert need.history.count() == 2


def test_status_on_create_must_be_open(world):
    payload = {"organisation": "atelier-tricot", "type": "materiel", "title": "Laine", "status": "fulfilled"}
    response = client_for(world["member"]).post(NEEDS, payload, format="json")
    assert response.status_code == 400
    assert "Ouvert" in response.json()["status"][0]


# --- bad payloads -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "field", "message_part"),
    [
        ({"title": ["une", "liste"]}, "title", "Chaîne de caractère invalide"),
        ({"quantity": "beaucoup"}, "quantity", "nombre entier valide"),
        ({"quantity": 10**30}, "quantity", "inférieure ou égale"),
        ({"quantity": -3}, "quantity", "supérieure ou égale"),
        ({"type": "licorne"}, "type", "n'est pas un choix valide"),
        ({"scope": "galaxie"}, "scope", "n'est pas un choix valide"),
        ({"theme": "astrologie"}, "theme", "Code inconnu"),
        ({"title": "x" * 201}, "title", "au plus 200"),
        ({"description": "x" * 10_001}, "description", "au plus 10000"),
        ({"estimated_value": "12345678901234"}, "estimated_value", "chiffres"),
        ({"starts_on": "2025-13-45"}, "starts_on", "date"),
        ({"starts_on": "2025-06-01", "ends_on": "2025-01-01"}, "ends_on", "précède"),
        ({"title": ""}, "title", "ne peut être vide"),
    ],
)
def test_bad_need_payloads_answer_400_in_french(world, payload, field, message_part):
    base = {"organisation": "atelier-tricot", "type": "materiel", "title": "Laine"}
    response = client_for(world["member"]).post(NEEDS, {**base, **payload}, format="json")
    assert response.status_code == 400, response.content
    messages = " ".join(str(m) for m in response.json()[field])
    assert message_part in messages.replace("\xa0", " "), messages
    assert not NeedOffer.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field", "message_part"),
    [
        ({"siren": "123456789"}, "siren", "Numéro SIREN invalide"),
        ({"siret": "1234"}, "siret", "Numéro SIRET invalide"),
        ({"rna": "X123"}, "rna", "Numéro RNA invalide"),
        ({"kind": "secte"}, "kind", "n'est pas un choix valide"),
        ({"workforce_band": "99"}, "workforce_band", "n'est pas un choix valide"),
        ({"commune": "99999"}, "commune", "Code inconnu"),
        ({"themes": "bien-vieillir"}, "themes", "liste"),
        ({"website": "pas une adresse"}, "website", "URL valide"),
        ({"email": "pas-un-courriel"}, "email", "adresse e-mail valide"),
        ({"name": "x" * 300}, "name", "au plus 255"),
        ({"legal_category": "ABCD"}, "legal_category", "4 chiffres"),
        ({"host_type": "ehpad"}, "host_type", "structures d'accueil"),
        ({"visibility": "secret"}, "visibility", "n'est pas un choix valide"),
    ],
)
def test_bad_organisation_payloads_answer_400_in_french(world, payload, field, message_part):
    response = client_for(world["facilitator"]).patch(f"{ORGS}atelier-tricot/", payload, format="json")
    assert response.status_code == 400, response.content
    messages = " ".join(str(m) for m in response.json()[field])
    assert message_part in messages.replace("\xa0", " "), messages


@pytest.mark.parametrize(
    "body", [b"{not json", b'{"title": "Laine",}', b"\xff\xfe", b'{"quantity": NaN}', b"[1, 2]", b'"texte"']
)
def test_malformed_json_answers_400(world, body):
    response = client_for(world["member"]).generic("POST", NEEDS, body, content_type="application/json")
    assert response.status_code == 400
    detail = json.dumps(response.json(), ensure_ascii=False)
    assert "JSON valide" in detail or "Donnée non valide" in detail or "dictionnaire" in detail


@pytest.mark.parametrize(
    "url",
    [
        "/api/needs/99999999999999999999999/",
        "/api/needs/abc/",
        "/api/needs/?organisation=99999999999999999999999",
        "/api/needs/?q=%00",
        "/api/organisations/?q=a%00b&kind=%00&department=%00&branch=%00&theme=%00&type=%00",
        "/api/organisations/?q=%27%22%29%28*%26%7C%21%3A",
        "/api/organisations/?q=" + "a" * 5000,
        "/api/communes/?q=" + "a" * 5000,
        "/api/organisations/?page_size=-1&page=abc",
    ],
)
def test_hostile_query_strings_never_answer_500(world, url):
    response = client_for().get(url)
    assert response.status_code in (200, 400, 404)
    assert response["Content-Type"].startswith("application/json")


def test_nul_characters_in_payload_answer_400(world):
    client = client_for(world["member"])
    for payload in (
        {"organisation": "atelier-tricot", "type": "materiel", "title": "a\u0000b"},
        {"organisation": "atelier\u0000tricot", "type": "materiel", "title": "ab"},
    ):
        response = client.post(NEEDS, payload, format="json")
        assert response.status_code == 400, response.content


def test_oversized_body_answers_413(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"organisation": "atelier-tricot", "type": "materiel", "title": "x" * 2000})
    response = client_for(world["member"]).generic("POST", NEEDS, body, content_type="application/json")
    assert response.status_code == 413
    assert "trop volumineuse" in response.json()["detail"]


def test_unsupported_media_type_and_method(world):
    client = client_for(world["member"])
    response = client.generic("POST", NEEDS, b"<xml/>", content_type="application/xml")
    assert response.status_code == 415
    assert "non supporté" in response.json()["detail"]
    response = client.delete(f"{NEEDS}{NeedOfferFactory(organisation=world['a']).pk}/")
    assert response.status_code == 405
    assert "non autorisée" in response.json()["detail"]


def test_exception_handler_turns_model_and_database_errors_into_400():
    response = exception_handler(IntegrityError("duplicate key"), {})
    assert response.status_code == 400
    assert "contrainte" in response.data["detail"]
    response = exception_handler(DjangoValidationError({"siren": ["Numéro SIREN invalide."]}), {})
    assert response.status_code == 400
    assert response.data["detail"] == "Numéro SIREN invalide."
    response = exception_handler(ServiceError("Impossible de passer du statut « Ouvert »."), {})
    assert response.status_code == 400 and "Impossible" in response.data["detail"]
    assert exception_handler(RuntimeError("bug"), {}) is None


# --- territories ------------------------------------------------------------------------------------


@pytest.fixture
def territory():
    poitiers = CommuneFactory()
    PostalCode.objects.create(code="86000", commune=poitiers)
    buxerolles = CommuneFactory(code="86041", name="Buxerolles", population=10000)
    PostalCode.objects.create(code="86180", commune=buxerolles)
    rochelle = CommuneFactory(
        code="17300", name="La Rochelle", department=DepartmentFactory(code="17", name="Charente-Maritime")
    )
    return poitiers, buxerolles, rochelle


def test_territories_by_insee_code(territory):
    client = client_for()
    body = client.get("/api/communes/86194/").json()
    assert body["name"] == "Poitiers" and body["department"] == "86" and body["region"] == "75"
    assert body["postal_codes"] == ["86000"]
    assert client.get("/api/departments/86/").json() == {"code": "86", "name": "Vienne", "region": "75"}
    assert client.get("/api/regions/75/").json()["name"] == "Nouvelle-Aquitaine"
    assert client.get("/api/communes/99999/").status_code == 404
    assert client.get("/api/departments/", {"region": "75"}).json()["count"] == 2


def test_commune_search(territory):
    client = client_for()

    def codes(**params):
        response = client.get("/api/communes/", params)
        assert response.status_code == 200
        return [row["code"] for row in response.json()["results"]]

    assert codes(q="poitiers") == ["86194"]
    assert codes(q="86180") == ["86041"]
    assert codes(q="86194") == ["86194"]
    assert codes(q="rochelle") == ["17300"]
    assert codes(department="17") == ["17300"]
    assert codes(q="poitiers", department="17") == []
    response = client.get("/api/communes/", {"department": "00"})
    assert response.status_code == 400
    assert "choix valide" in json.dumps(response.json(), ensure_ascii=False)


# --- tokens ------------------------------------------------------------------------------------------


def test_token_page_requires_login(client):
    response = client.get(reverse("api-token"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_token_page_create_use_regenerate_revoke(client):
    user = UserFactory()
    client.force_login(user)
    url = reverse("api-token")
    page = client.get(url).content.decode()
    assert "Créer un jeton" in page and "Aucun jeton actif" in page

    page = client.post(url, {"action": "create"}).content.decode()
    key = Token.objects.get(user=user).key
    assert key in page and "Copiez-le maintenant" in page
    assert key not in client.get(url).content.decode()  # shown once only
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(ORGS).status_code == 200

    client.post(url, {"action": "regenerate"})
    new_key = Token.objects.get(user=user).key
    assert new_key != key
    assert api.get(ORGS).status_code == 401  # the old key is dead

    response = client.post(url, {"action": "revoke"})
    assert response.status_code == 302
    assert not Token.objects.filter(user=user).exists()
    assert client.post(url, {"action": "n'importe quoi"}).status_code == 302


def test_token_page_post_needs_csrf():
    from django.test import Client

    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(reverse("api-token"), {"action": "create"}).status_code == 403
    assert not Token.objects.filter(user=user).exists()


def test_invalid_token_answers_401_in_french():
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token faux")
    response = api.get(ORGS)
    assert response.status_code == 401
    assert response.json()["detail"] == "Token non valide."


def test_inactive_user_token_is_refused():
    user = UserFactory(is_active=False)
    response = client_for(user).get(ORGS)
    assert response.status_code == 401


def test_create_api_token_command():
    user = UserFactory(email="anim@example.org")
    out = io.StringIO()
    call_command("create-api-token", "ANIM@example.org", stdout=out, stderr=io.StringIO())
    key = out.getvalue().strip()
    assert key == Token.objects.get(user=user).key
    out = io.StringIO()
    call_command("create-api-token", "anim@example.org", stdout=out)
    assert out.getvalue().strip() == key
    out = io.StringIO()
    call_command("create-api-token", "anim@example.org", "--regenerate", stdout=out, stderr=io.StringIO())
    assert out.getvalue().strip() not in ("", key)
    with pytest.raises(CommandError, match="Aucun compte"):
        call_command("create-api-token", "personne@example.org")


# --- OpenAPI ----------------------------------------------------------------------------------------


def test_schema_generates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = target.read_text()
    for path in ("/api/organisations/{slug}/", "/api/needs/", "/api/offers/", "/api/communes/{code}/"):
        assert path in schema
    assert "tokenAuth" in schema


def test_schema_and_docs_are_served_without_inline_scripts(client):
    assert client.get("/api/schema/").status_code == 200
    page = client.get("/api/docs/").content.decode()
    assert "swagger-ui-bundle.js" in page
    assert "<script>" not in page
    assert "cdn.jsdelivr" not in page
    assert client.get("/api/docs/?script=").status_code == 200


# --- issue 9, finding 8: errors are JSON and the OpenAPI document tells them --------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/n-existe-pas/"),
        ("get", "/api/regions/abc/"),
        ("get", "/api/organisations/%C3%A9t%C3%A9%0A/"),
        ("put", "/api/organisations/%C3%A9t%C3%A9/"),
        ("delete", "/api/organisations/%F1%B3%BD%B8%C2%80H%C2%A0/"),
    ],
)
def test_unknown_api_addresses_answer_json_404(world, method, url):
    response = getattr(client_for(world["facilitator"]), method)(url)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/organisations/?page_size=0", "page_size"),
        ("/api/organisations/?page_size=500", "page_size"),
        ("/api/needs/?page=abc", "page"),
        ("/api/organisations/?kind=galaxie", "kind"),
        ("/api/organisations/?department=%2A%2A", "department"),
        ("/api/needs/?theme=theme-inconnu", "theme"),
        ("/api/offers/?department=paris", "department"),
    ],
)
def test_invalid_query_values_answer_400_in_french(world, url, field):
    response = client_for(world["facilitator"]).get(url)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_well_formed_codes_without_rows_match_nothing(world):
    response = client_for(world["facilitator"]).get("/api/needs/?department=2A&branch=nulle-part")
    assert response.status_code == 200 and response.json()["count"] == 0


def test_text_fields_refuse_numbers_and_control_characters(world):
    client = client_for(world["member"])
    for payload in (
        {"organisation": "atelier-tricot", "type": "materiel", "title": 12},
        {"organisation": "atelier-tricot", "type": "materiel", "title": "ok", "status_note": 1.5},
        {"organisation": "atelier-tricot", "type": "materiel", "title": "\x1a\x1c\x1c"},
        {"organisation": "atelier-tricot", "type": "materiel", "title": "ok", "estimated_value": "-5"},
        {"organisation": "atelier-tricot", "type": "materiel", "title": "ok", "starts_on": "0001-01-01"},
        {"organisation": "atelier-tricot", "type": "materiel", "title": "ok", "status": "fulfilled"},
    ):
        response = client.post(NEEDS, payload, format="json")
        assert response.status_code == 400, (payload, response.content)
    assert not NeedOffer.objects.filter(organisation=world["a"], title="ok").exists()


def test_openapi_document_tells_errors_and_required_fields(client):
    document = client.get("/api/schema/", {"format": "json"}).json()
    schemas = document["components"]["schemas"]
    assert {"organisation", "title", "type"} <= set(schemas["NeedOfferCreate"]["required"])
    assert "branch" in schemas["OrganisationCreate"]["required"]
    assert "null" not in json.dumps(schemas["OrganisationCreate"]["properties"]["branch"])
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"400", "401", "404"} <= codes, (method, path)
            if method in ("post", "put", "patch", "delete"):
                assert "403" in codes, (method, path)
            for code in ("400", "401", "404"):
                assert "application/json" in operation["responses"][code]["content"], (method, path, code)
    page_size = next(
        p for p in document["paths"]["/api/needs/"]["get"]["parameters"] if p["name"] == "page_size"
    )
    assert page_size["schema"]["maximum"] == 200
