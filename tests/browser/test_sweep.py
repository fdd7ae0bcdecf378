"""Site-wide sweep, as each demo role sees the site: every main page that role can reach, at 768 px and 390 px.

On every page: HTTP status below 400, no console error, no Content-Security-Policy violation (the policy is
enforced here, not bypassed), no horizontal scroll at 768 px, and no serious or critical WCAG 2.1 A/AA
violation reported by axe-core. The demo data is loaded once for the module (tests/sweep_data.py) and served by
a live server of the module's own; one browser context per role.
"""

from __future__ import annotations

import hashlib

import pytest
from django.test import override_settings
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from terreau.demo.people import DEMO_PASSWORD
from tests import sweep_data
from tests.browser.conftest import AXE_JS, assert_accessible, login

WIDTHS = (768, 390)
# Records CSP violations (enforced policy) so that the test can read them after each page.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sourceFile || ''));
});
"""

# The innermost elements sticking out on the right, to tell where a horizontal scroll comes from.
WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && e.children.length === 0)
  .slice(0, 3).map((e) => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
    + ' ' + Math.round(e.getBoundingClientRect().right))"""


@pytest.fixture(scope="module")
def sweep(django_db_setup, django_db_blocker):
    """Demo data and a live server for the whole module; the database is emptied (reference data kept)
    afterwards, as a transactional test would leave it."""
    from pytest_django.live_server_helper import LiveServer

    with (
        django_db_blocker.unblock(),
        override_settings(
            TERREAU_TILE_URL="",
            TERREAU_GEOCODER_URL="",
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            STORAGES={
                "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
            },
        ),
    ):
        data = sweep_data.build()
        server = LiveServer("localhost")
        server._live_server_modified_settings.enable()
        try:
            yield server.url, data, set()
        finally:
            server._live_server_modified_settings.disable()
            server.stop()
            sweep_data.reset_database()


# What the layout and axe-core depend on: the header and the main content, CSRF tokens left out. Two roles
# shown the very same page need not check it twice.
FINGERPRINT = """() => (document.querySelector('header')?.outerHTML || '') + (document.querySelector('main')?.outerHTML
  || document.body.outerHTML).replace(/name="csrfmiddlewaretoken" value="[^"]*"/g, '')"""


def _blank(page: Page) -> None:
    for _attempt in range(3):
        try:
            page.goto("about:blank")
            return
        except PlaywrightError:  # interrupted by Chromium's own error page: try again
            page.wait_for_timeout(100)


def _check_page(page: Page, key: str, path: str, expected: bool, seen: set[str]) -> list[str]:
    """Open the page (redirects followed); when the role may see it, check it at each width."""
    errors: list[str] = []

    def on_console(msg):
        if msg.type == "error":
            errors.append(msg.text)

    def on_error(exc):
        errors.append(f"uncaught {exc}")

    page.on("console", on_console)
    page.on("pageerror", on_error)
    try:
        try:
            response = page.goto(path)
            status = response.status if response else 0
        except PlaywrightError:  # an empty error body (405...) fails the navigation itself
            status = page.request.get(path).status
        sent_to_login = "/comptes/connexion/" in page.url and key != "login"
        if status >= 500 or (expected and (status >= 400 or sent_to_login)):
            _blank(page)
            return [f"{key} {path}: expected reachable, got HTTP {status} at {page.url}"]
        if status >= 400 or sent_to_login:
            _blank(page)  # the error page's own console messages must not reach the next page
            return []  # not for this role
        problems: list[str] = []
        fingerprint = hashlib.sha256(page.evaluate(FINGERPRINT).encode()).hexdigest()
        widths = () if fingerprint in seen else WIDTHS
        seen.add(fingerprint)
        for width in widths:
            page.set_viewport_size({"width": width, "height": 1024})
            if width == 768:
                scroll = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
                if scroll[0] > scroll[1] + 1:
                    wide = page.evaluate(WIDEST)
                    problems.append(
                        f"{path}: horizontal scroll at 768 px ({scroll[0]} > {scroll[1]}): {wide}"
                    )
            try:
                assert_accessible(page)
            except AssertionError as exc:
                problems.append(f"{path} at {width} px: axe-core {exc}")
        page.set_viewport_size({"width": 768, "height": 1024})
        csp = page.evaluate("() => window.__cspViolations || []")
        problems.extend(f"{path}: CSP violation {v}" for v in csp)
        problems.extend(f"{path}: console {e}" for e in errors)
        return problems
    finally:
        page.remove_listener("console", on_console)
        page.remove_listener("pageerror", on_error)


def sweep_role(browser, base_url: str, data, role: str, seen: set[str]) -> list[str]:
    """Visit every page the role can reach; returns the problems found (empty when all is well)."""
    context = browser.new_context(viewport={"width": 768, "height": 1024}, locale="fr-FR", base_url=base_url)
    # axe-core comes in through an init script (not subject to the page's policy): the CSP stays enforced.
    context.add_init_script(path=str(AXE_JS))
    context.add_init_script(script=CSP_LISTENER)
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    try:
        email = sweep_data.ROLES[role]
        if email:
            login(page, email, DEMO_PASSWORD)
            if "/comptes/connexion/" in page.url:
                return [f"{role}: login failed"]
        for key, path in data.urls.items():
            if not (email and key == "login"):
                problems += _check_page(page, key, path, key in data.expected[role], seen)
        for key, path in data.downloads.items():
            status = page.request.get(path, max_redirects=0).status
            if status >= 500:
                problems.append(f"{key} {path}: HTTP {status}")
    finally:
        context.close()
    return problems


# Non-transactional: the module's data is committed once; what a test's requests write is rolled back.
@pytest.mark.django_db
@pytest.mark.parametrize("role", list(sweep_data.ROLES))
def test_every_page_of_the_role(role, sweep, browser):
    base_url, data, seen = sweep
    problems = sweep_role(browser, base_url, data, role, seen)
    if problems:
        pytest.fail(f"{role}:\n" + "\n".join(problems), pytrace=False)
