"""The directory's filter rows (OrganisationFilter): on PostgreSQL searches with filters are answered from
them; whatever the engine, every page must hold exactly the rows of the filters applied to the organisation
rows themselves (queries._rows_filtered, the reference), in the same order, with the same totals and the
same visibility rules, and the filter rows must follow every write."""

from __future__ import annotations

import importlib
import io
import random

import pytest
from django.db import connection

from terreau.core.access import actor_for
from terreau.core.models import Visibility
from terreau.directory import queries, search
from terreau.directory.importers import import_organisations, staging
from terreau.directory.models import (
    NeedOffer,
    NeedOfferStatus,
    Organisation,
    OrganisationFilter,
    OrganisationKind,
    Theme,
)
from terreau.directory.queries import DirectoryParams, directory_page, directory_queryset
from tests.factories import (
    BranchFactory,
    BranchRoleFactory,
    CommuneFactory,
    DepartmentFactory,
    MembershipFactory,
    NeedOfferFactory,
    NetworkFactory,
    NetworkRoleFactory,
    OrganisationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the filter rows are PostgreSQL's (SQLite filters the rows)"
)

KINDS = ["association", "company", "foundation", "public_body", "host_structure"]
THEMES = ["bien-vieillir", "inclusion-numerique", "jeunesse", "culture", "sport"]
TYPES = ["materiel", "benevolat", "competences", "locaux"]
STATUSES = [NeedOfferStatus.OPEN, NeedOfferStatus.IN_DISCUSSION, NeedOfferStatus.FULFILLED, "withdrawn"]


@pytest.fixture
def world():
    """Forty organisations drawn at random (fixed seed): kinds, departments, branches of two networks,
    private ones, own themes, public and private needs and offers in every status; some share a name."""
    rng = random.Random(12)
    communes = [
        CommuneFactory(
            code="16015", name="Angoulême", department=DepartmentFactory(code="16", name="Charente")
        ),
        CommuneFactory(
            code="2A004", name="Ajaccio", department=DepartmentFactory(code="2A", name="Corse-du-Sud")
        ),
        CommuneFactory(code="86194", name="Poitiers"),
    ]
    network = NetworkFactory()
    branches = [BranchFactory(network=network, slug="nord"), BranchFactory(network=network, slug="sud")]
    branches.append(BranchFactory(network=NetworkFactory(), slug="ailleurs"))
    orgs = []
    for i in range(40):
        org = OrganisationFactory(
            name=f"Structure {rng.randint(0, 25):02d}",  # duplicates: ties ordered by id
            kind=rng.choice(KINDS),
            commune=rng.choice([*communes, None]),
            branch=rng.choice([*branches, None]),
            visibility=Visibility.BRANCH if rng.random() < 0.3 else Visibility.PUBLIC,
            description="Ateliers numériques" if i % 3 == 0 else "Une structure du territoire.",
        )
        org.themes.add(*rng.sample(THEMES, rng.randint(0, 2)))
        for _ in range(rng.randint(0, 3)):
            NeedOfferFactory(
                organisation=org,
                direction=rng.choice(["need", "offer"]),
                type=rng.choice(TYPES),
                theme_id=rng.choice([*THEMES, None]),
                status=rng.choice(STATUSES),
                visibility=Visibility.BRANCH if rng.random() < 0.4 else Visibility.PUBLIC,
                title="Tablettes" if rng.random() < 0.5 else "Salle de réunion",
            )
        orgs.append(org)
    member = MembershipFactory(organisation=next(o for o in orgs if o.visibility == Visibility.BRANCH)).user
    superuser = UserFactory(is_superuser=True)
    return {
        "orgs": orgs,
        "users": {
            "anonymous": None,
            "no role": UserFactory(),
            "member": member,
            "branch staff": BranchRoleFactory(branch=branches[0]).user,
            "network": NetworkRoleFactory(network=network).user,
            "superuser": superuser,
        },
    }


FILTERS = [
    {"kind": "association"},
    {"kind": ["company", "foundation"]},
    {"department": "16"},
    {"department": ["2A", "86"]},
    {"branch": "nord"},
    {"branch": ["sud", "ailleurs"]},
    {"branch": "inconnue"},
    {"theme": "culture"},
    {"theme": ["sport", "jeunesse"]},
    {"type": "materiel"},
    {"type": ["locaux", "benevolat"], "direction": "offer"},
    {"direction": "need"},
    {"kind": "association", "theme": "bien-vieillir", "department": "16"},
    {"branch": "nord", "type": "competences", "direction": "need", "theme": "sport"},
    {"department": "86", "direction": "offer"},
    {"q": "tablettes", "theme": "culture"},
    {"q": "tablettes", "kind": ["association", "company"], "direction": "need"},
    {"q": "ateliers", "branch": "nord"},
    {"q": "structure", "type": "materiel"},
    {"q": "de la", "kind": "company"},  # no meaningful word: the filters alone
]


def reference(user, params: DirectoryParams) -> list[int]:
    """The ids the filters select on the organisation rows, in the page's order."""
    qs, _searched = queries._rows_filtered(actor_for(user), params)
    return list(qs.values_list("pk", flat=True))


def paged(user, params: DirectoryParams, per_page: int = 4) -> tuple[list[int], int, bool]:
    first = directory_page(user=user, params=params, number=1, per_page=per_page)
    pages = [first] + [
        directory_page(user=user, params=params, number=n, per_page=per_page)
        for n in first.paginator.page_range[1:]
    ]
    return [o.pk for p in pages for o in p.object_list], first.paginator.count, first.paginator.capped


def assert_same_everywhere(world) -> int:
    checked = 0
    for label, user in world["users"].items():
        for filters in FILTERS:
            params = DirectoryParams.from_query(filters)
            expected = reference(user, params)
            assert [o.pk for o in directory_queryset(user=user, params=params)] == expected, (label, filters)
            ids, count, capped = paged(user, params)
            assert (ids, count, capped) == (expected, len(expected), False), (label, filters)
            checked += len(expected)
    return checked


def test_filtered_pages_hold_the_rows_of_the_reference_for_every_role(world):
    assert assert_same_everywhere(world) > 200  # the filters do select rows


def test_private_rows_never_reach_those_who_may_not_see_them(world):
    private_orgs = {o.pk for o in world["orgs"] if o.visibility == Visibility.BRANCH}
    for filters in FILTERS:
        params = DirectoryParams.from_query(filters)
        for user in (None, world["users"]["no role"]):
            ids, _count, _capped = paged(user, params)
            assert not private_orgs & set(ids)
    # A private need finds its organisation for its branch's staff only.
    org = OrganisationFactory(name="Cachée", branch=BranchFactory(slug="autre"))
    NeedOfferFactory(organisation=org, type="financement", private=True)
    params = DirectoryParams.from_query({"type": "financement"})
    assert paged(None, params)[0] == []
    assert paged(world["users"]["branch staff"], params)[0] == []
    assert paged(world["users"]["superuser"], params)[0] == [org.pk]


def test_filter_rows_follow_every_write(world):
    orgs = world["orgs"]
    rng = random.Random(3)
    for org in rng.sample(orgs, 8):
        org.kind = rng.choice(KINDS)
        org.visibility = Visibility.PUBLIC if org.visibility == Visibility.BRANCH else Visibility.BRANCH
        org.save(update_fields=["kind", "visibility"])
    orgs[1].branch = None
    orgs[1].save(update_fields=["branch"])
    orgs[2].commune = CommuneFactory(code="16015")
    orgs[2].save(update_fields=["commune"])
    orgs[3].name = "AAA en tête"
    orgs[3].save()
    orgs[4].themes.clear()
    orgs[5].themes.add("culture")
    Theme.objects.get(code="sport").organisations.add(orgs[6], orgs[7])
    for need in NeedOffer.objects.filter(organisation__in=orgs[8:20]):
        if need.status in (NeedOfferStatus.OPEN, NeedOfferStatus.IN_DISCUSSION):
            need.change_status(to=NeedOfferStatus.FULFILLED)
        else:
            need.change_status(to=NeedOfferStatus.OPEN)
    for need in NeedOffer.objects.filter(organisation__in=orgs[20:26]):
        need.type, need.direction, need.theme_id = "locaux", "offer", "culture"
        need.save(update_fields=["type", "direction", "theme"])
    NeedOffer.objects.filter(organisation=orgs[26]).first() and NeedOffer.objects.filter(
        organisation=orgs[26]
    ).first().delete()
    moved = NeedOfferFactory(organisation=orgs[27], type="mobilite")
    moved.organisation = orgs[28]
    moved.save()
    orgs[29].delete()
    world["orgs"] = [o for o in orgs if o.pk != orgs[29].pk]
    assert_same_everywhere(world)
    if connection.vendor == "postgresql":
        assert_rows_as_rebuilt()


def rows() -> list[tuple]:
    return list(
        OrganisationFilter.objects.order_by("pk").values_list(
            "pk", "name", "kind", "visibility", "branch_id", "facets"
        )
    )


def assert_rows_as_rebuilt() -> None:
    """The rows kept by the writes are those a full rebuild gives, one per organisation."""
    kept = rows()
    OrganisationFilter.objects.all().delete()
    search.reindex_all()
    assert kept == rows()
    assert len(kept) == Organisation.objects.count()


@postgresql_only
def test_filter_rows_hold_the_facets_of_public_active_needs_only():
    org = OrganisationFactory(
        kind="company", commune=CommuneFactory(code="16015", department=DepartmentFactory(code="16"))
    )
    org.themes.add("jeunesse")
    NeedOfferFactory(organisation=org, type="materiel", theme_id="sport")
    NeedOfferFactory(organisation=org, type="locaux", theme_id="culture", private=True)
    NeedOfferFactory(organisation=org, type="benevolat", direction="offer", status=NeedOfferStatus.FULFILLED)
    row = OrganisationFilter.objects.get(pk=org.pk)
    assert row.facets == sorted(
        [
            "d:16",
            f"b:{org.branch_id}",
            "t:jeunesse",
            "t:sport",
            "y:materiel",
            "r:need",
            "y:materiel:need",
        ]
    )
    assert (row.name, row.kind, row.visibility, row.branch_id) == (
        org.name,
        org.kind,
        org.visibility,
        org.branch_id,
    )


@postgresql_only
def test_the_migration_fills_the_rows_as_reindexing_does(world):
    kept = rows()
    OrganisationFilter.objects.all().delete()
    migration = importlib.import_module("terreau.directory.migrations.0011_filter_kind")
    with connection.schema_editor() as editor:
        migration.fill_pg(None, editor)
    assert rows() == kept


@postgresql_only
def test_imported_organisations_get_their_filter_rows(monkeypatch):
    monkeypatch.setattr(staging, "COPY_THRESHOLD", 1)  # the set-based path that indexes in its INSERT
    CommuneFactory()
    branch = BranchFactory()
    header = "nom;sigle;type;siren;siret;rna;adresse;code_postal;code_commune;site_web;courriel;telephone;description;themes"
    lines = [
        header,
        "Atelier Vélo;;association;;;;;;86194;;;;Réparations;",
        "Les Jardins;;association;;;;;;86194;;;;Potagers;culture",
    ]
    import_organisations(stream=io.BytesIO("\n".join(lines).encode()), file_name="f.csv", branch=branch)
    made = Organisation.objects.filter(branch=branch)
    assert made.count() == 2
    assert set(OrganisationFilter.objects.values_list("pk", flat=True)) == set(
        made.values_list("pk", flat=True)
    )
    params = DirectoryParams.from_query({"department": "86", "kind": "association"})
    assert [o.name for o in directory_page(user=None, params=params, number=1, per_page=20)] == [
        "Atelier Vélo",
        "Les Jardins",
    ]
    assert [
        o.name
        for o in directory_page(user=None, params=DirectoryParams(themes=("culture",)), number=1, per_page=20)
    ] == ["Les Jardins"]


def test_totals_of_filtered_pages_are_capped_as_before(monkeypatch):
    monkeypatch.setattr(queries.DirectoryPaginator, "count_cap", 5)
    for i in range(9):
        OrganisationFactory(name=f"Entreprise {i}", kind=OrganisationKind.COMPANY)
    OrganisationFactory(name="Association")
    params = DirectoryParams(kinds=("company",))
    page = directory_page(user=None, params=params, number=1, per_page=2)
    assert (page.paginator.count, page.paginator.capped) == (5, True)
    assert [o.name for o in page.object_list] == ["Entreprise 0", "Entreprise 1"]
    page = directory_page(user=None, params=params, number=9, per_page=2)
    assert page.number == 3 and [o.name for o in page.object_list] == ["Entreprise 4", "Entreprise 5"]


@pytest.mark.parametrize("filters", [{"kind": "association"}, {"theme": "culture", "department": "86"}])
def test_filtered_page_queries(django_assert_num_queries, filters):
    """The page's ids, the capped total, its organisations with their counts, their themes: as before."""
    for i in range(25):
        org = OrganisationFactory(name=f"Association {i:02d}")
        org.themes.add("culture")
        NeedOfferFactory(organisation=org)
    params = DirectoryParams.from_query(filters)
    with django_assert_num_queries(4):
        page = directory_page(user=None, params=params, number=1, per_page=20)
        for org in page.object_list:
            list(org.themes.all())
    assert page.paginator.count == 25 and len(page.object_list) == 20
