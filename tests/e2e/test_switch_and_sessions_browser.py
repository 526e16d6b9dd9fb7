"""A fiduciary working for two companies switches in the header; the sessions page on a phone."""

from __future__ import annotations

import pytest

from accounts.models import UserSession
from tests import factories as f
from tests.conftest import PASSWORD, _make
from tests.e2e.conftest import axe_violations, login, shot

pytestmark = pytest.mark.django_db(transaction=True)

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1")


@pytest.fixture
def fiduciary(db):
    f.TermsFactory(version=1)
    user = f.UserFactory(email="fidu@example.ch")
    for name in ("Boulangerie Test SA", "Menuiserie du Jura Sàrl"):
        f.MembershipFactory(user=user, kind="employer", role="third_party",
                            employer=f.EmployerFactory(name=name))
    return _make(user)


def test_a_fiduciary_chooses_then_switches_company_in_the_header(page, fiduciary):
    login(page, fiduciary, PASSWORD)
    page.goto("/employer/")
    assert "/portal/" in page.url  # several companies: chosen explicitly, never the first one
    page.get_by_role("button", name="Boulangerie Test SA").click()
    assert page.locator("h1").inner_text() == "Boulangerie Test SA"
    shot(page, "employer-switch-closed-1280")
    page.locator("details.org-switch summary").click()
    shot(page, "employer-switch-open-1280")
    assert axe_violations(page) == []
    page.locator("details.org-switch").get_by_role("button", name="Menuiserie du Jura").click()
    assert page.locator("h1").inner_text() == "Menuiserie du Jura Sàrl"


def test_the_sessions_page_names_devices_and_fits_a_phone(phone_page, insured):
    UserSession.objects.create(key_hash="a" * 64, user=insured, ip_address="185.12.34.56",
                               user_agent=IPHONE)
    login(phone_page, insured, PASSWORD)
    phone_page.goto("/profile/sessions/")
    body = phone_page.locator("main").inner_text()
    assert "Mobile Safari sur iOS" in body and "185.12.34.x" in body
    assert "cette session" in body
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    shot(phone_page, "sessions-375")
    assert axe_violations(phone_page) == []
