"""Landing, login with TOTP and each portal home, in Chromium at desktop and phone width."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import axe_violations, login, shot

pytestmark = pytest.mark.django_db(transaction=True)


def test_landing_page_offers_the_three_portals(page, phone_page):
    page.goto("/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Votre prévoyance")
    assert page.get_by_text("Entreprises clientes").is_visible()
    shot(page, "landing-1280")
    assert axe_violations(page) == []
    phone_page.goto("/")
    shot(phone_page, "landing-375")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page scrolls sideways at 375 px ({width} px)"


@pytest.mark.parametrize(
    "persona,path,expected",
    [("insured", "/insured/", "Claire Favre"), ("hr_admin", "/employer/", "Boulangerie Test SA"),
     ("broker", "/broker/", "Courtage Test Sàrl")],
)
def test_persona_logs_in_with_totp_and_sees_its_home(request, page, persona, path, expected):
    user = request.getfixturevalue(persona)
    login(page, user, PASSWORD)
    page.wait_for_url(f"**{path}")
    assert expected in page.content()
    shot(page, f"home-{persona}-1280")
    assert axe_violations(page) == []


def test_login_page_accessible_and_wrong_password_explained(page, insured):
    page.goto("/account/login/")
    shot(page, "login-1280")
    assert axe_violations(page) == []
    page.fill("input[name='auth-username']", insured.email)
    page.fill("input[name='auth-password']", "wrong-password")
    page.click("button[data-action='next']")
    assert page.get_by_text("Nom d'utilisateur ou mot de passe incorrect").is_visible()
