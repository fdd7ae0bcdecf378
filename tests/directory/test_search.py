"""French full-text search of the directory and the search page (run on SQLite and on PostgreSQL)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from terreau.core.access import actor_for
from terreau.core.models import Visibility
from terreau.directory import queries
from terreau.directory.models import NeedOffer, NeedOfferStatus, Organisation, OrganisationKind, Theme
from terreau.directory.queries import (
    DirectoryPaginator,
    DirectoryParams,
    directory_page,
    directory_queryset,
    filter_choices,
)
from terreau.directory.search import SearchTerms, build_document, reindex_organisations, stems
from tests.factories import (
    BranchFactory,
    BranchRoleFactory,
    CommuneFactory,
    DepartmentFactory,
    MembershipFactory,
    NeedOfferFactory,
    NetworkRoleFactory,
    OrganisationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def names(q: str = "", user=None, **filters) -> list[str]:
    params = DirectoryParams.from_query({"q": q, **filters})
    return [org.name for org in directory_queryset(user=user, params=params)]


# --- text analysis (pure Python) -------------------------------------------------------------------


def test_stems_fold_accents_plurals_and_word_forms():
    assert stems("Tablettes") == stems("tablette")
    assert stems("âgées") == stems("agees") == stems("âgé")
    assert stems("numériques") == stems("Numérique")
    assert stems("ateliers") == stems("atelier")
    assert stems("pour des personnes") == stems("personne")  # stop words dropped


def test_document_holds_each_stem_once_per_weight():
    doc = build_document(a="Tablettes et tablette", b="Tablettes", c="Des ateliers")
    assert doc == " a:tablet b:tablet c:ateli "


def test_last_word_is_a_prefix_while_typing():
    assert SearchTerms.parse("ateliers tabl") == SearchTerms(words=("ateliers", "tabl"), prefix=True)
    assert SearchTerms.parse("ateliers tabl ").prefix is False
    assert SearchTerms.parse("de la").words == ()
    assert SearchTerms.parse("x' OR 1=1 --; &|!:*").tsquery() == "or"


# --- search on the database ------------------------------------------------------------------------


@pytest.fixture
def silver_geek():
    """A small territory with words in several forms and places."""
    seniors = OrganisationFactory(
        name="Résidence Les Âgées Heureuses",
        kind=OrganisationKind.HOST_STRUCTURE,
        description="Lieu de vie pour personnes âgées.",
    )
    NeedOfferFactory(organisation=seniors, title="Tablettes pour des ateliers numériques", description="")
    solidatech = OrganisationFactory(
        name="Solidatech",
        kind=OrganisationKind.COMPANY,
        description="Programme de solidarité numérique.",
    )
    NeedOfferFactory(
        organisation=solidatech, offer=True, title="Dons de tablette reconditionnée", description=""
    )
    club = OrganisationFactory(name="Club tablette et numérique", description="Échanges entre voisins.")
    sport = OrganisationFactory(name="Union sportive", description="Football pour les jeunes.")
    return {"seniors": seniors, "solidatech": solidatech, "club": club, "sport": sport}


def test_accents_plurals_and_word_forms_are_found(silver_geek):
    assert "Résidence Les Âgées Heureuses" in names("agees")
    assert "Résidence Les Âgées Heureuses" in names("âgée")
    assert set(names("tablette")) == {
        "Résidence Les Âgées Heureuses",
        "Solidatech",
        "Club tablette et numérique",
    }
    assert set(names("tablettes ")) == set(names("TABLETTE "))
    assert "Solidatech" in names("numériques")
    assert "Union sportive" not in names("numérique")


def test_all_words_must_match(silver_geek):
    assert names("tablettes football") == []
    assert names("football jeunes") == ["Union sportive"]


def test_name_ranks_above_needs_and_offers_above_description(silver_geek):
    # "tablette": in the club's name (A), in needs/offers titles of the others (B).
    assert names("tablette")[0] == "Club tablette et numérique"
    # "numérique": club name (A) > residence need title (B) > Solidatech description (C).
    assert names("numérique ") == [
        "Club tablette et numérique",
        "Résidence Les Âgées Heureuses",
        "Solidatech",
    ]


def test_prefix_of_the_last_word_finds_results_while_typing(silver_geek):
    assert "Solidatech" in names("solida")
    assert "Union sportive" in names("foot")
    assert names("foot ") == []  # a finished word is not a prefix


def test_empty_or_meaningless_query_lists_everything_by_name(silver_geek):
    everything = names()
    assert everything == sorted(everything)
    assert names("  de la   ") == everything
    assert len(everything) == 4


def test_private_and_closed_needs_do_not_make_an_organisation_findable():
    org = OrganisationFactory(name="Foyer rural")
    NeedOfferFactory(organisation=org, private=True, title="Photocopieuse confidentielle")
    NeedOfferFactory(organisation=org, title="Vélos électriques", status=NeedOfferStatus.FULFILLED)
    assert names("photocopieuse") == []
    assert names("vélos") == []
    assert "b:photocopi" not in Organisation.objects.get(pk=org.pk).search_document


def test_private_organisations_are_found_only_by_those_who_may_see_them():
    role = BranchRoleFactory()
    OrganisationFactory(name="Collectif discret", private=True, branch=role.branch)
    OrganisationFactory(name="Collectif ouvert")
    assert names("collectif") == ["Collectif ouvert"]
    assert names("collectif", user=UserFactory()) == ["Collectif ouvert"]
    assert names("collectif", user=role.user) == ["Collectif discret", "Collectif ouvert"]


# --- private needs and offers: found by those who may see them, and by nobody else -----------------


@pytest.fixture
def foyer():
    """An organisation of a branch with a private need whose words appear nowhere else, and the people
    who may (or may not) see that need."""
    branch = BranchFactory()
    org = OrganisationFactory(name="Foyer rural", branch=branch, description="Animations du village.")
    need = NeedOfferFactory(
        organisation=org,
        private=True,
        title="Photocopieuse confidentielle",
        description="Pour imprimer les bulletins des adhérents.",
    )
    other_branch = BranchFactory()  # another network too (BranchFactory makes one per branch)
    return {
        "org": org,
        "need": need,
        "facilitator": BranchRoleFactory(branch=branch).user,
        "member": MembershipFactory(organisation=org).user,
        "network_admin": NetworkRoleFactory(network=branch.network).user,
        "superuser": UserFactory(is_superuser=True),
        "other_facilitator": BranchRoleFactory(branch=other_branch).user,
        "other_network_admin": NetworkRoleFactory(network=other_branch.network).user,
        "other_member": MembershipFactory(organisation=OrganisationFactory(branch=branch)).user,
        "signed_in": UserFactory(),
    }


SEES_PRIVATE_NEED = ("facilitator", "member", "network_admin", "superuser")
DOES_NOT = ("other_facilitator", "other_network_admin", "other_member", "signed_in")


def test_a_private_need_finds_nothing_for_those_who_may_not_see_it(foyer):
    for q in ("photocopieuse", "photocop", "bulletins adhérents", "confidentielle photocopieuse "):
        assert names(q) == [], q  # anonymous
        for who in DOES_NOT:
            assert names(q, user=foyer[who]) == [], (q, who)
    # Nor through the API, the export or the map, which share directory_queryset.
    assert (
        directory_page(
            user=foyer["other_facilitator"], params=DirectoryParams(q="photocopieuse"), number=1, per_page=20
        ).paginator.count
        == 0
    )


def test_a_private_need_finds_its_organisation_for_its_branch_staff_and_members(foyer):
    for who in SEES_PRIVATE_NEED:
        assert names("photocopieuse", user=foyer[who]) == ["Foyer rural"], who
        assert names("photocop", user=foyer[who]) == ["Foyer rural"], who  # typing: prefix
        assert names("bulletins adhérents", user=foyer[who]) == ["Foyer rural"], who  # its description
        page = directory_page(
            user=foyer[who], params=DirectoryParams(q="photocopieuse"), number=1, per_page=20
        )
        assert [o.name for o in page.object_list] == ["Foyer rural"] and page.paginator.count == 1
    assert names("photocopieuse vélos", user=foyer["facilitator"]) == []  # every word must match
    # Its other words still find it the public way, for everybody.
    assert names("animations") == names("animations", user=foyer["facilitator"]) == ["Foyer rural"]


def test_closed_or_other_branches_private_needs_find_nothing_even_for_staff(foyer):
    need = foyer["need"]
    need.change_status(to=NeedOfferStatus.FULFILLED)
    assert names("photocopieuse", user=foyer["facilitator"]) == []
    need.change_status(to=NeedOfferStatus.OPEN)
    assert names("photocopieuse", user=foyer["facilitator"]) == ["Foyer rural"]
    # The organisation moves to another branch: its former branch's staff no longer find it.
    org = foyer["org"]
    org.branch = BranchFactory()
    org.save()
    assert names("photocopieuse", user=foyer["facilitator"]) == []
    assert names("photocopieuse", user=foyer["member"]) == ["Foyer rural"]


def test_a_private_organisation_is_found_through_its_private_need_by_its_branch_only():
    role = BranchRoleFactory()
    org = OrganisationFactory(name="Collectif discret", private=True, branch=role.branch)
    NeedOfferFactory(organisation=org, private=True, title="Camionnette frigorifique")
    assert names("camionnette") == []
    assert names("camionnette", user=BranchRoleFactory().user) == []
    assert names("camionnette", user=role.user) == ["Collectif discret"]


def test_private_need_index_follows_saves_moves_and_deletes(foyer):
    facilitator, need = foyer["facilitator"], foyer["need"]
    need.title = "Massicot confidentiel"
    need.save()
    assert names("massicot", user=facilitator) == ["Foyer rural"]
    assert names("photocopieuse", user=facilitator) == []
    # Made public: now in the organisation's own index, found by everybody.
    need.visibility = Visibility.PUBLIC
    need.save(update_fields=["visibility", "updated_at"])
    assert names("massicot") == ["Foyer rural"]
    need.visibility = Visibility.BRANCH
    need.save()
    assert names("massicot") == []
    # Moved to an organisation of another branch: found there, by that branch's staff only.
    elsewhere = OrganisationFactory(name="Maison pour tous")
    need.organisation = elsewhere
    need.save(update_fields=["organisation", "updated_at"])
    assert names("massicot", user=facilitator) == []
    assert names("massicot", user=BranchRoleFactory(branch=elsewhere.branch).user) == ["Maison pour tous"]
    need.delete()
    assert names("massicot", user=UserFactory(is_superuser=True)) == []


def test_only_private_active_needs_get_their_own_index(foyer):
    public = NeedOfferFactory(organisation=foyer["org"], title="Vélos cargos")
    closed = NeedOfferFactory(
        organisation=foyer["org"], private=True, title="Remorque", status=NeedOfferStatus.WITHDRAWN
    )
    documents = dict(NeedOffer.objects.values_list("pk", "search_document"))
    vectors = dict(NeedOffer.objects.values_list("pk", "search_vector"))
    assert documents[public.pk] == documents[closed.pk] == ""
    assert vectors[public.pk] is None and vectors[closed.pk] is None
    if connection.vendor == "postgresql":
        assert documents[foyer["need"].pk] == ""
        assert "'photocopi':1B" in str(vectors[foyer["need"].pk])
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'directory_needoffer_search_gin'"
            )
            assert "WHERE (search_vector IS NOT NULL)" in cursor.fetchone()[0]
    else:
        assert documents[foyer["need"].pk] == build_document(
            b="Photocopieuse confidentielle", c="Pour imprimer les bulletins des adhérents."
        )


def test_private_matches_rank_like_a_need_title(foyer):
    facilitator = foyer["facilitator"]
    NeedOfferFactory(organisation=foyer["org"], private=True, title="Numérique", description="")
    OrganisationFactory(name="Espace numérique", branch=foyer["org"].branch)  # name: A
    OrganisationFactory(name="Médiathèque", description="Ateliers numériques.")  # description: C
    assert names("numérique ", user=facilitator) == ["Espace numérique", "Foyer rural", "Médiathèque"]
    assert names("numérique ") == ["Espace numérique", "Médiathèque"]


def test_private_needs_written_in_bulk_are_indexed_by_reindex_organisations(foyer):
    NeedOffer.objects.bulk_create(
        [
            NeedOffer(
                organisation=foyer["org"],
                direction="need",
                type="materiel",
                title="Plastifieuse",
                visibility=Visibility.BRANCH,
            )
        ]
    )
    assert names("plastifieuse", user=foyer["facilitator"]) == []
    reindex_organisations([foyer["org"].pk])
    assert names("plastifieuse", user=foyer["facilitator"]) == ["Foyer rural"]
    NeedOffer.objects.filter(title="Plastifieuse").update(status=NeedOfferStatus.WITHDRAWN)
    reindex_organisations([foyer["org"].pk])
    assert names("plastifieuse", user=foyer["facilitator"]) == []


def test_the_migration_indexes_existing_private_needs_as_reindex_organisations_does(foyer):
    NeedOfferFactory(organisation=foyer["org"], private=True, title="Tables pliantes", description="")
    NeedOfferFactory(organisation=foyer["org"], title="Chaises")

    def index():
        return {
            pk: (document, str(vector) if vector is not None else None)
            for pk, document, vector in NeedOffer.objects.values_list(
                "pk", "search_document", "search_vector"
            )
        }

    expected = index()
    NeedOffer.objects.update(search_document="", search_vector=None)
    migration = importlib.import_module("terreau.directory.migrations.0008_needoffer_search")
    # Not entered: SQLite's editor refuses to open inside the test's transaction (the step runs no DDL
    # there); PostgreSQL's runs its statements without it.
    migration.index_private_needs(apps, connection.schema_editor())
    assert index() == expected


def test_index_follows_saves_deletes_and_theme_changes():
    org = OrganisationFactory(name="Maison des associations")
    assert names("vélo") == []
    need = NeedOfferFactory(organisation=org, title="Vélos cargos")
    assert names("vélo") == ["Maison des associations"]
    need.change_status(to=NeedOfferStatus.WITHDRAWN)
    assert names("vélo") == []
    need.change_status(to=NeedOfferStatus.OPEN)
    need.delete()
    assert names("vélo") == []
    org.name = "Maison du vélo"
    org.save()
    assert names("vélo") == ["Maison du vélo"]
    org.themes.add(Theme.objects.get(code="environnement"))
    assert names("environnement") == ["Maison du vélo"]
    org.themes.clear()
    assert names("environnement") == []
    theme = Theme.objects.get(code="culture")
    theme.organisations.add(org)
    assert names("culture") == ["Maison du vélo"]
    theme.organisations.clear()
    assert names("culture") == []


@pytest.mark.parametrize("update_fields", [None, ["organisation", "updated_at"]])
def test_a_need_moved_to_another_organisation_leaves_the_old_one(update_fields):
    first = OrganisationFactory(name="Ressourcerie du Clain")
    second = OrganisationFactory(name="Atelier vélo solidaire")
    need = NeedOfferFactory(organisation=first, title="Remorques pour vélos cargos")
    assert names("remorques") == ["Ressourcerie du Clain"]
    need = NeedOffer.objects.get(pk=need.pk)
    need.organisation = second
    need.save(update_fields=update_fields)
    assert names("remorques") == ["Atelier vélo solidaire"]
    assert "remorqu" not in Organisation.objects.get(pk=first.pk).search_document
    # A save that does not move it keeps it where it is.
    need.title = "Remorques et sacoches pour vélos cargos"
    need.save()
    assert names("sacoches") == ["Atelier vélo solidaire"]


def test_bulk_writes_are_indexed_by_reindex_organisations():
    branch = BranchFactory()
    Organisation.objects.bulk_create(
        [
            Organisation(kind="association", name=f"Jardin partagé {i}", slug=f"jardin-{i}", branch=branch)
            for i in range(3)
        ]
    )
    assert names("jardins") == []
    reindex_organisations(Organisation.objects.values_list("pk", flat=True))
    assert names("jardins") == ["Jardin partagé 0", "Jardin partagé 1", "Jardin partagé 2"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL search vector")
def test_postgresql_uses_a_weighted_french_unaccent_vector(silver_geek):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_vector::text FROM directory_organisation WHERE id = %s", [silver_geek["club"].pk]
        )
        vector = cursor.fetchone()[0]
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'directory_organisation_search_gin'"
        )
        assert "gin" in cursor.fetchone()[0]
    assert "'tablet':2A" in vector and "'numer':4A" in vector


# --- filters ---------------------------------------------------------------------------------------


@pytest.fixture
def territory():
    charente = CommuneFactory(
        code="16015", name="Angoulême", department=DepartmentFactory(code="16", name="Charente")
    )
    alsace = BranchFactory(slug="alsace")
    ehpad = OrganisationFactory(name="EHPAD du Parc", kind=OrganisationKind.HOST_STRUCTURE, commune=charente)
    ehpad.themes.add(Theme.objects.get(code="bien-vieillir"))
    orange = OrganisationFactory(name="Orange", kind=OrganisationKind.COMPANY, branch=alsace)
    NeedOfferFactory(organisation=orange, offer=True, type="competences", theme_id="inclusion-numerique")
    NeedOfferFactory(
        organisation=OrganisationFactory(name="Unis-Cité"),
        type="benevolat",
        title="Volontaires en service civique",
    )
    return {"alsace": alsace}


def test_filters(territory):
    assert names(kind="host_structure") == ["EHPAD du Parc"]
    assert names(kind=["company", "host_structure"]) == ["EHPAD du Parc", "Orange"]
    assert names(department="16") == ["EHPAD du Parc"]
    assert names(branch="alsace") == ["Orange"]
    assert names(theme="bien-vieillir") == ["EHPAD du Parc"]  # organisation theme
    assert names(theme="inclusion-numerique") == ["Orange"]  # theme of an offer
    assert names(type="competences") == ["Orange"]
    assert names(direction="offer") == ["Orange"]
    assert names(direction="need") == ["Unis-Cité"]
    assert names(direction="offer", type="benevolat") == []
    assert names("volontaires", direction="need") == ["Unis-Cité"]


def test_filters_ignore_private_needs_of_other_branches(territory):
    NeedOfferFactory(private=True, type="locaux", organisation__name="Théâtre")
    assert names(type="locaux") == []


def test_unknown_codes_are_ignored():
    params = DirectoryParams.from_query(
        {
            "kind": ["nope", "company"],
            "theme": "x",
            "type": "<b>",
            "direction": "up",
            "department": ["2a", "999", "ab"],
            "branch": "../x",
            "q": " a\x00b  ",
        }
    )
    assert params == DirectoryParams(q="a b ", kinds=("company",), departments=("2A",))
    assert params.to_query() == "q=a+b+&kind=company&department=2A"


# --- the page --------------------------------------------------------------------------------------


def test_search_page_lists_filters_and_results(client, silver_geek):
    silver_geek["club"].is_demo = True
    silver_geek["club"].save()
    response = client.get(reverse("directory:search"), {"q": "tablettes", "kind": "association"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Club tablette et numérique" in html
    assert "Solidatech" not in html  # a company
    assert "1 structure trouvée" in html
    assert 'class="demo-badge"' in html
    assert 'name="department"' in html and "Vienne (86)" in html
    assert "/export.csv?q=tablettes&amp;kind=association" in html
    assert 'hx-trigger="input changed delay:300ms, search, submit"' in html


def test_htmx_request_gets_only_the_results_and_a_clean_url(client, silver_geek):
    response = client.get(
        reverse("directory:search"),
        {"q": "tablette", "kind": "", "department": ""},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert "<h1" not in html and "Solidatech" in html
    assert 'hx-swap-oob="innerHTML:#result-count"' in html
    assert response["HX-Push-Url"] == "/?q=tablette"
    assert "HX-Request" in response["Vary"]


def test_pagination_keeps_filters(client):
    for i in range(25):
        OrganisationFactory(name=f"Atelier vélo {i:02d}")
    OrganisationFactory(name="Autre chose", kind=OrganisationKind.COMPANY)
    response = client.get(reverse("directory:search"), {"kind": "association", "page": "2"})
    html = response.content.decode()
    assert "25 structures trouvées" in html
    assert "Atelier vélo 24" in html and "Atelier vélo 00" not in html
    assert "?kind=association&amp;page=1" in html
    assert client.get(reverse("directory:search"), {"page": "abc"}).status_code == 200
    assert client.get(reverse("directory:search"), {"page": "999"}).status_code == 200


def test_bad_input_never_fails(client):
    for query in ({"q": "\x00' OR 1=1"}, {"q": "a" * 5000}, {"department": "💥"}, {"q": "&|!():*<>"}):
        assert client.get(reverse("directory:search"), query).status_code == 200
    for query in ({"q": "vélo", "branch": "inconnue"}, {"branch": "inconnue", "page": "3"}):
        response = client.get(reverse("directory:search"), query)
        assert response.status_code == 200 and response.context["page"].paginator.count == 0


@pytest.mark.parametrize("count", [20, 40])
def test_search_page_queries_do_not_grow_with_results(client, django_assert_num_queries, count):
    branch = BranchFactory()
    for i in range(count):
        org = OrganisationFactory(name=f"Association numérique {i}", branch=branch)
        org.themes.add("inclusion-numerique", "jeunesse")
        NeedOfferFactory(organisation=org)
        NeedOfferFactory(organisation=org, offer=True)
    filter_choices()  # cached: see test_filter_choices_are_cached_and_follow_changes
    # ids and ranks of the page with the total, the page's organisations with their counts, their themes,
    # the texts of their needs and offers (why each one matched).
    with django_assert_num_queries(4):
        response = client.get(reverse("directory:search"), {"q": "numérique"})
    assert response.context["page"].paginator.count == count
    first = response.context["page"].object_list[0]
    assert (first.open_needs, first.open_offers) == (1, 1)


@pytest.mark.parametrize("count", [20, 40])
def test_staff_search_queries_do_not_grow_with_results(django_assert_num_queries, count):
    branch = BranchFactory()
    for i in range(count):
        org = OrganisationFactory(name=f"Association {i}", branch=branch)
        org.themes.add("inclusion-numerique")
        NeedOfferFactory(organisation=org, private=True, title="Tablettes numériques")
        NeedOfferFactory(organisation=org, offer=True, title="Prêt de salle")
    actor = actor_for(BranchRoleFactory(branch=branch).user)
    params = DirectoryParams(q="tablettes")
    # ids and ranks of the page with the total, the page's organisations with their counts, their themes.
    with django_assert_num_queries(3):
        page = directory_page(user=actor, params=params, number=1, per_page=20)
        for org in page.object_list:
            list(org.themes.all())
    assert page.paginator.count == count
    assert (page.object_list[0].open_needs, page.object_list[0].open_offers) == (1, 1)


def test_counts_of_open_needs_and_offers_respect_visibility(client):
    org = OrganisationFactory(name="Centre social")
    NeedOfferFactory(organisation=org)
    NeedOfferFactory(organisation=org, private=True)
    NeedOfferFactory(organisation=org, status=NeedOfferStatus.FULFILLED)
    role = BranchRoleFactory(branch=org.branch)
    params = DirectoryParams()
    assert directory_queryset(user=None, params=params).get().open_needs == 1
    assert directory_queryset(user=role.user, params=params).get().open_needs == 2
    assert NeedOffer.objects.filter(visibility=Visibility.BRANCH).count() == 1


def test_search_pages_read_their_total_from_the_rows(client, django_assert_num_queries):
    for i in range(25):
        OrganisationFactory(name=f"Recyclerie {i:02d}")
    url = reverse("directory:search")
    response = client.get(url, {"q": "recyclerie", "page": "2"})
    page = response.context["page"]
    assert (page.paginator.count, page.number, len(page.object_list)) == (25, 2, 5)
    assert "25 structures trouvées · page 2 sur 2" in response.content.decode()
    response = client.get(url, {"q": "recyclerie", "page": "9"})  # out of range: the last page
    assert response.context["page"].number == 2
    assert client.get(url, {"q": "introuvable"}).context["page"].paginator.count == 0
    # Without a text query: COUNT, ids of the first page by name, their organisations, their themes.
    with django_assert_num_queries(4):
        response = client.get(url, {"kind": "association"})
    assert response.context["page"].paginator.count == 25


def test_totals_without_text_are_capped_text_searches_count_exactly(client, monkeypatch):
    monkeypatch.setattr(DirectoryPaginator, "count_cap", 4)
    for i in range(7):
        OrganisationFactory(name=f"Ressourcerie {i}")
    url = reverse("directory:search")
    page = directory_page(user=None, params=DirectoryParams(), number=1, per_page=2)
    assert (page.paginator.count, page.paginator.capped, page.paginator.num_pages) == (4, True, 2)
    html = client.get(url, {"kind": "association", "page": "9"}).content.decode()
    assert "Plus de 4 structures trouvées · page 1" in html  # 20 per page: page 9 is out of range
    assert "Page 1 sur" not in html
    page = directory_page(user=None, params=DirectoryParams(q="ressourcerie"), number=2, per_page=2)
    assert (page.paginator.count, page.paginator.capped, page.paginator.num_pages) == (7, False, 4)
    html = client.get(url, {"q": "ressourcerie"}).content.decode()
    assert "7 structures trouvées" in html and "Plus de" not in html


def test_text_searches_rank_at_most_rank_cap_matches(client, monkeypatch):
    """Above RANK_CAP matches a text search ranks the first RANK_CAP + 1 only, says "more than" and asks for
    a narrower search; only the first RANK_CAP can be browsed (a page past them shows the last one)."""
    monkeypatch.setattr(queries, "RANK_CAP", 4)
    for i in range(7):
        OrganisationFactory(name=f"Ressourcerie {i}")
    page = directory_page(user=None, params=DirectoryParams(q="ressourcerie"), number=1, per_page=2)
    assert (page.paginator.count, page.paginator.capped, page.paginator.num_pages) == (4, True, 2)
    assert len(page.object_list) == 2 and all(org.rank is not None for org in page.object_list)
    page = directory_page(user=None, params=DirectoryParams(q="ressourcerie"), number=9, per_page=2)
    assert (page.number, len(page.object_list), page.paginator.capped) == (2, 2, True)
    html = client.get(reverse("directory:search"), {"q": "ressourcerie"}).content.decode()
    assert "Plus de 4 structures trouvées · page 1" in html
    assert "ajoutez un mot ou un filtre" in html
    monkeypatch.setattr(queries, "RANK_CAP", 7)  # exactly at the cap: an exact total
    page = directory_page(user=None, params=DirectoryParams(q="ressourcerie"), number=1, per_page=2)
    assert (page.paginator.count, page.paginator.capped) == (7, False)


def test_pages_hold_the_rows_of_directory_queryset_in_the_same_order():
    branch = BranchFactory()
    for i in range(7):
        org = OrganisationFactory(name=f"Recyclerie {6 - i}", branch=branch, private=i == 3)
        NeedOfferFactory(organisation=org, title="Recyclerie" if i % 2 else "Vélos")
    role = BranchRoleFactory(branch=branch)
    for user in (None, role.user):
        for q in ("", "recyclerie", "recyclerie vélo"):
            params = DirectoryParams.from_query({"q": q})
            full = list(directory_queryset(user=user, params=params))
            first = directory_page(user=user, params=params, number=1, per_page=3)
            pages = [first] + [
                directory_page(user=user, params=params, number=n, per_page=3)
                for n in first.paginator.page_range[1:]
            ]
            paged = [org for page in pages for org in page.object_list]
            assert [(o.pk, o.open_needs, getattr(o, "rank", None)) for o in paged] == [
                (o.pk, o.open_needs, getattr(o, "rank", None)) for o in full
            ]
            assert pages[0].paginator.count == len(full)
    assert directory_page(user=None, params=DirectoryParams(), number="x", per_page=3).number == 1
    assert directory_page(user=None, params=DirectoryParams(), number="99", per_page=3).number == 2


def test_filter_choices_are_cached_and_follow_changes(django_assert_num_queries):
    first = filter_choices()
    with django_assert_num_queries(0):
        assert filter_choices() == first
    codes = [d.code for d in first.departments]
    assert "2A" not in codes
    OrganisationFactory(commune=CommuneFactory(code="2A004", department=DepartmentFactory(code="2A")))
    assert "2A" in [d.code for d in filter_choices().departments]
    BranchFactory(slug="corse", name="Antenne Corse")
    assert "corse" in [b.slug for b in filter_choices().branches]


def test_organisations_never_indexed_are_indexed_after_migrate():
    """A database migrated from before the search index holds organisations without a search document: the
    post_migrate handler indexes them with today's code (migration 0004 no longer runs today's indexer)."""
    from django.core.management import call_command

    from terreau.directory.signals import index_unindexed

    org = OrganisationFactory(name="Les Vergers oubliés")
    Organisation.objects.filter(pk=org.pk).update(search_document="", search_vector=None)
    assert names("vergers") == []
    call_command("migrate", verbosity=0)  # nothing to apply: post_migrate still runs
    assert names("vergers") == ["Les Vergers oubliés"]
    assert index_unindexed() == 0  # once indexed, nothing more to do
