"""Loads the demo territory: previous demo rows are deleted and recreated in one transaction (idempotent).

Network and branches are kept and updated by slug (so that anything else attached to them survives);
demo organisations, their needs and offers, and demo accounts are recreated from the data files
(terreau/demo/data/*.json).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import ProtectedError, Q, RestrictedError
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.translation import gettext as _

from terreau import vocabulary
from terreau.accounts.models import BranchRole, NetworkRole, User
from terreau.core.jobs import defer
from terreau.core.models import Branch, Network
from terreau.demo import (
    alliances_diagnosis_demo,
    alliances_groups_demo,
    contributions_demo,
    evaluation_demo,
    events_demo,
    partnerships_demo,
    silvergeek,
)
from terreau.demo.errors import DemoError
from terreau.demo.geography import COMMUNES
from terreau.demo.people import CONTACTS, DEMO_PASSWORD, NETWORK_NAME, NETWORK_SLUG, USERS
from terreau.demo.records import BranchData, Item, Org
from terreau.directory.models import (
    HostStructureType,
    Membership,
    NeedOffer,
    NeedOfferStatus,
    NeedOfferStatusChange,
    Organisation,
    OrganisationKind,
    Scope,
    WorkforceBand,
)
from terreau.directory.search import reindex_organisations
from terreau.matching.tasks import rebuild_suggestions
from terreau.territories.models import Commune, PostalCode

# Poitou-Charentes tells the Silver Geek story (see ../shared/domain/facts.md): the named national and
# regional actors keep their real names and public role in the program; their needs and offers, the host
# structures and every other local actor are illustrative, and identifiers are left empty except La Poste's
# and Orange's public SIREN numbers. In Alsace every actor is fictitious; associations there are registered
# under Alsace-Moselle local law (legal category 9260) at the local court, so their RNA number stays empty.
POITOU_CHARENTES = BranchData.from_file("poitou.json")
ALSACE = BranchData.from_file("alsace.json")
BRANCHES: tuple[BranchData, ...] = (POITOU_CHARENTES, ALSACE)

# Status history written for needs and offers that are no longer open: (from, to, note).
_HISTORY: dict[str, list[tuple[str, str, str]]] = {
    NeedOfferStatus.IN_DISCUSSION: [
        ("open", "in_discussion", "Mise en relation proposée par le Labo des partenariats."),
    ],
    NeedOfferStatus.FULFILLED: [
        ("open", "in_discussion", "Mise en relation proposée par le Labo des partenariats."),
        ("in_discussion", "fulfilled", "Partenariat conclu."),
    ],
    NeedOfferStatus.WITHDRAWN: [("open", "withdrawn", "Retiré par la structure.")],
}

# Golden angle: successive markers of one commune spiral out without overlapping.
_GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))
_OFFSET_STEP = 0.003  # degrees of latitude, about 330 m


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str


@dataclass(frozen=True)
class DemoResult:
    organisations: int
    needs_offers: int
    branches: tuple[str, ...]
    logins: tuple[DemoLogin, ...]


def all_organisations() -> list[tuple[BranchData, Org]]:
    return [(branch, org) for branch in BRANCHES for org in branch.organisations]


def check_demo_data() -> None:
    """Consistency of the data files (codes, slugs, communes); raises ValueError on a mistake."""
    slugs: set[str] = set()
    for branch, org in all_organisations():
        where = f"{branch.name} / {org.slug}"
        if org.slug in slugs:
            raise ValueError(f"{where}: duplicate slug")
        slugs.add(org.slug)
        if org.commune not in COMMUNES:
            raise ValueError(f"{where}: commune {org.commune} has no coordinates in geography.COMMUNES")
        if org.commune[:2] not in branch.departments:
            raise ValueError(f"{where}: commune {org.commune} outside the branch departments")
        if org.kind not in OrganisationKind.values:
            raise ValueError(f"{where}: unknown kind {org.kind}")
        if (org.kind == OrganisationKind.HOST_STRUCTURE) != bool(org.host_type):
            raise ValueError(f"{where}: host_type goes with kind host_structure only")
        if org.host_type and org.host_type not in HostStructureType.values:
            raise ValueError(f"{where}: unknown host type {org.host_type}")
        if org.workforce_band and org.workforce_band not in WorkforceBand.values:
            raise ValueError(f"{where}: unknown workforce band {org.workforce_band}")
        if not 1 <= len(org.items) <= 4:
            raise ValueError(f"{where}: 1 to 4 needs or offers expected")
        for theme in org.themes:
            if theme not in vocabulary.THEMES:
                raise ValueError(f"{where}: unknown theme {theme}")
        for item in org.items:
            if item.direction not in ("need", "offer") or item.type not in vocabulary.TYPES:
                raise ValueError(f"{where} / {item.title}: bad direction or type")
            if item.theme is not None and item.theme not in vocabulary.THEMES:
                raise ValueError(f"{where} / {item.title}: unknown theme {item.theme}")
            if item.scope not in Scope.values or item.status not in NeedOfferStatus.values:
                raise ValueError(f"{where} / {item.title}: bad scope or status")
    for user in (*USERS, *CONTACTS):
        if user.member_of and user.member_of not in slugs:
            raise ValueError(f"{user.email}: unknown organisation {user.member_of}")


def _marker(commune: str, index: int) -> tuple[float, float]:
    """Commune centre plus a small deterministic offset, so that markers of one commune don't overlap."""
    _name, lat, lon = COMMUNES[commune]
    radius = _OFFSET_STEP * math.sqrt(index + 1)
    angle = index * _GOLDEN_ANGLE
    dlat = radius * math.cos(angle)
    dlon = radius * math.sin(angle) / math.cos(math.radians(lat))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def _check_communes() -> None:
    present = set(Commune.objects.filter(code__in=COMMUNES).values_list("code", flat=True))
    missing = sorted(set(COMMUNES) - present)
    if missing:
        raise DemoError(
            _(
                "La géographie officielle n'est pas chargée (%(count)d communes de la démonstration "
                "manquent, par exemple %(example)s). Lancez d'abord « terreau load-territories », "
                "puis relancez « terreau load-demo »."
            )
            % {"count": len(missing), "example": ", ".join(missing[:3])}
        )


def _set_commune_coordinates() -> None:
    """Communes without coordinates get the demo's hand-written centre (geocoded ones are kept)."""
    for code, (_name, lat, lon) in COMMUNES.items():
        Commune.objects.filter(Q(latitude__isnull=True) | Q(longitude__isnull=True), code=code).update(
            latitude=lat, longitude=lon
        )


def _delete_previous_demo() -> None:
    try:
        evaluation_demo.delete_evaluation_demo()  # before the program, its sites and participants
        contributions_demo.delete_contributions_demo()  # before the program, groups and partnerships
        alliances_groups_demo.delete_groups_demo()  # before the organisations and the program they point to
        alliances_diagnosis_demo.delete_diagnosis_demo()  # after the groups citing its key issues
        partnerships_demo.delete_partnerships_demo()  # before the organisations and branches they point to
        events_demo.delete_events_demo()
        silvergeek.delete_program_demo()
        NeedOffer.objects.filter(Q(is_demo=True) | Q(organisation__is_demo=True)).delete()
        Organisation.objects.filter(is_demo=True).delete()
        User.objects.filter(is_demo=True).delete()
        current = [b.slug for b in BRANCHES]
        Branch.objects.filter(is_demo=True).exclude(slug__in=current).delete()
        Network.objects.filter(is_demo=True).exclude(slug=NETWORK_SLUG).delete()
    except (ProtectedError, RestrictedError) as exc:
        objects = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", set())
        blocking = sorted({str(obj) for obj in objects})[:3]
        raise DemoError(
            _(
                "Impossible de remplacer la démonstration : des données réelles dépendent de données de "
                "démonstration (%(objects)s). Supprimez-les ou utilisez une base dédiée à la démonstration."
            )
            % {"objects": ", ".join(blocking)}
        ) from None


def _branches() -> tuple[Network, dict[str, Branch]]:
    network, _created = Network.objects.update_or_create(
        slug=NETWORK_SLUG, defaults={"name": NETWORK_NAME, "is_demo": True}
    )
    branches: dict[str, Branch] = {}
    for data in BRANCHES:
        branch, _created = Branch.objects.update_or_create(
            slug=data.slug,
            defaults={
                "network": network,
                "name": data.name,
                "description": data.description,
                "contact_email": data.contact_email,
                "is_demo": True,
            },
        )
        branch.departments.set(data.departments)
        branches[data.slug] = branch
    return network, branches


def _users() -> dict[str, User]:
    emails = [u.email for u in (*USERS, *CONTACTS)]
    taken = sorted(User.objects.filter(email__in=emails).values_list("email", flat=True))
    if taken:
        raise DemoError(
            _("Des comptes réels utilisent déjà les adresses de démonstration : %(emails)s.")
            % {"emails": ", ".join(taken)}
        )
    password = make_password(DEMO_PASSWORD)  # hashed once: the same password for every demo account
    User.objects.bulk_create(
        [
            User(
                email=u.email,
                first_name=u.first_name,
                last_name=u.last_name,
                password=password,
                is_demo=True,
            )
            for u in (*USERS, *CONTACTS)
        ]
    )
    return {user.email: user for user in User.objects.filter(email__in=emails)}


def _free_slug(slug: str, taken: set[str]) -> str:
    if slug not in taken:
        return slug
    candidate = f"{slug}-demo"
    if candidate in taken:
        raise DemoError(
            _("L'identifiant d'adresse « %(slug)s » est déjà pris par une organisation réelle.")
            % {"slug": candidate}
        )
    return candidate


def _organisations(branches: dict[str, Branch]) -> dict[str, Organisation]:
    pairs = all_organisations()
    wanted = [org.slug for _b, org in pairs] + [f"{org.slug}-demo" for _b, org in pairs]
    taken = set(Organisation.objects.filter(slug__in=wanted).values_list("slug", flat=True))
    postal: dict[str, str] = {}
    for commune_id, code in (
        PostalCode.objects.filter(commune_id__in=COMMUNES).order_by("code").values_list("commune_id", "code")
    ):
        postal.setdefault(commune_id, code)
    per_commune: dict[str, int] = defaultdict(int)
    rows: list[Organisation] = []
    for branch_data, org in pairs:
        index = per_commune[org.commune]
        per_commune[org.commune] += 1
        lat, lon = _marker(org.commune, index)
        rows.append(
            Organisation(
                kind=org.kind,
                host_type=org.host_type,
                name=org.name,
                acronym=org.acronym,
                slug=_free_slug(org.slug, taken),
                siren=org.siren,
                legal_category=org.legal_category,
                workforce_band=org.workforce_band,
                naf_code=org.naf_code,
                commune_id=org.commune,
                postal_code=postal.get(org.commune, ""),
                latitude=lat,
                longitude=lon,
                website=org.website,
                description=org.description,
                branch=branches[branch_data.slug],
                visibility=org.visibility,
                private_notes=org.private_notes,
                is_demo=True,
            )
        )
    Organisation.objects.bulk_create(rows)
    by_key = {org.slug: row for (_b, org), row in zip(pairs, rows, strict=True)}
    Through = Organisation.themes.through
    links = []
    for (_b, org), row in zip(pairs, rows, strict=True):
        codes = dict.fromkeys([*org.themes, *(i.theme for i in org.items if i.theme)])
        links.extend(Through(organisation_id=row.pk, theme_id=code) for code in codes)
    Through.objects.bulk_create(links)
    return by_key


def _period(item: Item, today: date) -> tuple[date | None, date | None]:
    if item.period is None:
        return None, None
    start, end = item.period
    return today + timedelta(days=start), today + timedelta(days=end)


def _needs_offers(orgs: dict[str, Organisation], facilitators: dict[str, User], today: date) -> int:
    rows: list[NeedOffer] = []
    for _b, org in all_organisations():
        for item in org.items:
            starts_on, ends_on = _period(item, today)
            rows.append(
                NeedOffer(
                    organisation=orgs[org.slug],
                    direction=item.direction,
                    type=item.type,
                    theme_id=item.theme,
                    title=item.title,
                    description=item.description,
                    quantity=item.quantity,
                    estimated_value=Decimal(item.value) if item.value is not None else None,
                    scope=item.scope,
                    starts_on=starts_on,
                    ends_on=ends_on,
                    status=item.status,
                    visibility=item.visibility,
                    is_demo=True,
                )
            )
    NeedOffer.objects.bulk_create(rows)
    history = [
        NeedOfferStatusChange(
            need_offer=row,
            from_state=from_state,
            to_state=to_state,
            note=note,
            by=facilitators.get(row.organisation.branch.slug),
        )
        for row in rows
        for from_state, to_state, note in _HISTORY.get(row.status, [])
    ]
    NeedOfferStatusChange.objects.bulk_create(history)
    return len(rows)


def load_demo(*, today: date | None = None) -> DemoResult:
    """(Re)creates the demo network, branches, organisations, needs and offers, demo accounts, the Silver
    Geek program, events, contact requests and partnerships, in one transaction."""
    with transaction.atomic():
        connection = transaction.get_connection()
        queued = len(connection.run_on_commit)
        result = _load_demo(today=today)
        # The demo's needs and offers are bulk-created (no signals): their suggestions are computed once, after
        # the commit (inline on SQLite, by a worker on PostgreSQL).
        defer(rebuild_suggestions, requested_after=timezone.now().isoformat())
        # The domain services the demo goes through e-mail the people concerned once the transaction commits
        # (contact requests, partnership messages): those e-mails, to demo addresses, are dropped, whenever
        # the commit comes; what else was queued (the matching index) still runs.
        connection.run_on_commit[queued:] = [
            (savepoints, _without_emails(func), robust)
            for savepoints, func, robust in connection.run_on_commit[queued:]
        ]
    return result


def _without_emails(func):
    def run() -> None:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            func()

    return run


def _load_demo(*, today: date | None = None) -> DemoResult:
    check_demo_data()
    _check_communes()
    _set_commune_coordinates()
    _delete_previous_demo()
    network, branches = _branches()
    users = _users()
    orgs = _organisations(branches)
    facilitators: dict[str, User] = {}
    for u in (*USERS, *CONTACTS):
        user = users[u.email]
        if u.network_admin:
            NetworkRole.objects.create(user=user, network=network, role=NetworkRole.Role.ADMIN)
        if u.facilitator_of:
            BranchRole.objects.create(
                user=user, branch=branches[u.facilitator_of], role=BranchRole.Role.FACILITATOR
            )
            facilitators[u.facilitator_of] = user
        if u.member_of:
            Membership.objects.create(
                user=user, organisation=orgs[u.member_of], role=u.member_role, job_title=u.job_title
            )
    count = _needs_offers(orgs, facilitators, today or timezone.localdate())
    program = silvergeek.load_program_demo(
        branch=branches[POITOU_CHARENTES.slug], today=today or timezone.localdate()
    )
    reindex_organisations([org.pk for org in orgs.values()])
    events_demo.load_events_demo(branches=branches, today=today or timezone.localdate())
    partnerships_demo.load_partnerships_demo(branches=branches, today=today or timezone.localdate())
    alliances_diagnosis_demo.load_diagnosis_demo(
        branch=branches[POITOU_CHARENTES.slug],
        facilitator=facilitators.get(POITOU_CHARENTES.slug),
        program=program,
        today=today or timezone.localdate(),
    )
    alliances_groups_demo.load_groups_demo(
        branch=branches[POITOU_CHARENTES.slug],
        facilitator=facilitators.get(POITOU_CHARENTES.slug),
        program=program,
    )
    contributions_demo.load_contributions_demo(
        program=program,
        facilitator=facilitators.get(POITOU_CHARENTES.slug),
        today=today or timezone.localdate(),
    )
    evaluation_demo.load_evaluation_demo(program=program, today=today or timezone.localdate())
    return DemoResult(
        organisations=len(orgs),
        needs_offers=count,
        branches=tuple(b.name for b in branches.values()),
        logins=tuple(DemoLogin(u.role_label, u.email, DEMO_PASSWORD) for u in USERS),
    )
