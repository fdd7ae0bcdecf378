"""`terreau load-demo`: idempotent, complete, consistent with the territories, every row flagged as demo."""

from __future__ import annotations

import ast
import io
import re
import tomllib
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command, get_commands
from django.test import RequestFactory

from terreau.accounts.models import BranchRole, NetworkRole, User
from terreau.core.access import visible
from terreau.core.models import Branch, Network, Visibility
from terreau.demo import loader
from terreau.demo.geography import COMMUNES
from terreau.demo.loader import check_demo_data
from terreau.demo.people import CONTACTS
from terreau.directory.models import (
    Membership,
    NeedOffer,
    NeedOfferStatusChange,
    Organisation,
    OrganisationKind,
)
from terreau.directory.validators import validate_siren
from terreau.territories.loader import load_territories
from terreau.territories.models import Commune
from tests.factories import OrganisationFactory

DEMO_DEPARTMENTS = {"16", "17", "79", "86", "67", "68"}
POITOU, ALSACE = "demo-poitou-charentes", "demo-alsace"
LOGIN_LINE = re.compile(
    r"^(?P<role>.+?)\s{2,}(?P<email>\S+@demo\.terreau\.example\.org)\s{2,}(?P<password>\S+)$"
)


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # The demo's password hash and the six logins would dominate the run time with PBKDF2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def territories(db):
    load_territories(departments=DEMO_DEPARTMENTS)


def run_demo() -> str:
    out = io.StringIO()
    call_command("load-demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = [
        Network,
        Branch,
        User,
        Organisation,
        Organisation.themes.through,
        NeedOffer,
        NeedOfferStatusChange,
        Membership,
        BranchRole,
        NetworkRole,
    ]
    return {model.__name__: model.objects.count() for model in models}


def snapshot() -> set[tuple]:
    orgs = set(
        Organisation.objects.values_list(
            "slug", "name", "kind", "commune_id", "branch__slug", "latitude", "longitude", "visibility"
        )
    )
    items = set(
        NeedOffer.objects.values_list("organisation__slug", "direction", "title", "status", "theme_id")
    )
    return orgs | items


def test_demo_data_modules_are_consistent():
    check_demo_data()  # codes, slugs, communes with coordinates inside the branch departments
    assert {code[:2] for code in COMMUNES} == DEMO_DEPARTMENTS


def test_load_demo_twice_gives_the_same_data(territories):
    first_output = run_demo()
    first_counts, first_snapshot = counts(), snapshot()
    poitou = Branch.objects.get(slug=POITOU)
    # Something real attached to the demo branch survives a reload (branches are updated, not recreated).
    real = OrganisationFactory(branch=poitou, commune=Commune.objects.get(code="86194"))

    second_output = run_demo()

    assert Organisation.objects.filter(pk=real.pk).exists()
    real.delete()
    assert counts() == first_counts
    assert snapshot() == first_snapshot
    assert Branch.objects.get(slug=POITOU).pk == poitou.pk
    assert first_output == second_output


def test_demo_content(territories):
    run_demo()
    poitou = Branch.objects.get(slug=POITOU)
    alsace = Branch.objects.get(slug=ALSACE)
    assert poitou.network_id == alsace.network_id
    assert set(poitou.departments.values_list("code", flat=True)) == {"16", "17", "79", "86"}
    assert set(alsace.departments.values_list("code", flat=True)) == {"67", "68"}

    hosts = Organisation.objects.filter(branch=poitou, kind=OrganisationKind.HOST_STRUCTURE)
    assert 18 <= hosts.count() <= 25
    assert set(hosts.values_list("commune__department_id", flat=True)) == {"16", "17", "79", "86"}
    assert not hosts.filter(host_type="").exists()
    assert {"ehpad", "residence_autonomie", "centre_socioculturel", "club_seniors"} <= set(
        hosts.values_list("host_type", flat=True)
    )
    others = Organisation.objects.filter(branch=poitou).exclude(kind=OrganisationKind.HOST_STRUCTURE)
    assert others.count() >= 60
    assert {"association", "company", "foundation", "public_body"} <= set(
        others.values_list("kind", flat=True)
    )

    names = " | ".join(Organisation.objects.filter(branch=poitou).values_list("name", flat=True))
    for actor in (
        "La Poste",
        "Le RAMEAU",
        "Solidatech",
        "Unis-Cité",
        "Fondation d'entreprise MACIF",
        "Orange",
        "Passerelles & Compétences",
        "Futurolan",
        "SPN",
    ):
        assert actor in names, actor
    assert Organisation.objects.filter(branch=poitou, name__contains="Trois Cités").count() >= 3

    alsace_orgs = Organisation.objects.filter(branch=alsace)
    assert 12 <= alsace_orgs.count() <= 20
    assert set(alsace_orgs.values_list("commune__department_id", flat=True)) == {"67", "68"}
    alsace_associations = alsace_orgs.filter(kind=OrganisationKind.ASSOCIATION)
    assert alsace_associations.exists()
    assert set(alsace_associations.values_list("legal_category", flat=True)) == {"9260"}

    # Identifiers: no RNA anywhere, only the public SIREN numbers of La Poste and Orange.
    assert not Organisation.objects.exclude(rna="").exists()
    assert not Organisation.objects.exclude(siret="").exists()
    assert set(Organisation.objects.exclude(siren="").values_list("name", flat=True)) == {
        "La Poste",
        "Orange",
    }

    for org in Organisation.objects.select_related("commune", "branch"):
        department = org.commune.department_id
        assert department in {d.code for d in org.branch.departments.all()}, org
        assert org.latitude is not None and org.longitude is not None, org
        assert abs(org.latitude - org.commune.latitude) < 0.05, org
        assert abs(org.longitude - org.commune.longitude) < 0.05, org
        assert 1 <= org.needs_offers.count() <= 4, org
        org.full_clean()
        if org.siren:
            validate_siren(org.siren)
    # Markers of one commune don't sit on top of each other.
    positions = list(Organisation.objects.values_list("latitude", "longitude"))
    assert len(set(positions)) == len(positions)


def test_demo_needs_offers_and_privacy(territories):
    run_demo()
    items = NeedOffer.objects.all()
    assert items.needs().exists() and items.offers().exists()
    without_theme = items.filter(theme__isnull=True).count() / items.count()
    assert 0.15 <= without_theme <= 0.35
    assert items.filter(status="open").count() > items.count() / 2
    for status, moves in (("in_discussion", 1), ("fulfilled", 2)):
        moved = items.filter(status=status)
        assert moved.exists(), status
        for item in moved:
            history = list(item.history.values_list("from_state", "to_state"))
            assert len(history) == moves and history[-1][1] == status, item
    assert items.filter(estimated_value__isnull=False).exists()
    assert items.filter(quantity__isnull=False).exists()
    assert len(set(items.values_list("scope", flat=True))) >= 3
    # The Silver Geek complementarities.
    assert items.needs().filter(organisation__host_type="ehpad", title__icontains="tablettes").exists()
    assert items.needs().filter(organisation__host_type="ehpad", type="benevolat").exists()
    assert items.offers().filter(organisation__name__startswith="Unis-Cité", type="benevolat").exists()
    assert items.offers().filter(organisation__kind="foundation", theme="inclusion-numerique").exists()
    assert items.offers().filter(organisation__kind="company", title__icontains="tablettes").exists()

    # Some organisations and needs are private to the branch, some carry facilitators' notes.
    assert Organisation.objects.filter(visibility=Visibility.BRANCH).exists()
    assert items.filter(visibility=Visibility.BRANCH).exists()
    assert Organisation.objects.exclude(private_notes="").exists()
    private_poitou = Organisation.objects.filter(branch__slug=POITOU, visibility=Visibility.BRANCH).first()
    poitou_facilitator = User.objects.get(branch_roles__branch__slug=POITOU)
    alsace_facilitator = User.objects.get(branch_roles__branch__slug=ALSACE)
    assert visible(poitou_facilitator, Organisation.objects.filter(pk=private_poitou.pk)).exists()
    assert not visible(alsace_facilitator, Organisation.objects.filter(pk=private_poitou.pk)).exists()
    assert not visible(None, Organisation.objects.filter(pk=private_poitou.pk)).exists()

    # Every demo row is flagged (this database holds nothing else).
    for model in (Network, Branch, User, Organisation, NeedOffer):
        assert model.objects.exists() and not model.objects.filter(is_demo=False).exists(), model


def test_printed_logins_authenticate(territories):
    output = run_demo()
    assert "http://127.0.0.1:8000" in output
    logins = [m.groupdict() for line in output.splitlines() if (m := LOGIN_LINE.match(line.strip()))]
    assert len(logins) == 8  # six directory roles + the Silver Geek coordinator and site staff
    for login in logins:
        request = RequestFactory().post("/comptes/connexion/")
        user = authenticate(request, username=login["email"], password=login["password"])
        assert user is not None and user.is_demo, login["email"]
    by_email = {login["email"]: login for login in logins}
    admin = NetworkRole.objects.get().user
    assert admin.email in by_email
    assert set(BranchRole.objects.values_list("branch__slug", flat=True)) == {POITOU, ALSACE}
    memberships = Membership.objects.select_related("organisation")
    assert {m.organisation.kind for m in memberships} >= {"host_structure", "company", "association"}
    ehpad = memberships.get(organisation__host_type="ehpad", user__email__in=by_email)
    assert ehpad.role == Membership.Role.ADMIN
    # Besides the roles' accounts, only the partner organisations' contacts who write in the demo
    # partnerships are members (they are not printed).
    contacts = {c.email for c in CONTACTS}
    assert all(m.user.email in by_email or m.user.email in contacts for m in memberships)
    assert not contacts & set(by_email)


def test_search_index_is_rebuilt_for_the_demo(territories, monkeypatch):
    seen: list[int] = []
    monkeypatch.setattr(loader, "reindex_organisations", lambda ids: seen.extend(ids))
    run_demo()
    assert sorted(seen) == sorted(Organisation.objects.values_list("pk", flat=True))


def test_without_territories_the_command_says_to_load_them(db):
    with pytest.raises(CommandError, match="terreau load-territories"):
        run_demo()
    assert not Organisation.objects.exists()
    assert not User.objects.exists()


def test_the_demo_app_owns_its_command_and_core_imports_nothing_from_it():
    # Imports point down: the demo uses core, never the reverse (the command used to live in core).
    assert get_commands()["load-demo"] == "terreau.demo"
    core = Path(__file__).resolve().parents[2] / "terreau" / "core"
    for path in core.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            assert not any(name.startswith("terreau.demo") for name in names), path


def test_every_demo_data_file_is_shipped_with_the_package():
    # The loaders read terreau/demo/data through importlib.resources: an installed package needs them too.
    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text("utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["terreau.demo"]
    package = Path(loader.__file__).parent
    shipped = {path for pattern in patterns for path in package.glob(pattern)}
    data = {path for path in (package / "data").rglob("*") if path.is_file()}
    assert data and data <= shipped
