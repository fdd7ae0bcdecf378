"""No page answers 500, whatever it is given: with the demo data loaded, as each demo role, every URL pattern of
the project is requested with plausible and garbage parameters (unknown slugs, huge ids, long strings, bad
page numbers, unknown filter codes), and every endpoint receives empty and garbage POST bodies."""

from __future__ import annotations

import os
import re

import pytest
from django.test import Client, override_settings
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from tests import sweep_data

LONG = "x" * 3000
GARBAGE_QUERIES = [
    "?page=-1",
    "?page=abc",
    "?page=999999",
    "?page=1e99",
    f"?q={LONG}",
    "?q=%00%27%22%3C",
    "?kind=zzz&theme=zzz&type=zzz&department=zzz&branch=zzz&status=zzz&etat=zzz&site=abc",
    "?department=99999999999999999999&branch=-1&site=99999999999999999999",
    "?month=abc&year=abc&date=abc&week=abc&mois=13&annee=-5",
    "?month=2024-13&date=2024-02-31&from=abc&to=abc&start=abc&end=abc",
    "?format=zzz&fmt=zzz&sort=zzz&order=zzz&tri=zzz",
]
BAD_INTS = [999999, 0, 99999999999999999999]
BAD_STRS = ["abc", "x" * 300, "..", "inconnu.pdf"]
BAD_SLUGS = ["inconnu", "a" * 300]
RAW_PATHS = [
    "/organisations/../../etc/passwd",
    "/%2e%2e/%2e%2e/",
    "/organisations/%00/",
    "/programmes/" + "a" * 5000 + "/",
    "/export.exe",
    "/api/needs/abc/",
    "/api/organisations/?page=-1",
    "/api/needs/?theme=zzz&type=zzz&department=zzz&page=abc",
    "/api/communes/?q=" + LONG,
    "/territoires/communes/?q=" + LONG,
    "/territoires/communes/?q=%00",
    "/carte/donnees.json?kind=zzz&department=zzz&bbox=abc",
]
POSTED_VALUES = ["abc", "99999999999999999999", LONG, "2024-02-31"]
# Never POSTed: they would sign the client out for the rest of the run.
NO_POST = {"accounts:logout"}


def _patterns(patterns=None, prefix="", namespace=""):
    """(full name, converters by kwarg name) for every named URL pattern, admin excluded."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            if str(p.pattern).startswith("admin"):
                continue
            ns = ":".join(filter(None, [namespace, p.namespace]))
            yield from _patterns(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern) and p.name:
            yield (f"{namespace}:{p.name}" if namespace else p.name), list(p.pattern.regex.groupindex)


def _slug_for(name: str, o: dict) -> list[str]:
    if name.startswith(("programs:", "activities:")):
        return [o["program"].slug]
    if name.startswith(("events:", "meetings:")):
        return [o["event"].slug, o["speed"].slug]
    if name.startswith("matching:territory"):
        return [o["branch"].slug]
    return [o["organisation"].slug]


def _pk_for(name: str, o: dict) -> list[int]:
    """The real object each pattern's pk names (999999 when the demo has none)."""
    table = {
        "directory:import_report": "import_run",
        "directory:organisation_member_remove": "membership",
        "directory:need_offer_edit": "need",
        "directory:need_offer_status": "need",
        "partnerships:answer": "contact_request",
        "partnerships:detail": "partnership",
        "programs:partner_remove": "program_partner",
        "programs:team_remove": "program_role",
        "programs:site": "site",
        "programs:site_edit": "site",
        "programs:inventory": "site",
        "activities:mission_edit": "mission",
        "meetings:availability_manage": "speed_registration",
        "events:checkin_mark": "registration",
        "api-need-detail": "need",
        "api-offer-detail": "offer",
        "api-partnership-detail": "partnership",
    }
    prefixes = {
        "programs:kit": "kit",
        "programs:delivery_note": "kit",
        "programs:item": "item",
        "activities:session": "session",
        "activities:report": "session",
        "activities:participant": "participant",
        "activities:recurring": "recurring",
    }
    key = table.get(name) or next((v for k, v in prefixes.items() if name.startswith(k)), None)
    obj = o.get(key) if key else None
    return [obj.pk] if obj is not None else [999999]


def _plausible(name: str, data: sweep_data.SweepData) -> dict[str, list]:
    """Real values for each kwarg name of the pattern."""
    from terreau.events import tokens
    from terreau.meetings.services import participant_token

    o = data.objects
    if name.startswith("meetings:"):
        token_values = [participant_token(o["speed_registration_link"])]
    elif name == "events:qr_checkin":
        token_values = [tokens.make_token(o["registration"].pk, "checkin")]
    elif name == "events:confirm":
        token_values = [tokens.make_token(o["registration"].pk, "confirm")]
    else:
        token_values = [tokens.make_token(o["registration"].pk, "manage"), "abc"]
    return {
        "slug": _slug_for(name, o),
        "pk": _pk_for(name, o),
        "token": token_values,
        "fmt": ["csv", "xlsx", "json", "pdf"],
        "format": ["json"],
        "action": ["repair", "retire", "return", "lost", "found", "assign"],
        "code": ["86", "86194"],
        "uidb64": ["MQ"],
    }


def _urls(data: sweep_data.SweepData) -> tuple[list[tuple[str, str]], list[str]]:
    """([(name, plausible path)], [garbage paths])."""
    plausible: list[tuple[str, str]] = []
    garbage: list[str] = []
    seen: set[str] = set()
    for name, kwargs in _patterns():
        values = _plausible(name, data)
        combos: list[dict] = [{}]
        for kw in kwargs:
            combos = [{**c, kw: v} for c in combos for v in values.get(kw, ["abc"])]
        for combo in combos:
            try:
                path = reverse(name, kwargs=combo)
            except NoReverseMatch:
                continue
            if path not in seen:
                seen.add(path)
                plausible.append((name, path))
        for kw in kwargs:
            bad = BAD_SLUGS if kw == "slug" else [str(i) for i in BAD_INTS] if kw == "pk" else BAD_STRS
            for value in bad:
                combo = {k: values.get(k, ["abc"])[0] for k in kwargs} | {kw: value}
                try:
                    garbage.append(reverse(name, kwargs=combo))
                except NoReverseMatch:
                    continue
    for path in [*data.urls.values(), *data.downloads.values()]:
        if path not in seen:
            seen.add(path)
            plausible.append(("", path))
    return plausible, garbage


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with (
        django_db_blocker.unblock(),
        override_settings(
            TERREAU_GEOCODER_URL="",
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        ),
    ):
        data = sweep_data.build()
        try:
            yield data, _urls(data)
        finally:
            sweep_data.reset_database()


def _client(data, role: str) -> Client:
    client = Client(raise_request_exception=False)
    if sweep_data.ROLES[role]:
        client.force_login(data.objects["users"][role])
    return client


def _form_fields(html: bytes) -> set[str]:
    return set(re.findall(rb'name="([^"]+)"', html)) - {b"csrfmiddlewaretoken"}


# The SQLite pass sweeps every role; the PostgreSQL pass of CI a sample (the sweep is the suite's slowest test,
# 45 s per role on a quiet 2-core machine, up to 3 minutes under load, and what differs between the engines is in the queries, which
# these roles reach through the pages of all the others: public pages, a branch's staff, a program's team).
# CI (.ci/run) runs both passes one after the other with TERREAU_CI_SPLIT set (see tests/conftest.py): the SQLite pass
# then sweeps only the roles the PostgreSQL pass does not, so that every role is swept once per CI run on one engine.
# The README's test command alone (SQLite, no variable) sweeps every role.
PG_SAMPLE = ("anonymous", "poitou_facilitator", "silvergeek_coordinator", "site_staff")
_ON_POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
SWEPT_ROLES = [
    role
    for role in sweep_data.ROLES
    if (role in PG_SAMPLE) == _ON_POSTGRESQL
    or (not _ON_POSTGRESQL and not os.environ.get("TERREAU_CI_SPLIT"))
]


# Non-transactional: every role's requests are rolled back after its test, the demo stays as loaded.
@pytest.mark.django_db
@pytest.mark.parametrize("role", SWEPT_ROLES)
def test_no_page_answers_500(role, demo, settings):
    settings.AXES_ENABLED = False  # garbage login posts must not lock the demo accounts for later roles
    data, (plausible, garbage) = demo
    client = _client(data, role)
    failures: list[str] = []

    def check(method: str, path: str, body=None) -> bytes:
        response = getattr(client, method)(path, body or {}) if method == "post" else client.get(path)
        if response.status_code >= 500:
            failures.append(
                f"{method.upper()} {path[:200]} {str(body)[:120] if body else ''}-> {response.status_code}"
            )
        return getattr(response, "content", b"") if not getattr(response, "streaming", False) else b""

    fields: dict[str, set[str]] = {}
    for _name, path in plausible:
        html = check("get", path)
        fields[path] = {f.decode("utf-8", "replace") for f in _form_fields(html)}
    # Garbage query strings on every page without parameters in its path, and the first of each pattern.
    firsts = {name or path: path for name, path in reversed(plausible)}
    for path in firsts.values():
        for query in GARBAGE_QUERIES:
            check("get", path + query)
    for path in garbage + RAW_PATHS:
        check("get", path)
    # Forged posts: empty, then every field the page shows (plus common ones) set to each garbage value.
    for name, path in plausible:
        if name in NO_POST:
            continue
        check("post", path)
        names = fields.get(path, set()) | {"action", "status", "page", "pk", "id", "q"}
        for value in POSTED_VALUES:
            check("post", path, dict.fromkeys(names, value))
        if sweep_data.ROLES[role] and "_auth_user_id" not in client.session:
            client.force_login(data.objects["users"][role])  # a post may have signed the client out
    assert not failures, f"{role}: {len(failures)} answers 500\n" + "\n".join(failures[:80])


def _admin_pages(client: Client) -> list[tuple[str, int]]:
    """(path, expected status) of every registered model's change list and of the change page of its first
    row the user may see: 200 where the model's admin lets the user in, 403 elsewhere (deny by default)."""
    from django.contrib import admin

    request = client.get(reverse("admin:index")).wsgi_request
    pages = [(reverse("admin:index"), 200)]
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        allowed = model_admin.has_view_permission(request)
        pages.append((reverse("admin:{}_{}_changelist".format(*info)), 200 if allowed else 403))
        first = model_admin.get_queryset(request).order_by("pk").first() if allowed else None
        if first is not None:
            pages.append((reverse("admin:{}_{}_change".format(*info), args=[first.pk]), 200))
    return pages


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["superuser", "network_admin"])
def test_every_admin_page_renders(role, demo, django_user_model):
    """The admin of every model renders for a superuser and for the head office (configuration errors such
    as a wrong readonly field only show when a page is drawn); the head office reaches every model of the
    domain apps (scoped to its network) but not accounts, networks and branches, nor the framework's own
    (groups, login attempts, tokens), which stay with superusers."""
    data, _urls_ = demo
    client = Client(raise_request_exception=False)
    if role == "superuser":
        client.force_login(
            django_user_model.objects.create_superuser(email="root@example.org", password="x-Terreau-2026")
        )
    else:
        client.force_login(data.objects["users"][role])
    failures, denied = [], set()
    for path, expected in _admin_pages(client):
        status = client.get(path).status_code
        if status != expected:
            failures.append(f"{path} -> {status} (expected {expected})")
        if expected == 403:
            denied.add(path.split("/")[2])
    assert not failures, failures
    if role == "superuser":
        assert not denied
    else:
        # Superusers' only: accounts, the login records, tokens, networks, e-mails and notifications (personal),
        # and the job queue where it exists (PostgreSQL).
        assert denied - {"procrastinate"} == {
            "accounts",
            "auth",
            "authtoken",
            "axes",
            "core",
            "notifications",
        }, denied


TERREAU_APPS = {
    "core",
    "directory",
    "partnerships",
    "matching",
    "events",
    "meetings",
    "programs",
    "activities",
}
