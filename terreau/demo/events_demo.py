"""Demo events: in Poitou-Charentes a past "Rencontre associations-entreprises" with its attendance, an
upcoming workshop "Atelier bien vieillir et numérique" with its agenda, notes and decisions, and an upcoming
"Speed-meeting Silver Geek" with about 30 associations and companies, their wishes and a provisional plan
computed by the meeting planner; in Alsace an upcoming meeting. Every event is flagged is_demo (its
registrations, workshop items, speed-meeting, wishes and plan go with it).

Called by terreau.demo.loader at the end of load_demo, after the demo organisations and accounts exist. No
e-mail is sent: registrations and wishes are written directly, and the provisional plan is published
without notifying anyone.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from terreau.accounts.models import User
from terreau.core.models import Branch
from terreau.directory.models import Organisation
from terreau.events.models import Event, Registration, RegistrationChange, WorkshopItem
from terreau.meetings import services as meeting_services
from terreau.meetings.models import Participation, Wish

S = Registration.Status

MEETING_SLUG = "demo-rencontre-associations-entreprises-poitou"
WORKSHOP_SLUG = "demo-atelier-bien-vieillir-et-numerique"
SPEED_MEETING_SLUG = "demo-speed-meeting-silver-geek"
ALSACE_SLUG = "demo-rencontre-partenariats-bas-rhin"
SLUGS = (MEETING_SLUG, WORKSHOP_SLUG, SPEED_MEETING_SLUG, ALSACE_SLUG)

POITOU_FACILITATOR = "animatrice.poitou@demo.terreau.example.org"
ALSACE_FACILITATOR = "animateur.alsace@demo.terreau.example.org"
# Demo accounts who take part (so that signing in as them shows their registrations and agenda).
ACCOUNT_OF = {
    "sevre-et-marais-assurances": "rse.entreprise@demo.terreau.example.org",
    "unis-cite-poitiers": "coordination.uniscite@demo.terreau.example.org",
    "ehpad-les-glycines": "direction.ehpad@demo.terreau.example.org",
}

SPEED_ASSOCIATIONS = (
    "unis-cite-poitiers",
    "solidatech",
    "les-trois-cites",
    "generation-entraide-vienne",
    "numeri-aines-chatellerault",
    "club-informatique-saintais",
    "repair-cafe-du-marais",
    "passerelles-competences-poitiers",
    "futurolan",
    "spn",
    "sport-sante-seniors-charente",
    "amicale-retraites-surgeres",
    "savoirs-partages-vienne",
    "compagnons-numerique-charentais",
    "mauleon-seniors-actifs",
)
SPEED_COMPANIES = (
    "la-poste",
    "orange",
    "sevre-et-marais-assurances",
    "pictavia-conseil-informatique",
    "transports-giraud-charente",
    "atelier-graphique-clain-et-vienne",
    "fournil-des-remparts",
    "cooperative-laitiere-du-mellois",
    "cabinet-bernard-et-associes",
    "distillerie-vallon-des-borderies",
    "energies-littoral-atlantique",
    "hypermarche-du-bocage",
    "gatine-digitale",
    "aeronautique-chatelleraudaise-precision",
    "librairie-le-marque-page",
)
# A few participants are wanted by many (skewed popularity, as in real speed-meetings).
POPULAR = {"la-poste": 5, "orange": 5, "solidatech": 4, "unis-cite-poitiers": 4, "gatine-digitale": 3}

MEETING_ORGS = (
    "le-rameau",
    "solidatech",
    "unis-cite-poitiers",
    "les-trois-cites",
    "radio-pictave",
    "emploi-solidaire-charente",
    "jeunes-et-territoires-17",
    "epicerie-solidaire-la-passerelle",
    "atelier-velo-roue-libre",
    "logement-solidaire-vienne",
    "elles-entreprennent-vienne",
    "makers-chatelleraudais",
    "la-poste",
    "orange",
    "sevre-et-marais-assurances",
    "pictavia-conseil-informatique",
    "transports-giraud-charente",
    "fournil-des-remparts",
    "cabinet-bernard-et-associes",
    "energies-littoral-atlantique",
    "hypermarche-du-bocage",
    "gatine-digitale",
)
WORKSHOP_ORGS = (
    "ehpad-les-glycines",
    "unis-cite-poitiers",
    "solidatech",
    "generation-entraide-vienne",
    "numeri-aines-chatellerault",
    "sport-sante-seniors-charente",
    "amicale-retraites-surgeres",
    "la-poste",
    "sevre-et-marais-assurances",
)
ALSACE_ORGS = (
    "entraide-seniors-robertsau",
    "jardins-du-ried",
    "theatre-de-poche-saverne",
    "obernai-velo-solidaire",
    "transports-kieffer",
    "brasserie-du-houblon-haguenau",
    "alsace-conseil-informatique",
)

FIRST_NAMES = (
    "Camille", "Antoine", "Sarah", "Mathieu", "Claire", "Karim", "Élodie", "Pierre", "Manon", "Yannick",
    "Aurélie", "Sébastien", "Laura", "Olivier", "Amandine", "Romain", "Fatima", "Guillaume", "Émilie",
    "Vincent", "Céline", "Hugo", "Nathalie", "Damien", "Justine", "Franck", "Pauline", "Cédric", "Marion",
    "Jérôme", "Sandrine", "Bastien",
)  # fmt: skip
LAST_NAMES = (
    "Dubois", "Lambert", "Mercier", "Chevalier", "Roux", "Fontaine", "Gauthier", "Perrin", "Morin",
    "Clément", "Boyer", "Guérin", "Baron", "Renaud", "Marchand", "Picard", "Brunet", "Giraud", "Joly",
    "Rivière", "Lucas", "Caron", "Arnaud", "Bertin", "Collet", "Masson", "Benoît", "Huet", "Leclerc",
    "Vidal", "Poirier", "Charpentier",
)  # fmt: skip


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    user: User | None


def delete_events_demo() -> None:
    """Remove the previous demo events (their registrations, workshop items and speed-meeting go with them)."""
    Event.objects.filter(is_demo=True).delete()


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _orgs(branch: Branch, slugs: tuple[str, ...]) -> list[Organisation]:
    """The demo organisations named by slug (or slug-demo when the slug was taken), in the given order."""
    found = Organisation.objects.filter(
        Q(slug__in=slugs) | Q(slug__in=[f"{s}-demo" for s in slugs]), branch=branch, is_demo=True
    )
    by_slug = {org.slug.removesuffix("-demo"): org for org in found}
    return [by_slug[s] for s in slugs if s in by_slug]


# Every organisation taking part in a demo event, each with its own fictitious contact person.
CONTACTS = tuple(
    dict.fromkeys((*MEETING_ORGS, *WORKSHOP_ORGS, *SPEED_ASSOCIATIONS, *SPEED_COMPANIES, *ALSACE_ORGS))
)


def _person(org: Organisation, accounts: dict[str, User]) -> Person:
    """The organisation's contact: a demo account when there is one, otherwise a fictitious person (the
    same one at every event, and no two organisations share a name)."""
    key = org.slug.removesuffix("-demo")
    user = accounts.get(ACCOUNT_OF.get(key, ""))
    if user is not None:
        return Person(user.get_full_name(), user.email, user)
    index, n = CONTACTS.index(key), len(FIRST_NAMES)
    first, last = FIRST_NAMES[index % n], LAST_NAMES[(index + index // n) % len(LAST_NAMES)]
    email = f"{slugify(first)}.{slugify(last)}@{key}.demo.terreau.example.org"
    return Person(f"{first} {last}", email, None)


def _event(branch: Branch, *, slug: str, organiser: User | None, themes=(), **fields) -> Event:
    event = Event.objects.create(branch=branch, slug=slug, is_published=True, is_demo=True, **fields)
    if organiser is not None:
        event.organisers.add(organiser)
    event.themes.set(themes)
    return event


def _register(
    event: Event,
    orgs: list[Organisation],
    accounts: dict[str, User],
    *,
    default: str = S.CONFIRMED,
    statuses: Mapping[int, str] | None = None,
    at: datetime,
    by: User | None = None,
) -> list[Registration]:
    """One registration per organisation, with status `default` unless `statuses` (index → status) says
    otherwise, and the history a real registration would have."""
    statuses = statuses or {}
    rows = []
    for i, org in enumerate(orgs):
        person = _person(org, accounts)
        status = statuses.get(i, default)
        rows.append(
            Registration(
                event=event,
                user=person.user,
                name=person.name,
                email=person.email,
                organisation=org,
                status=status,
                attended_at=event.starts_at + timedelta(minutes=5 + i % 20) if status == S.ATTENDED else None,
                checked_in_by=by if status == S.ATTENDED else None,
            )
        )
    Registration.objects.bulk_create(rows)
    history = []
    for row in rows:
        path = {
            S.CONFIRMED: ["", S.PENDING, S.CONFIRMED],
            S.ATTENDED: ["", S.PENDING, S.CONFIRMED, S.ATTENDED],
            S.CANCELLED: ["", S.PENDING, S.CONFIRMED, S.CANCELLED],
        }[row.status]
        for before, after in zip(path, path[1:], strict=False):
            history.append(
                RegistrationChange(
                    registration=row,
                    from_state=before,
                    to_state=after,
                    by=by if after == S.ATTENDED else row.user,
                    note=_("Accueil") if after == S.ATTENDED else "",
                )
            )
    RegistrationChange.objects.bulk_create(history)
    # Dates a real history would have: registered at `at`, cancelled a few days before, present at the door.
    for change in history:
        if change.to_state == S.ATTENDED:
            change.at = change.registration.attended_at
        elif change.to_state == S.CANCELLED:
            change.at = min(at + timedelta(days=5), event.starts_at - timedelta(days=1))
        else:
            change.at = at
    RegistrationChange.objects.bulk_update(history, ["at"])
    Registration.objects.filter(pk__in=[r.pk for r in rows]).update(created_at=at)
    return rows


def _add_workshop_items(event: Event, items: tuple[tuple[str, str], ...], by: User | None) -> None:
    """The workshop's agenda, notes and decisions, numbered in order within each kind."""
    counters: dict[str, int] = {}
    rows = []
    for kind, text in items:
        counters[kind] = counters.get(kind, 0) + 1
        rows.append(WorkshopItem(event=event, kind=kind, text=text, order=counters[kind], created_by=by))
    WorkshopItem.objects.bulk_create(rows)


def _wishes(regs: list[Registration], rng: random.Random) -> list[Wish]:
    """Each association wishes 3 to 5 companies and each company 2 to 4 associations, popular ones more often;
    the first wish is a "must"; now and then a "no thanks"."""
    assos = [r for r in regs if r.organisation.kind == "association"]
    companies = [r for r in regs if r.organisation.kind == "company"]
    wishes: list[Wish] = []
    for mine, others, count in ((assos, companies, (3, 5)), (companies, assos, (2, 4))):
        weights = [POPULAR.get(r.organisation.slug.removesuffix("-demo"), 1) for r in others]
        for source in mine:
            chosen: list[Registration] = []
            while len(chosen) < rng.randint(*count):
                target = rng.choices(others, weights=weights)[0]
                if target not in chosen:
                    chosen.append(target)
            for i, target in enumerate(chosen):
                level = Wish.Level.MUST if i == 0 else Wish.Level.LIKE
                wishes.append(Wish(source=source, target=target, level=level))
            if rng.random() < 0.15:
                rest = [r for r in others if r not in chosen]
                wishes.append(Wish(source=source, target=rng.choice(rest), level=Wish.Level.NO))
    return wishes


def _plan_speed_meeting(event: Event, day: date, facilitator: User | None) -> None:
    """Set up the speed-meeting of a registered event, with wishes, a few unavailabilities and a provisional
    plan published without notifying anyone."""
    regs = list(Registration.objects.filter(event=event).select_related("organisation").order_by("pk"))
    sm = meeting_services.speed_meeting_setup(
        event=event,
        data={
            "rounds": 6,
            "round_minutes": 12,
            "break_minutes": 3,
            "first_round_at": _at(day, 14, 30),
            "tables": 12,
            "wishes_deadline": _at(day - timedelta(days=3), 18),
            "bipartite": True,
        },
        by=facilitator,
    )
    rng = random.Random(2026)  # the same demo every time
    Wish.objects.bulk_create(_wishes(regs, rng))
    # Three participants cannot attend every round.
    Participation.objects.bulk_create(
        [
            Participation(registration=regs[2], unavailable_rounds=[0]),
            Participation(registration=regs[9], unavailable_rounds=[4, 5]),
            Participation(registration=regs[20], unavailable_rounds=[5]),
        ]
    )
    meeting_services.plan_run(sm=sm, by=facilitator, time_limit=5.0)
    meeting_services.plan_publish(sm=sm, final=False, by=facilitator, notify=False)


WORKSHOP_ITEMS = (
    (WorkshopItem.Kind.AGENDA, "Accueil et tour de table : qui accompagne déjà les seniors au numérique ?"),
    (WorkshopItem.Kind.AGENDA, "Retour d'expérience des ateliers Silver Geek en EHPAD et en résidence autonomie."),
    (WorkshopItem.Kind.AGENDA, "Les besoins des structures : tablettes, connexion, animateurs, transport des seniors."),
    (WorkshopItem.Kind.AGENDA, "Qui peut offrir quoi ? Matériel reconditionné, mécénat de compétences, volontaires."),
    (WorkshopItem.Kind.AGENDA, "Prochaines étapes et répartition des rôles."),
    (
        WorkshopItem.Kind.NOTE,
        "Réunion de préparation : huit structures d'accueil ont répondu au questionnaire ; six demandent des "
        "tablettes, quatre un accompagnement des équipes.",
    ),
    (
        WorkshopItem.Kind.NOTE,
        "La connexion Wi-Fi reste le premier frein dans les EHPAD ruraux : prévoir des clés 4G dans les kits.",
    ),
    (
        WorkshopItem.Kind.DECISION,
        "Un groupe de travail « matériel » est créé avec Solidatech pour recenser les tablettes reconditionnées "
        "disponibles.",
    ),
    (
        WorkshopItem.Kind.DECISION,
        "Les volontaires d'Unis-Cité présenteront les ateliers Silver Geek lors de l'atelier.",
    ),
)  # fmt: skip


@dataclass(frozen=True)
class DemoEvent:
    """One demo event: what its page says, when it happens relative to the day the demo is loaded, and who
    registered (the demo organisations `orgs`, by slug)."""

    slug: str
    branch: str  # slug of the demo branch
    organiser: str  # e-mail of the demo facilitator who organises it
    kind: str
    title: str
    description: str
    themes: tuple[str, ...]
    day: int  # days from the loading day (negative: in the past)
    starts: tuple[int, int]  # (hour, minute)
    ends: tuple[int, int]
    venue: str
    address: str
    commune_id: str
    capacity: int
    deadline: int | None  # registrations close this many days before, at 18:00 (None: at the start)
    orgs: tuple[str, ...]
    registered: tuple[int, int]  # (days before the loading day, hour) when the registrations were made
    status: str = S.CONFIRMED  # of every registration, except those listed in `statuses` (index → status)
    statuses: Mapping[int, str] = field(default_factory=dict)
    workshop_items: tuple[tuple[str, str], ...] = ()
    speed_meeting: bool = False  # set up with wishes and a provisional plan


DEMO_EVENTS = (
    DemoEvent(
        slug=MEETING_SLUG,
        branch="demo-poitou-charentes",
        organiser=POITOU_FACILITATOR,
        kind=Event.Kind.MEETING,
        title="Rencontre associations-entreprises",
        description=(
            "Une après-midi pour que les associations et les entreprises de la Vienne et des Deux-Sèvres se "
            "découvrent : chacune présente en deux minutes ce qu'elle cherche et ce qu'elle peut offrir, puis "
            "les échanges continuent autour d'un café.\n\n"
            "Organisée par le Labo des partenariats avec la Maison des associations."
        ),
        themes=("inclusion-numerique", "insertion-professionnelle", "solidarite"),
        day=-21,
        starts=(14, 0),
        ends=(17, 30),
        venue="Centre d'animation des Trois Cités",
        address="1 place des Trois Cités",
        commune_id="86194",
        capacity=40,
        deadline=2,
        orgs=MEETING_ORGS,
        registered=(36, 10),
        # Most came; three confirmed people did not show up and two cancelled.
        status=S.ATTENDED,
        statuses={4: S.CONFIRMED, 9: S.CONFIRMED, 17: S.CONFIRMED, 6: S.CANCELLED, 19: S.CANCELLED},
    ),
    DemoEvent(
        slug=WORKSHOP_SLUG,
        branch="demo-poitou-charentes",
        organiser=POITOU_FACILITATOR,
        kind=Event.Kind.WORKSHOP,
        title="Atelier bien vieillir et numérique",
        description=(
            "Un atelier de travail entre structures d'accueil de seniors, associations d'inclusion numérique et "
            "entreprises : partager ce qui marche, mettre en commun les besoins en matériel et en bénévoles, et "
            "préparer la prochaine saison des ateliers Silver Geek."
        ),
        themes=("bien-vieillir", "inclusion-numerique"),
        day=12,
        starts=(9, 30),
        ends=(12, 30),
        venue="Résidence autonomie Les Glycines, salle polyvalente",
        address="12 rue des Glycines",
        commune_id="86194",
        capacity=20,
        deadline=2,
        orgs=WORKSHOP_ORGS,
        registered=(3, 9),
        workshop_items=WORKSHOP_ITEMS,
    ),
    DemoEvent(
        slug=SPEED_MEETING_SLUG,
        branch="demo-poitou-charentes",
        organiser=POITOU_FACILITATOR,
        kind=Event.Kind.SPEED_MEETING,
        title="Speed-meeting Silver Geek",
        description=(
            "Des rendez-vous d'affaires de 12 minutes entre associations et entreprises autour du programme "
            "Silver Geek : matériel, mécénat de compétences, bénévolat, communication.\n\n"
            "Avant la rencontre, chaque participant indique qui il souhaite rencontrer ; le Labo des "
            "partenariats calcule le planning et chacun reçoit son agenda personnel."
        ),
        themes=("bien-vieillir", "inclusion-numerique"),
        day=24,
        starts=(14, 0),
        ends=(17, 0),
        venue="Technopole du Futuroscope, salle Éclipse",
        address="1 avenue du Futuroscope",
        commune_id="86194",
        capacity=40,
        deadline=5,
        orgs=SPEED_ASSOCIATIONS + SPEED_COMPANIES,
        registered=(6, 11),
        speed_meeting=True,
    ),
    DemoEvent(
        slug=ALSACE_SLUG,
        branch="demo-alsace",
        organiser=ALSACE_FACILITATOR,
        kind=Event.Kind.MEETING,
        title="Petit-déjeuner des partenariats du Bas-Rhin",
        description=(
            "Associations et entreprises du Bas-Rhin se retrouvent autour d'un petit-déjeuner pour présenter "
            "leurs besoins et leurs ressources et lancer de nouveaux partenariats."
        ),
        themes=("solidarite", "developpement-local"),
        day=33,
        starts=(8, 30),
        ends=(10, 30),
        venue="Maison des associations",
        address="1a place des Orphelins",
        commune_id="67482",
        capacity=25,
        deadline=None,
        orgs=ALSACE_ORGS,
        registered=(2, 9),
    ),
)


def _load_event(spec: DemoEvent, branch: Branch, accounts: dict[str, User], today: date) -> Event:
    day = today + timedelta(days=spec.day)
    organiser = accounts.get(spec.organiser)
    event = _event(
        branch,
        slug=spec.slug,
        organiser=organiser,
        themes=spec.themes,
        kind=spec.kind,
        title=spec.title,
        description=spec.description,
        starts_at=_at(day, *spec.starts),
        ends_at=_at(day, *spec.ends),
        venue=spec.venue,
        address=spec.address,
        commune_id=spec.commune_id,
        capacity=spec.capacity,
        registration_deadline=(
            _at(day - timedelta(days=spec.deadline), 18) if spec.deadline is not None else None
        ),
        audience=Event.Audience.EVERYONE,
    )
    if spec.workshop_items:
        _add_workshop_items(event, spec.workshop_items, organiser)
    days_ago, hour = spec.registered
    _register(
        event,
        _orgs(branch, spec.orgs),
        accounts,
        default=spec.status,
        statuses=spec.statuses,
        at=_at(today - timedelta(days=days_ago), hour),
        by=organiser,
    )
    if spec.speed_meeting:
        _plan_speed_meeting(event, day, organiser)
    return event


def load_events_demo(*, branches: dict[str, Branch], today: date) -> list[Event]:
    """(Re)create the demo events of the Poitou-Charentes and Alsace demo branches."""
    from terreau.demo.loader import DemoError  # imported here: the loader imports this module

    delete_events_demo()
    taken = sorted(Event.objects.filter(slug__in=SLUGS).values_list("slug", flat=True))
    if taken:
        raise DemoError(
            _("Des rencontres réelles utilisent déjà les adresses de démonstration : %(slugs)s.")
            % {"slugs": ", ".join(taken)}
        )
    emails = [*ACCOUNT_OF.values(), POITOU_FACILITATOR, ALSACE_FACILITATOR]
    accounts = {u.email: u for u in User.objects.filter(email__in=emails, is_demo=True)}
    return [_load_event(spec, branches[spec.branch], accounts, today) for spec in DEMO_EVENTS]
