import pytest

from tests.browser.conftest import assert_accessible, login
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_login_page_is_accessible_and_signs_in(page):
    user = UserFactory()
    page.goto("/comptes/connexion/")
    assert_accessible(page)
    login(page, user.email)
    page.goto("/comptes/mon-espace/")
    assert page.get_by_role("heading", name="Mon espace").is_visible()
