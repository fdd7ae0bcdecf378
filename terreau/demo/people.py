"""The demo network and one demo account per role (fictitious people, e-mails at example.org)."""

from __future__ import annotations

from dataclasses import dataclass

# Shared by every demo account and printed by `terreau load-demo`: it protects nothing real.
DEMO_PASSWORD = "demo-terreau-2026"  # noqa: S105

NETWORK_SLUG = "demo-reseau-labos-partenariats"
NETWORK_NAME = "Réseau des labos des partenariats (démo)"


@dataclass(frozen=True)
class DemoUser:
    role_label: str  # French, printed in the table of logins
    email: str
    first_name: str
    last_name: str
    network_admin: bool = False
    facilitator_of: str = ""  # branch slug
    member_of: str = ""  # organisation slug
    member_role: str = "member"  # Membership.Role value
    job_title: str = ""


USERS = (
    DemoUser(
        "Administratrice du réseau",
        "admin.reseau@demo.terreau.example.org",
        "Hélène",
        "Garnier",
        network_admin=True,
    ),
    DemoUser(
        "Animatrice de l'antenne Poitou-Charentes",
        "animatrice.poitou@demo.terreau.example.org",
        "Sophie",
        "Bernard",
        facilitator_of="demo-poitou-charentes",
    ),
    DemoUser(
        "Animateur de l'antenne Alsace",
        "animateur.alsace@demo.terreau.example.org",
        "Thomas",
        "Muller",
        facilitator_of="demo-alsace",
    ),
    DemoUser(
        "Directrice d'EHPAD (administratrice de la structure)",
        "direction.ehpad@demo.terreau.example.org",
        "Martine",
        "Rousseau",
        member_of="ehpad-les-glycines",
        member_role="admin",
        job_title="Directrice",
    ),
    DemoUser(
        "Responsable RSE d'une entreprise (membre)",
        "rse.entreprise@demo.terreau.example.org",
        "Julien",
        "Faure",
        member_of="sevre-et-marais-assurances",
        job_title="Responsable RSE",
    ),
    DemoUser(
        "Coordinatrice Unis-Cité (membre)",
        "coordination.uniscite@demo.terreau.example.org",
        "Léa",
        "Martin",
        member_of="unis-cite-poitiers",
        job_title="Coordinatrice des volontaires",
    ),
    DemoUser(
        "Coordinateur du programme Silver Geek",
        "coordination.silvergeek@demo.terreau.example.org",
        "Nicolas",
        "Girard",
    ),
    DemoUser(
        "Équipe d'un site d'accueil Silver Geek",
        "equipe.site@demo.terreau.example.org",
        "Nadia",
        "Lefèvre",
    ),
)
