"""Browser tests: Playwright for Python driving Debian's Chromium, with axe-core from npm.

Run against pytest-django's live server. Every test here is marked `browser`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-gpu",
    "--disable-sync",
    # The context's locale sets navigator.language and Accept-Language; the browser's own UI language draws
    # the native controls (date fields as jj/mm/aaaa, file fields as "Choisir un fichier").
    "--lang=fr-FR",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


CHROMIUM_FRENCH_PACK = Path("/usr/lib/chromium/locales/fr.pak")


@pytest.fixture(scope="session")
def browser():
    # Without the pack Chromium silently draws date fields as mm/dd/yyyy: fail loudly instead.
    assert CHROMIUM_FRENCH_PACK.exists(), (
        "Chromium's French language pack is missing: apt-get install chromium-l10n"
    )
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            env={**os.environ, "LANG": "fr_FR.UTF-8", "LANGUAGE": "fr_FR"},
        )
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server, settings) -> Page:
    """A fresh tablet-sized page (768 px wide) pointed at the live server; no tiles from the internet."""
    settings.TERREAU_TILE_URL = ""
    # bypass_csp lets the test inject axe-core; the pages themselves keep their strict policy.
    context = browser.new_context(
        viewport={"width": 768, "height": 1024}, locale="fr-FR", base_url=live_server.url, bypass_csp=True
    )
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


def login(page: Page, email: str, password: str = "motdepasse-solide-42") -> None:
    """Sign in through the login form; staff (who must pass the second factor) are given an authenticator app
    if they have none, whose current code is typed on the code page, as a person reads it on their phone."""
    device = _authenticator_of(email)
    page.goto("/comptes/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").last.click()
    page.wait_for_load_state()
    if device is not None and page.url.split("?")[0].endswith("/comptes/connexion/code/"):
        type_code(page, device)


def type_code(page: Page, device) -> None:
    """On the code page: type the code the person's app shows now (computed with django_otp.oath.TOTP)."""
    from tests.accounts.two_factor_support import totp_code

    page.get_by_label("Code de vérification").fill(totp_code(device))
    page.get_by_role("button", name="Vérifier").click()
    page.wait_for_load_state()


def _authenticator_of(email: str):
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from terreau.accounts import two_factor
    from tests.accounts.two_factor_support import totp_device

    user = get_user_model().objects.filter(email__iexact=email).first()
    if user is None:
        return None
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None and two_factor.requires_two_factor(user):
        device = totp_device(user)
    return device


def assert_accessible(page: Page) -> None:
    """axe-core finds no serious or critical WCAG 2.1 A/AA violation on the current page."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):  # else injected by an init script
        page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a','wcag2aa','wcag21a','wcag21aa']}, resultTypes: ['violations']})"
    )
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, json.dumps(
        [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:5]]} for v in bad],
        indent=1,
        ensure_ascii=False,
    )


BOTH_WIDTHS = (1280, 768)


def assert_accessible_at_both_widths(page: Page) -> None:
    """axe-core at 1280 and at 768 px on the current page, then back to the journey's own size.

    A journey runs once, at one width, and checks every page it reaches at both: running whole journeys twice
    (once per width) doubled the browser tests' time in CI for no page that one run does not reach."""
    size = page.viewport_size
    for width in sorted(BOTH_WIDTHS, key=lambda w: w != size["width"]):
        if width != page.viewport_size["width"]:
            page.set_viewport_size({"width": width, "height": size["height"]})
        assert_accessible(page)
    if page.viewport_size != size:
        page.set_viewport_size(size)


def open_menu(page: Page) -> None:
    """Below 1200 px the main menu folds behind its "Menu" button: unfold it (nothing to do when it is not folded)."""
    toggle = page.locator(".site-header .menu-toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
