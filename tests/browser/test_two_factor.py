"""Two-factor authentication in the browser: a facilitator's first sign-in enrols an authenticator app (QR code
drawn on the server, secret as text), keeps the backup codes, then signs in again with a code; fr-FR, at desktop
and tablet widths, every page axe-clean."""

import pytest
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from terreau.accounts import two_factor
from tests.accounts.two_factor_support import totp_code
from tests.browser.conftest import assert_accessible, open_menu, type_code
from tests.factories import BranchRoleFactory

pytestmark = pytest.mark.django_db(transaction=True)


def password_step(page, email: str) -> None:
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill("motdepasse-solide-42")
    page.get_by_role("button", name="Se connecter").last.click()
    page.wait_for_load_state()


@pytest.mark.parametrize("width", [1280, 768])
def test_enrolment_then_sign_in_with_a_code(page, width):
    page.set_viewport_size({"width": width, "height": 1000})
    user = BranchRoleFactory(user__is_staff=True).user

    # First sign-in: the team page asked for leads to the enrolment page.
    page.goto("/comptes/equipe/")
    password_step(page, user.email)
    assert page.get_by_role("heading", name="Activer la double authentification").is_visible()
    assert page.locator("figure.qr-code svg").is_visible()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert page.locator("#secret-key").inner_text() == two_factor.secret_text(device)
    assert_accessible(page)

    page.get_by_label("Code de vérification").fill(totp_code(device))
    page.get_by_role("button", name="Confirmer et activer").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Vos codes de secours").is_visible()
    codes = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(codes) == 10
    assert set(page.locator(".backup-codes code").all_inner_texts()) == codes
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger les codes (fichier texte)").click()
    assert download.value.suggested_filename == "terreau-codes-de-secours.txt"
    page.get_by_role("button", name="J'ai mis mes codes de côté").click()
    page.wait_for_load_state()
    assert page.url.endswith("/comptes/equipe/")
    assert page.get_by_role("heading", name="Équipe et antennes").is_visible()

    # Signed out, then in again: the code page, a wrong code refused, the right one lets the person through.
    open_menu(page)
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_load_state()
    page.goto("/comptes/equipe/")
    password_step(page, user.email)
    assert page.get_by_role("heading", name="Code de vérification").is_visible()
    assert_accessible(page)
    page.get_by_label("Code de vérification").fill("12345")
    page.get_by_role("button", name="Vérifier").click()
    page.wait_for_load_state()
    assert page.get_by_text("Ce code n'est pas valide").is_visible()
    assert_accessible(page)
    page.wait_for_timeout(1_100)  # django-otp's throttle: one second after one failure
    type_code(page, TOTPDevice.objects.get(user=user, confirmed=True))
    assert page.url.endswith("/comptes/equipe/")
    assert page.get_by_role("heading", name="Équipe et antennes").is_visible()
