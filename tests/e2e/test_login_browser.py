"""Login (TOTP, SMS, AHV number), the profile hub and the forgotten password, in Chromium."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.plugins.phonenumber.models import PhoneDevice

from accounts.models import OutboxMessage, SupportContact
from tests.conftest import PASSWORD
from tests.e2e.conftest import axe_violations, current_totp, shot

pytestmark = pytest.mark.django_db(transaction=True)

NUMBER = "+41791234567"


@pytest.fixture
def contacts(db):
    SupportContact.objects.create(kind="insured", name="Centre clients", phone="+41 61 277 66 80",
                                  email="service-clientele@example.ch",
                                  hours="Lundi–vendredi 8h–17h")


def password_step(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/account/login/")
    page.fill("input[name='auth-username']", username)
    page.fill("input[name='auth-password']", password)
    page.click("button[data-action='next']")


def sms_code() -> str:
    return OutboxMessage.objects.filter(channel="sms").latest("pk").body[-6:]


def email_code(address: str) -> str:
    body = OutboxMessage.objects.filter(channel="email", recipient=address).latest("pk").body
    return re.search(r"\b(\d{6})\b", body).group(1)


def test_login_with_email_and_authenticator(page, insured, contacts):
    page.goto("/account/login/")
    page.click("summary")
    shot(page, "login-1-password")
    assert axe_violations(page) == []
    password_step(page, insured.email)
    page.wait_for_selector("input[name='token-otp_token']")
    shot(page, "login-2-totp")
    assert axe_violations(page) == []
    page.fill("input[name='token-otp_token']", current_totp(insured))
    page.click("button[data-action='next']")
    page.wait_for_url("**/insured/")
    page.goto("/profile/")
    shot(page, "login-3-profile")
    assert axe_violations(page) == []
    assert page.get_by_role("heading", name="Mon profil").is_visible()


def test_login_with_sms_code_from_the_outbox(page, insured):
    TOTPDevice.objects.filter(user=insured).delete()
    PhoneDevice.objects.create(user=insured, name="default", number=NUMBER, method="sms",
                               confirmed=True)
    password_step(page, insured.email)
    page.wait_for_selector("text=Nous vous avons envoyé un code par SMS")
    shot(page, "login-sms")
    assert axe_violations(page) == []
    page.fill("input[name='token-otp_token']", sms_code())
    page.click("button[data-action='next']")
    page.wait_for_url("**/insured/")


def test_login_with_the_ahv_number(page, insured):
    password_step(page, insured.insured_person.ahv_number)
    page.fill("input[name='token-otp_token']", current_totp(insured))
    page.click("button[data-action='next']")
    page.wait_for_url("**/insured/")


def test_wrong_code_explained_and_login_page_fits_a_phone(page, phone_page, insured, contacts):
    password_step(page, insured.email)
    page.fill("input[name='token-otp_token']", "000000")
    page.click("button[data-action='next']")
    assert page.get_by_text("Code incorrect. Vérifiez-le et réessayez.").is_visible()
    shot(page, "login-wrong-code")
    assert axe_violations(page) == []
    phone_page.goto("/account/login/")
    phone_page.click("summary")
    shot(phone_page, "login-375")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375


def test_forgotten_password_end_to_end(page, insured):
    PhoneDevice.objects.create(user=insured, name="backup", number=NUMBER, method="sms",
                               confirmed=True)
    page.goto("/account/login/")
    page.click("text=J'ai oublié mon mot de passe")
    shot(page, "login-forgot-1")
    assert axe_violations(page) == []
    page.fill("input[name='login']", insured.email)
    page.click("button[type='submit'].button-primary")
    page.wait_for_url("**/password/forgot/code/")
    shot(page, "login-forgot-2-email-code")
    assert axe_violations(page) == []
    assert not OutboxMessage.objects.filter(channel="sms").exists()  # e-mail first
    page.fill("input[name='code']", email_code(insured.email))
    page.click("button[type='submit'].button-primary")
    page.wait_for_url("**/password/forgot/factor/")
    shot(page, "login-forgot-3-sms-code")
    assert axe_violations(page) == []
    page.fill("input[name='code']", sms_code())
    page.click("button[type='submit'].button-primary")
    page.wait_for_url("**/password/forgot/new/")
    page.fill("input[name='new_password1']", "Blue-Meadow-Lantern-42")
    page.fill("input[name='new_password2']", "Blue-Meadow-Lantern-42")
    shot(page, "login-forgot-4-new")
    assert axe_violations(page) == []
    page.click("button[type='submit'].button-primary")
    page.wait_for_url("**/password/forgot/done/")
    shot(page, "login-forgot-5-done")
    assert axe_violations(page) == []
    password_step(page, insured.email, "Blue-Meadow-Lantern-42")
    page.fill("input[name='token-otp_token']", current_totp(insured))
    page.click("button[data-action='next']")
    page.wait_for_url("**/insured/")
