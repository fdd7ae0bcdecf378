"""The demo network, one demo account per role and a few partner organisations' contacts (fictitious people,
e-mails at example.org), from data/people.json."""

from __future__ import annotations

from dataclasses import dataclass

from terreau.demo.records import read

_DATA = read("people.json")

# Shared by every demo account and printed by `terreau load-demo`: it protects nothing real.
DEMO_PASSWORD: str = _DATA["password"]

NETWORK_SLUG: str = _DATA["network"]["slug"]
NETWORK_NAME: str = _DATA["network"]["name"]


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


USERS: tuple[DemoUser, ...] = tuple(DemoUser(**user) for user in _DATA["users"])

# Members of partner organisations who write in the demo partnerships: accounts like the roles' (same
# password), not printed in the table of logins.
CONTACTS: tuple[DemoUser, ...] = tuple(DemoUser(role_label="", **user) for user in _DATA.get("contacts", ()))
