"""The API token page: create, copy, revoke; accessible at tablet width. And the API docs load under the CSP."""

import pytest
from rest_framework.authtoken.models import Token

from tests.browser.conftest import assert_accessible, login
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_token_page_creates_and_revokes_a_token(page):
    user = UserFactory()
    login(page, user.email)
    page.goto("/api/jeton/")
    assert page.get_by_role("heading", name="Jeton d'API").is_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Créer un jeton").click()
    page.wait_for_load_state()
    key = page.get_by_label("Jeton", exact=True).input_value()
    assert key == Token.objects.get(user=user).key
    assert_accessible(page)

    page.get_by_role("button", name="Révoquer le jeton").click()
    page.wait_for_load_state()
    assert page.get_by_text("Votre jeton d'API est révoqué").is_visible()
    assert not Token.objects.filter(user=user).exists()


def test_api_docs_render_under_the_csp(browser, live_server):
    # A context of its own: the shared `page` fixture bypasses the CSP to inject axe-core.
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        page.goto("/api/docs/")
        page.wait_for_selector(".swagger-ui .information-container", timeout=15_000)
        assert page.get_by_text("API Terreau").first.is_visible()
    finally:
        context.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors
