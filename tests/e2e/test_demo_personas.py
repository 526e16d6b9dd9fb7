"""The README's promise: each demo persona logs in with the documented password and TOTP secret
and sees its portal home with demo data."""

from __future__ import annotations

import base64

import pytest
from django.core.management import call_command
from django_otp.oath import totp

from accounts.management.commands.seed_demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from tests.e2e.conftest import shot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    settings.DEBUG = False


def _login(page, username: str) -> None:
    page.goto("/account/login/")
    page.fill("input[name='auth-username']", username)
    page.fill("input[name='auth-password']", DEMO_PASSWORD)
    page.click("button[data-action='next']")
    page.fill("input[name='token-otp_token']", f"{totp(base64.b32decode(DEMO_TOTP_SECRET)):06d}")
    page.click("button[data-action='next']")
    if "/terms/" in page.url:
        page.check("#accept")
        page.click("button[type='submit'].button-primary")


@pytest.mark.parametrize(
    "username,path,expected",
    [
        ("insured@demo.ch", "/insured/", "Claire"),
        ("756.3047.5009.62", "/insured/", "Claire"),
        ("pensioner@demo.ch", "/insured/", "Jean"),
        ("hr@demo.ch", "/employer/", "Horlogerie du Léman SA"),
        ("broker@demo.ch", "/broker/", "Brunner Assurances"),
        ("agency@demo.ch", "/broker/", "Vue de toute l'agence"),
        ("broker2@demo.ch", "/broker/", "Ticino Broker SA"),
    ],
)
def test_demo_persona_reaches_its_home(demo, page, username, path, expected):
    _login(page, username)
    page.wait_for_url(f"**{path}")
    assert expected in page.content()
    shot(page, f"demo-{username.split('@')[0]}")


def test_demo_support_reaches_the_admin(demo, page):
    _login(page, "support@demo.ch")
    page.goto("/admin/")
    assert "Support" in page.title() or "administration" in page.content().lower()
    page.goto("/admin/policies/insuredperson/?q=Favre")
    assert "Favre" in page.content()
    shot(page, "demo-support-admin")
