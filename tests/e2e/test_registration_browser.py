"""The registration wizard in real Chromium: authenticator path and SMS path, every step looked at
(screenshots) and checked with axe-core."""

from __future__ import annotations

import re
import time
from base64 import b32decode
from datetime import date

import pytest
from django_otp.oath import totp

from accounts import registration as reg
from accounts.models import Membership, OutboxMessage, User
from tests import factories as f
from tests.e2e.conftest import axe_violations, shot

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Velo-Rouge-2024!"


@pytest.fixture
def registrant(db):
    f.TermsFactory(version=1)
    person = f.InsuredPersonFactory(first_name="Marie", last_name="Dupont",
                                    birth_date=date(1961, 4, 12))
    issued = reg.registration_code_issue(kind="insured", role="insured", insured_person=person,
                                         created_by=None)
    return person, issued.plain


def _check(page, name: str) -> None:
    shot(page, name)
    assert axe_violations(page) == [], name
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"{name} scrolls sideways ({width} px)"


def _email_code(email: str) -> str:
    for _ in range(50):
        message = OutboxMessage.objects.filter(channel="email", recipient=email).first()
        if message is not None:
            return re.search(r"\b(\d{6})\b", message.body).group(1)
        time.sleep(0.1)
    raise AssertionError("no e-mail code in the outbox")


def _steps_one_to_four(page, person, code, email, prefix):
    page.goto("/register/")
    assert page.locator(".stepper li[aria-current='step']").inner_text().strip() == (
        "Identification")
    _check(page, f"{prefix}-step-1")
    page.fill("input[name='ahv_number']", person.ahv_number.replace(".", ""))
    page.fill("input[name='birth_date']", "12.04.1961")
    page.fill("input[name='code']", code.lower())
    page.check("input[name='accept_terms']")
    page.click("button[name='next']")

    page.wait_for_url("**/register/user/")
    _check(page, f"{prefix}-step-2")
    page.fill("input[name='email']", email)
    page.fill("input[name='password1']", PASSWORD)
    page.fill("input[name='password2']", PASSWORD)
    page.click("button[name='next']")

    page.wait_for_url("**/register/email/")
    _check(page, f"{prefix}-step-3")
    page.fill("input[name='code']", _email_code(email))
    page.click("button[name='next']")

    page.wait_for_url("**/register/factor/")
    _check(page, f"{prefix}-step-4")


def _finish(page, prefix):
    page.wait_for_url("**/register/confirm/")
    assert "une seule fois" in page.content()
    _check(page, f"{prefix}-backup-codes")
    page.get_by_role("link", name="J'ai noté mes codes, continuer").click()
    page.wait_for_url("**/register/done/")
    _check(page, f"{prefix}-done")
    page.get_by_role("link", name="Accéder au portail").click()
    page.wait_for_url("**/insured/")


def test_registration_with_an_authenticator_app(page, registrant):
    person, code = registrant
    _steps_one_to_four(page, person, code, "marie@example.ch", "register")
    page.check("input[value='totp']")
    page.click("button[name='next']")

    page.wait_for_url("**/register/confirm/")
    assert page.locator("svg.segno").is_visible()
    _check(page, "register-step-5")
    secret = page.locator("#totp-secret").get_attribute("data-secret").replace(" ", "")
    token = f"{totp(b32decode(secret)):06d}"
    page.fill("input[name='token']", token)
    page.click("button[name='next']")

    _finish(page, "register")
    assert "Marie" in page.content()
    user = User.objects.get(email="marie@example.ch")
    assert Membership.objects.get(user=user).insured_person == person


def test_registration_with_sms_on_a_phone(phone_page, registrant):
    page = phone_page
    person, code = registrant
    _steps_one_to_four(page, person, code, "marie.sms@example.ch", "register-sms-375")
    page.check("input[value='sms']")
    page.fill("input[name='mobile']", "079 123 45 67")
    page.click("button[name='next']")

    page.wait_for_url("**/register/confirm/")
    _check(page, "register-sms-375-step-5")
    sms = OutboxMessage.objects.filter(channel="sms", recipient="+41791234567").first()
    page.fill("input[name='token']", re.search(r"\b(\d{6})\b", sms.body).group(1))
    page.click("button[name='next']")

    _finish(page, "register-sms-375")
    assert User.objects.get(email="marie.sms@example.ch").phonedevice_set.get().confirmed


def test_cancel_and_a_wrong_identification_in_the_browser(page, registrant):
    person, code = registrant
    page.goto("/register/")
    page.fill("input[name='ahv_number']", person.ahv_number)
    page.fill("input[name='birth_date']", "13.04.1961")
    page.fill("input[name='code']", code)
    page.check("input[name='accept_terms']")
    page.click("button[name='next']")
    assert page.get_by_text("Nous n'avons pas pu vous identifier").is_visible()
    _check(page, "register-step-1-error")
    page.click("button[name='cancel']")
    page.wait_for_url(lambda url: url.endswith("/"))
    assert page.get_by_text("L'enregistrement a été annulé").is_visible()


def test_access_request_form_in_the_browser(phone_page):
    page = phone_page
    page.goto("/access-request/employer/")
    _check(page, "access-request-employer-375")
