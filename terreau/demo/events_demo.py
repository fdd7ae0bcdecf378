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
from dataclasses import dataclass
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
    statuses: dict[int, str] | None = None,
    at: datetime,
    by: User | None = None,
) -> list[Registration]:
    """One registration per organisation, confirmed unless `statuses` (index → status) says otherwise,
    with the history a real registration would have."""
    statuses = statuses or {}
    rows = []
    for i, org in enumerate(orgs):
        person = _person(org, accounts)
        status = statuses.get(i, S.CONFIRMED)
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


def _past_meeting(branch: Branch, accounts: dict[str, User], facilitator: User | None, today: date) -> Event:
    day = today - timedelta(days=21)
    event = _event(
        branch,
        slug=MEETING_SLUG,
        organiser=facilitator,
        themes=["inclusion-numerique", "insertion-professionnelle", "solidarite"],
        kind=Event.Kind.MEETING,
        title="Rencontre associations-entreprises",
        description=(
            "Une après-midi pour que les associations et les entreprises de la Vienne et des Deux-Sèvres se "
            "découvrent : chacune présente en deux minutes ce qu'elle cherche et ce qu'elle peut offrir, puis "
            "les échanges continuent autour d'un café.\n\n"
            "Organisée par le Labo des partenariats avec la Maison des associations."
        ),
        starts_at=_at(day, 14),
        ends_at=_at(day, 17, 30),
        venue="Centre d'animation des Trois Cités",
        address="1 place des Trois Cités",
        commune_id="86194",
        capacity=40,
        registration_deadline=_at(day - timedelta(days=2), 18),
        audience=Event.Audience.EVERYONE,
    )
    orgs = _orgs(branch, MEETING_ORGS)
    # Most came; three confirmed people did not show up and two cancelled.
    statuses = dict.fromkeys(range(len(orgs)), S.ATTENDED)
    statuses.update({4: S.CONFIRMED, 9: S.CONFIRMED, 17: S.CONFIRMED, 6: S.CANCELLED, 19: S.CANCELLED})
    _register(event, orgs, accounts, statuses=statuses, at=_at(day - timedelta(days=15), 10), by=facilitator)
    return event


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


def _workshop(branch: Branch, accounts: dict[str, User], facilitator: User | None, today: date) -> Event:
    day = today + timedelta(days=12)
    event = _event(
        branch,
        slug=WORKSHOP_SLUG,
        organiser=facilitator,
        themes=["bien-vieillir", "inclusion-numerique"],
        kind=Event.Kind.WORKSHOP,
        title="Atelier bien vieillir et numérique",
        description=(
            "Un atelier de travail entre structures d'accueil de seniors, associations d'inclusion numérique et "
            "entreprises : partager ce qui marche, mettre en commun les besoins en matériel et en bénévoles, et "
            "préparer la prochaine saison des ateliers Silver Geek."
        ),
        starts_at=_at(day, 9, 30),
        ends_at=_at(day, 12, 30),
        venue="Résidence autonomie Les Glycines, salle polyvalente",
        address="12 rue des Glycines",
        commune_id="86194",
        capacity=20,
        registration_deadline=_at(day - timedelta(days=2), 18),
        audience=Event.Audience.EVERYONE,
    )
    counters: dict[str, int] = {}
    items = []
    for kind, text in WORKSHOP_ITEMS:
        counters[kind] = counters.get(kind, 0) + 1
        items.append(
            WorkshopItem(event=event, kind=kind, text=text, order=counters[kind], created_by=facilitator)
        )
    WorkshopItem.objects.bulk_create(items)
    _register(event, _orgs(branch, WORKSHOP_ORGS), accounts, at=_at(today - timedelta(days=3), 9))
    return event


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


def _speed_meeting(branch: Branch, accounts: dict[str, User], facilitator: User | None, today: date) -> Event:
    day = today + timedelta(days=24)
    event = _event(
        branch,
        slug=SPEED_MEETING_SLUG,
        organiser=facilitator,
        themes=["bien-vieillir", "inclusion-numerique"],
        kind=Event.Kind.SPEED_MEETING,
        title="Speed-meeting Silver Geek",
        description=(
            "Des rendez-vous d'affaires de 12 minutes entre associations et entreprises autour du programme "
            "Silver Geek : matériel, mécénat de compétences, bénévolat, communication.\n\n"
            "Avant la rencontre, chaque participant indique qui il souhaite rencontrer ; le Labo des "
            "partenariats calcule le planning et chacun reçoit son agenda personnel."
        ),
        starts_at=_at(day, 14),
        ends_at=_at(day, 17),
        venue="Technopole du Futuroscope, salle Éclipse",
        address="1 avenue du Futuroscope",
        commune_id="86194",
        capacity=40,
        registration_deadline=_at(day - timedelta(days=5), 18),
        audience=Event.Audience.EVERYONE,
    )
    orgs = _orgs(branch, SPEED_ASSOCIATIONS) + _orgs(branch, SPEED_COMPANIES)
    regs = _register(event, orgs, accounts, at=_at(today - timedelta(days=6), 11))
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
    return event


def _alsace(branch: Branch, accounts: dict[str, User], facilitator: User | None, today: date) -> Event:
    day = today + timedelta(days=33)
    event = _event(
        branch,
        slug=ALSACE_SLUG,
        organiser=facilitator,
        themes=["solidarite", "developpement-local"],
        kind=Event.Kind.MEETING,
        title="Petit-déjeuner des partenariats du Bas-Rhin",
        description=(
            "Associations et entreprises du Bas-Rhin se retrouvent autour d'un petit-déjeuner pour présenter "
            "leurs besoins et leurs ressources et lancer de nouveaux partenariats."
        ),
        starts_at=_at(day, 8, 30),
        ends_at=_at(day, 10, 30),
        venue="Maison des associations",
        address="1a place des Orphelins",
        commune_id="67482",
        capacity=25,
        audience=Event.Audience.EVERYONE,
    )
    _register(event, _orgs(branch, ALSACE_ORGS), accounts, at=_at(today - timedelta(days=2), 9))
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
    poitou = branches["demo-poitou-charentes"]
    alsace = branches["demo-alsace"]
    facilitator = accounts.get(POITOU_FACILITATOR)
    return [
        _past_meeting(poitou, accounts, facilitator, today),
        _workshop(poitou, accounts, facilitator, today),
        _speed_meeting(poitou, accounts, facilitator, today),
        _alsace(alsace, accounts, accounts.get(ALSACE_FACILITATOR), today),
    ]
