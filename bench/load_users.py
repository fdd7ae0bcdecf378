"""Locust users of the load test (bench/load.py starts `locust -f bench/load_users.py --headless`).

Two kinds of users, over loopback against `terreau serve`:
- visitors (anonymous): directory searches (text, filters, both, later pages), organisation pages, the map
  and its markers, events, the REST API;
- members (signed in through the login form, each the administrator of one organisation): their space,
  their organisation, its complementarity suggestions, the form of one of their needs, searches.

TERREAU_LOAD_PLAN names the JSON plan written by bench/load.py (slugs, accounts, communes...);
TERREAU_LOAD_WAIT is the think time between two pages, "min,max" seconds.

The users are Locust's FastHttpUser (geventhttpclient): Locust runs on the same 2 cores as the server, and the
requests-based HttpUser cost it several times more CPU per request, CPU taken from the server under test.
Production settings send cookies with the Secure flag and this test speaks plain HTTP on loopback (the TLS
proxy is not part of it): the cookie jar's policy treats plain HTTP as secure so that it keeps sending them.
Every user has its own address in
X-Forwarded-For, as behind the deployment's nginx (TERREAU_TRUSTED_PROXIES=1), so per-client limits (API
throttling, login lockout) count per user, not for the whole test.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from http.cookiejar import DefaultCookiePolicy

from load_vocabulary import KINDS, THEMES, TYPES, WORDS  # Locust puts this folder on sys.path
from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

PLAN = json.loads(open(os.environ["TERREAU_LOAD_PLAN"], encoding="utf-8").read())  # noqa: SIM115
WAIT = tuple(float(x) for x in os.environ.get("TERREAU_LOAD_WAIT", "1,3").split(","))
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

_clients = itertools.count(1)
_members = itertools.count(0)


class _Base(FastHttpUser):
    abstract = True
    wait_time = between(*WAIT)

    def on_start(self) -> None:
        n = next(_clients)
        self.client.cookiejar.set_policy(DefaultCookiePolicy(secure_protocols=("https", "http")))
        self.headers = {
            "X-Forwarded-For": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}",
            "Accept-Language": "fr-FR,fr;q=0.9",
        }

    def page(self, url: str, name: str, expect: str | None = None, headers: dict | None = None, **kwargs):
        headers = {**self.headers, **(headers or {})}
        with self.client.get(url, name=name, catch_response=True, headers=headers, **kwargs) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif expect is not None and expect not in response.text:
                response.failure(f"« {expect} » absent de la page")
            else:
                response.success()
        return response

    def search_params(self) -> dict:
        roll = random.random()
        params: dict = {}
        if roll < 0.55:
            params["q"] = random.choice(WORDS)
        elif roll < 0.7:
            params["q"] = random.choice(PLAN["communes"])
        if roll > 0.4 or not params:
            for key, values in (
                ("department", PLAN["departments"]),
                ("kind", KINDS),
                ("theme", THEMES),
                ("type", TYPES),
                ("branch", PLAN["branches"]),
            ):
                if random.random() < 0.3:
                    params[key] = random.choice(values)
            if "type" in params and random.random() < 0.5:
                params["direction"] = random.choice(("need", "offer"))
        return params

    def search(self) -> None:
        params = self.search_params()
        name = (
            "recherche "
            + ("texte" if "q" in params else "")
            + ("+filtres" if len(params) > ("q" in params) else "")
        )
        if not params:
            name = "recherche sans critère"
        htmx = random.random() < 0.3  # the results fragment, as the page's live filters ask for it
        headers = {"HX-Request": "true"} if htmx else {}
        self.page(
            "/",
            name.replace("recherche +", "recherche ") + (" (htmx)" if htmx else ""),
            params=params,
            headers=headers,
        )

    def organisation(self, slug: str | None = None) -> None:
        self.page(f"/organisations/{slug or random.choice(PLAN['org_slugs'])}/", "organisation")


class Visitor(_Base):
    """Someone looking for partners without an account."""

    weight = 3

    @task(30)
    def search_task(self) -> None:
        self.search()

    @task(5)
    def search_next_page(self) -> None:
        params = {"q": random.choice(WORDS[:8]), "page": random.randint(2, 5)}
        self.page("/", "recherche texte page 2-5", params=params)

    @task(25)
    def organisation_task(self) -> None:
        self.organisation()

    @task(4)
    def map_page(self) -> None:
        params = {"department": random.choice(PLAN["departments"])} if random.random() < 0.5 else {}
        self.page("/carte/", "carte", params=params)

    @task(5)
    def map_data(self) -> None:
        self.page(
            "/carte/donnees.json", "carte données", params={"department": random.choice(PLAN["departments"])}
        )

    @task(5)
    def events(self) -> None:
        self.page("/rencontres/", "rencontres (liste)")

    @task(3)
    def event(self) -> None:
        if PLAN["event_slugs"]:
            self.page(f"/rencontres/{random.choice(PLAN['event_slugs'])}/", "rencontre")

    @task(4)
    def api_organisations(self) -> None:
        self.page("/api/organisations/", "api organisations", params={"page": random.randint(1, 20)})

    @task(2)
    def api_needs(self) -> None:
        self.page("/api/needs/", "api besoins", params={"page": random.randint(1, 20)})


class Member(_Base):
    """The administrator of an organisation, signed in: its space, its suggestions, searches."""

    weight = 1

    def on_start(self) -> None:
        super().on_start()
        members = PLAN["members"][len(PLAN["probes"]) :]  # the probes' accounts are bench/load.py's
        self.account = members[next(_members) % len(members)]
        response = self.page("/comptes/connexion/", "connexion (formulaire)")
        token = CSRF.search(response.text)
        with self.client.post(
            "/comptes/connexion/",
            data={
                "username": self.account["email"],
                "password": PLAN["password"],
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            name="connexion (envoi)",
            headers={**self.headers, "Referer": self.host + "/comptes/connexion/"},
            catch_response=True,
        ) as posted:
            if posted.status_code != 200 or "sessionid" not in {c.name for c in self.client.cookiejar}:
                posted.failure(f"connexion refusée (HTTP {posted.status_code})")
            else:
                posted.success()

    @task(3)
    def space(self) -> None:
        self.page("/comptes/mon-espace/", "mon espace")

    @task(4)
    def suggestions(self) -> None:
        self.page(f"/complementarites/{self.account['slug']}/", "suggestions")

    @task(2)
    def own_organisation(self) -> None:
        self.organisation(self.account["slug"])

    @task(1)
    def need_form(self) -> None:
        if self.account.get("need_id"):
            self.page(f"/besoins-ressources/{self.account['need_id']}/modifier/", "besoin (formulaire)")

    @task(4)
    def search_task(self) -> None:
        self.search()


class DirectorySearcher(_Base):
    """Directory searches only, whole HTML pages (the 2,000,000-organisation case of bench/load.py)."""

    weight = 1

    @task(6)
    def text(self) -> None:
        self.page("/", "recherche texte", params={"q": random.choice(WORDS)})

    @task(3)
    def text_and_filters(self) -> None:
        params = self.search_params()
        params["q"] = random.choice(WORDS)
        self.page("/", "recherche texte+filtres", params=params)

    @task(2)
    def filters(self) -> None:
        params = self.search_params()
        params.pop("q", None)
        self.page("/", "recherche filtres", params=params)

    @task(1)
    def commune(self) -> None:
        self.page("/", "recherche commune", params={"q": random.choice(PLAN["communes"])})
