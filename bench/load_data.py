"""Data for the load test (bench/load.py): organisations over France's official geography, their needs
and offers, themes, member accounts, events, and the "probe" pairs used to time a changed need's suggestions.

The French vocabulary (names, descriptions, needs and offers across themes) is bench/directory.py's, so the
two benchmarks search the same kind of text. Communes are the real ones loaded by `terreau load-territories`
(chosen in proportion to their population); each region is one branch. Rows are written with PostgreSQL
COPY, then indexed with terreau.directory.search.reindex_organisations(), the path imports use, so the
search columns are exactly what production computes.

Used as a library by bench/load.py and tests/bench/test_load_data.py:
    fill(orgs=..., per_org=..., members=..., events=..., probes=..., seed=...) -> Plan
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import directory as vocab  # noqa: E402  (bench/directory.py: the shared French vocabulary and COPY helper)

PASSWORD = "banc-d-essai-charge-2026"  # every generated member account's password (bench database only)
MEMBER_EMAIL = "membre{:05d}@charge.terreau.test"
NETWORK_SLUG = "charge"

# Probe pairs: a member's need is edited to ask for one of these (rare words, nothing else in the data
# mentions them) and the partner created next to it offers it; the partner must then be suggested.
PROBE_OBJECTS = [
    (
        "materiel",
        "alimentation",
        "Pétrin et four à pain mobile",
        "Prêt d'un pétrin et d'un four à pain mobile",
    ),
    ("materiel", "culture", "Métier à tisser", "Don d'un métier à tisser en bois"),
    ("materiel", "environnement", "Presse à cidre", "Prêt d'une presse à cidre et d'un broyeur à pommes"),
    (
        "materiel",
        "environnement",
        "Ruches et extracteur de miel",
        "Prêt de ruches et d'un extracteur de miel",
    ),
    ("materiel", "sport", "Kayaks et pagaies", "Prêt de kayaks biplaces et de pagaies"),
    (
        "materiel",
        "culture",
        "Télescope pour observer les étoiles",
        "Prêt d'un télescope et d'une lunette astronomique",
    ),
    ("materiel", "culture", "Piano droit", "Don d'un piano droit accordé"),
    ("materiel", "solidarite", "Machines à coudre", "Don de machines à coudre et de surjeteuses"),
    ("materiel", "environnement", "Broyeur de végétaux", "Prêt d'un broyeur de végétaux thermique"),
    ("materiel", "alimentation", "Chambre froide", "Mise à disposition d'une chambre froide démontable"),
]


@dataclass
class Plan:
    """What the load test needs to know about the generated data (JSON-serialisable)."""

    orgs: int = 0
    needs_offers: int = 0
    seconds: dict = field(default_factory=dict)
    org_slugs: list = field(default_factory=list)  # a sample of public organisations
    members: list = field(default_factory=list)  # {"email", "slug", "need_id"}
    probes: list = field(default_factory=list)  # {"email", "slug", "need_id", "partner", "title", ...}
    event_slugs: list = field(default_factory=list)
    communes: list = field(default_factory=list)  # names of populous communes, for searches
    departments: list = field(default_factory=list)
    branches: list = field(default_factory=list)
    password: str = PASSWORD

    def as_dict(self) -> dict:
        return asdict(self)


def _truncate() -> None:
    from django.db import connection

    from terreau.directory.models import Membership, NeedOffer, Organisation

    tables = [
        Organisation._meta.db_table,
        NeedOffer._meta.db_table,
        Organisation.themes.through._meta.db_table,
        Membership._meta.db_table,
        "events_event",
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        cursor.execute("DELETE FROM accounts_user WHERE email LIKE %s", ["%@charge.terreau.test"])


def _branches() -> dict[str, object]:
    """One branch per region (its departments), in the network 'charge'; {department code: branch}."""
    from django.utils.text import slugify

    from terreau.core.models import Branch, Network
    from terreau.territories.models import Department, Region

    network, _ = Network.objects.get_or_create(
        slug=NETWORK_SLUG, defaults={"name": "Réseau de test de charge"}
    )
    by_department = {}
    for region in Region.objects.order_by("code"):
        branch, _ = Branch.objects.get_or_create(
            slug=slugify(f"charge {region.name}")[:50],
            defaults={"name": f"Antenne {region.name}", "network": network},
        )
        departments = list(Department.objects.filter(region=region).values_list("code", flat=True))
        branch.departments.set(departments)
        by_department.update(dict.fromkeys(departments, branch))
    return by_department


def _org_rows(rng: random.Random, count: int, start: int, communes, weights, branches, postal):
    from terreau.directory.models import Organisation

    patterns = {
        "association": vocab.ASSOCIATION_NAMES,
        "company": vocab.COMPANY_NAMES,
        "foundation": vocab.FOUNDATIONS,
        "public_body": vocab.PUBLIC,
        "host_structure": vocab.HOSTS,
        "other": vocab.ASSOCIATION_NAMES,
    }
    picked = rng.choices(communes, cum_weights=weights, k=count)
    for offset, commune in enumerate(picked):
        i = start + offset
        kind = vocab.weighted(rng, vocab.KINDS)
        values = {"a": rng.choice(vocab.ADJECTIVES), "b": rng.choice(vocab.PEOPLE), "city": commune[1]}
        values["s"] = rng.choice(vocab.SURNAMES)
        yield Organisation(
            kind=kind,
            name=rng.choice(patterns[kind]).format(**values),
            slug=f"charge-{i}",
            commune_id=commune[0],
            postal_code=postal.get(commune[0], ""),
            address=f"{rng.randint(1, 120)} rue {rng.choice(vocab.SURNAMES)}",
            description=" ".join(
                f"{rng.choice(vocab.ACTIVITIES)} {rng.choice(vocab.AUDIENCES)} {rng.choice(vocab.TOPICS)}."
                for _ in range(rng.randint(1, 3))
            ),
            branch=branches.get(commune[2]),
            visibility="branch" if rng.random() < 0.1 else "public",
            is_demo=True,
        )


def _need_offer_rows(rng: random.Random, ids: list[int], per_org: int):
    from terreau.directory.models import NeedOffer

    for _ in range(len(ids) * per_org):
        is_need = rng.random() < 0.55
        type_, theme, thing = rng.choice(vocab.NEED_OBJECTS)
        if is_need:
            title = f"{thing} {rng.choice(vocab.PURPOSES)}"
        else:
            title = f"{rng.choice(vocab.OFFER_PREFIXES)} {thing[0].lower()}{thing[1:]}"
        yield NeedOffer(
            organisation_id=rng.choice(ids),
            direction="need" if is_need else "offer",
            type=type_,
            theme_id=theme,
            title=title,
            description=rng.choice(vocab.NEED_DETAILS),
            status=vocab.weighted(rng, vocab.STATUSES),
            visibility="branch" if rng.random() < 0.1 else "public",
            quantity=rng.choice((None, 1, 5, 10)),
            is_demo=True,
        )


def _members(rng: random.Random, count: int, probes: int) -> tuple[list, list]:
    """`count` member accounts, each the administrator of a public organisation with an open need (that
    need is the one it edits); the first `probes` also get a partner next to them (see PROBE_OBJECTS)."""
    from django.contrib.auth.hashers import make_password

    from terreau.accounts.models import User
    from terreau.directory.models import Membership, NeedOffer, Organisation

    needs = list(
        NeedOffer.objects.filter(
            direction="need", status="open", visibility="public", organisation__visibility="public"
        )
        .exclude(organisation__commune=None)
        .order_by("organisation_id", "pk")
        .distinct("organisation_id")
        .values_list("organisation_id", "pk", "organisation__slug", "organisation__commune_id")[: count * 3]
    )
    rng.shuffle(needs)
    needs = needs[:count]
    password = make_password(PASSWORD)  # one hash for all: the same password, hashed once
    users = User.objects.bulk_create(
        [
            User(email=MEMBER_EMAIL.format(n), first_name="Membre", last_name=f"n° {n}", password=password)
            for n in range(len(needs))
        ],
        batch_size=1000,
    )
    Membership.objects.bulk_create(
        [
            Membership(user=user, organisation_id=org_id, role="admin")
            for user, (org_id, *_rest) in zip(users, needs, strict=True)
        ],
        batch_size=1000,
    )
    members = [
        {"email": user.email, "slug": slug, "need_id": need_id}
        for user, (_org, need_id, slug, _commune) in zip(users, needs, strict=True)
    ]
    probe_list = []
    for k, member in enumerate(members[:probes]):
        type_, theme, need_title, offer_title = PROBE_OBJECTS[k % len(PROBE_OBJECTS)]
        org = Organisation.objects.get(slug=member["slug"])
        partner = Organisation.objects.create(
            kind="association",
            name=f"Atelier partagé Sésame n° {k + 1}",
            slug=f"charge-sonde-{k + 1}",
            commune_id=org.commune_id,
            postal_code=org.postal_code,
            description="Nous prêtons du matériel aux associations du territoire.",
            branch_id=org.branch_id,
            is_demo=True,
        )
        NeedOffer.objects.create(
            organisation=partner,
            direction="offer",
            type=type_,
            theme_id=theme,
            title=offer_title,
            description="Disponible sur demande, transport possible.",
            is_demo=True,
        )
        probe_list.append(
            {**member, "partner": partner.name, "type": type_, "theme": theme, "title": need_title}
        )
    return members, probe_list


def _events(rng: random.Random, count: int, branches: dict, communes) -> list[str]:
    from django.utils import timezone

    from terreau.events.models import Event

    if not count:
        return []
    kinds = ["meeting", "workshop", "speed_meeting", "online"]
    titles = [
        "Rencontre des associations et des entreprises de {city}",
        "Atelier « Trouver des bénévoles » à {city}",
        "Speed-meeting mécénat de compétences à {city}",
        "Petit-déjeuner des partenaires de {city}",
        "Forum des solidarités de {city}",
    ]
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    rows = []
    for i, commune in enumerate(rng.sample(communes, min(count, len(communes)))):
        branch = branches.get(commune[2])
        if branch is None:
            continue
        start = now + timedelta(days=rng.randint(-30, 120), hours=rng.randint(8, 18))
        rows.append(
            Event(
                branch=branch,
                kind=rng.choice(kinds),
                title=rng.choice(titles).format(city=commune[1]),
                slug=f"charge-evenement-{i}",
                description="Une rencontre pour se connaître et construire des partenariats.",
                starts_at=start,
                ends_at=start + timedelta(hours=3),
                venue="Salle des fêtes",
                commune_id=commune[0],
                capacity=rng.choice((30, 60, 120)),
                is_published=rng.random() < 0.9,
                is_demo=True,
            )
        )
    Event.objects.bulk_create(rows)
    return [e.slug for e in rows if e.is_published]


def fill(
    *,
    orgs: int,
    per_org: int = 3,
    members: int = 300,
    events: int = 300,
    probes: int = 10,
    seed: int = 2026,
    chunk: int = 100_000,
    log=print,
) -> Plan:
    """Replace the directory of the configured database by `orgs` generated organisations (needs Django set
    up on PostgreSQL with the official geography loaded)."""
    from django.db import connection, transaction

    from terreau.directory.models import NeedOffer, Organisation
    from terreau.directory.search import reindex_organisations
    from terreau.territories.models import Commune, PostalCode

    rng = random.Random(seed)
    plan = Plan()
    communes = list(
        Commune.objects.filter(population__gt=0)
        .order_by("code")
        .values_list("code", "name", "department_id", "population")
    )
    if len(communes) < 1000:
        raise RuntimeError(
            "La géographie officielle n'est pas chargée : lancez « terreau load-territories »."
        )
    weights, total = [], 0
    for commune in communes:
        total += commune[3]
        weights.append(total)
    postal = dict(
        PostalCode.objects.order_by("commune_id", "code")
        .distinct("commune_id")
        .values_list("commune_id", "code")
    )

    t0 = time.perf_counter()
    _truncate()
    branches = _branches()
    themes = Organisation.themes.through
    made = 0
    while made < orgs:
        size = min(chunk, orgs - made)
        with transaction.atomic():
            vocab.copy_objects(Organisation, _org_rows(rng, size, made, communes, weights, branches, postal))
            ids = list(
                Organisation.objects.filter(slug__startswith="charge-")
                .order_by("-pk")
                .values_list("pk", flat=True)[:size]
            )
            vocab.copy_objects(
                themes,
                (
                    themes(organisation_id=pk, theme_id=code)
                    for pk in ids
                    for code in rng.sample(vocab.THEME_CODES, rng.choice((0, 1, 1, 2, 2, 3)))
                ),
            )
            vocab.copy_objects(NeedOffer, _need_offer_rows(rng, ids, per_org))
        made += size
        log(f"  {made:,} organisations écrites ({time.perf_counter() - t0:.0f} s)".replace(",", " "))
    plan.seconds["copy"] = round(time.perf_counter() - t0, 1)

    t0 = time.perf_counter()
    all_ids = list(Organisation.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(all_ids), chunk):
        with transaction.atomic():
            reindex_organisations(all_ids[start : start + chunk])
        log(
            f"  {min(start + chunk, len(all_ids)):,} organisations indexées ({time.perf_counter() - t0:.0f} s)".replace(
                ",", " "
            )
        )
    plan.seconds["index"] = round(time.perf_counter() - t0, 1)

    t0 = time.perf_counter()
    with transaction.atomic():
        plan.members, plan.probes = _members(rng, members, probes)
        plan.event_slugs = _events(rng, events, branches, communes)
    with connection.cursor() as cursor:
        for table in ("directory_organisation", "directory_needoffer", "directory_organisation_themes"):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("ANALYZE")
    plan.seconds["members_events_analyze"] = round(time.perf_counter() - t0, 1)
    describe(plan, rng)
    return plan


def describe(plan: Plan, rng: random.Random | None = None) -> Plan:
    """Fill the plan's counts and samples from the database (after fill(), or when reusing a database)."""
    from terreau.core.models import Branch
    from terreau.directory.models import Membership, NeedOffer, Organisation
    from terreau.events.models import Event
    from terreau.territories.models import Commune

    rng = rng or random.Random(7)
    plan.orgs = Organisation.objects.count()
    plan.needs_offers = NeedOffer.objects.count()
    last = Organisation.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    sample_ids = sorted(rng.sample(range(1, last + 1), min(2000, last)))
    plan.org_slugs = list(
        Organisation.objects.filter(pk__in=sample_ids, visibility="public").values_list("slug", flat=True)
    )
    if not plan.members:
        memberships = Membership.objects.filter(user__email__endswith="@charge.terreau.test").order_by(
            "user__email"
        )
        for email, slug, org_id in memberships.values_list(
            "user__email", "organisation__slug", "organisation_id"
        ):
            need = NeedOffer.objects.filter(organisation_id=org_id, direction="need").order_by("pk").first()
            plan.members.append({"email": email, "slug": slug, "need_id": need.pk if need else None})
        probes = Organisation.objects.filter(slug__startswith="charge-sonde-").order_by("pk")
        for k, partner in enumerate(probes):
            type_, theme, need_title, _offer = PROBE_OBJECTS[k % len(PROBE_OBJECTS)]
            member = plan.members[k]
            plan.probes.append(
                {**member, "partner": partner.name, "type": type_, "theme": theme, "title": need_title}
            )
    if not plan.event_slugs:
        plan.event_slugs = list(
            Event.objects.filter(is_published=True, slug__startswith="charge-").values_list("slug", flat=True)
        )
    plan.communes = list(Commune.objects.order_by("-population").values_list("name", flat=True)[:200])
    plan.departments = list(
        Commune.objects.values_list("department_id", flat=True).distinct().order_by("department_id")
    )
    plan.branches = list(Branch.objects.filter(network__slug=NETWORK_SLUG).values_list("slug", flat=True))
    return plan


NEUTRAL_NEED = ("benevolat", "bien-vieillir", "Bénévoles pour nos ateliers hebdomadaires")


def reset_probes(plan: Plan) -> None:
    """Give the probes' needs a neutral text again (a previous run changed them), before the suggestions
    are computed, so that each run times a real change."""
    from django.db import transaction

    from terreau.directory.models import NeedOffer, Organisation
    from terreau.directory.search import reindex_organisations

    type_, theme, title = NEUTRAL_NEED
    ids = [p["need_id"] for p in plan.probes]
    with transaction.atomic():
        NeedOffer.objects.filter(pk__in=ids).update(
            title=title, type=type_, theme_id=theme, description="", status="open", visibility="public"
        )
        reindex_organisations(
            Organisation.objects.filter(needs_offers__pk__in=ids).values_list("pk", flat=True)
        )
