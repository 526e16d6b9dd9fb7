"""The insured registration wizard, step by step: what the person sees and what gets created."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.db.models import F
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.plugins.phonenumber.models import PhoneDevice

from accounts.models import (
    BackupCodeDevice,
    Membership,
    OutboxMessage,
    RegistrationCode,
    SecurityEvent,
    TermsAcceptance,
    User,
    VerificationCode,
    hash_code,
)
from tests.conftest import (
    STRONG,
    current_totp,
    identify,
    last_email_code,
    last_sms_code,
    user_data,
    walk_to_factor,
)

pytestmark = pytest.mark.django_db


def test_step_one_shows_the_stepper_the_help_and_the_terms(client, terms):
    response = client.get("/register/")
    page = response.content.decode()
    assert response.status_code == 200
    for label in ("Identification", "Données d&#x27;utilisateur", "Confirmer l&#x27;e-mail",
                  "Sélection à deux facteurs", "Confirmez les deux facteurs"):
        assert label in page
    assert 'aria-current="step"' in page
    assert "attestation de rente" in page and "2022" in page
    assert "Texte des conditions." in page
    assert "Suivant" in page and "Annuler" in page


def test_it_walks_the_whole_wizard_with_an_authenticator_app(client, person, issued):
    walk_to_factor(client, person, issued.plain)
    response = client.post("/register/factor/", {"method": "totp"})
    assert response["Location"] == "/register/confirm/"
    page = client.get("/register/confirm/").content.decode()
    assert "<svg" in page and "http" not in page.split("<svg", 1)[1].split("</svg>")[0]
    assert "totp-secret" in page

    response = client.post("/register/confirm/", {"token": current_totp(client)})

    assert response.status_code == 200
    page = response.content.decode()
    assert "une seule fois" in page
    user = User.objects.get(email="marie@example.ch")
    assert user.insured_person == person
    assert (user.first_name, user.last_name) == ("Marie", "Dupont")
    assert user.check_password(STRONG)
    membership = Membership.objects.get(user=user)
    assert (membership.kind, membership.role, membership.insured_person) == (
        "insured", "insured", person)
    assert TOTPDevice.objects.get(user=user).confirmed
    shown = re.findall(r'<strong class="backup-code">([a-z0-9-]+)</strong>', page)
    backup = BackupCodeDevice.objects.get(user=user)
    assert len(shown) == 10 and backup.codes_left() == 10
    assert all(hash_code(code) not in page for code in shown)
    assert backup.verify_token(shown[0])  # they work at login (single use)
    assert backup.codes_left() == 9
    assert TermsAcceptance.objects.filter(user=user, version=1).exists()
    code = RegistrationCode.objects.get(pk=issued.code.pk)
    assert code.redeemed_at is not None and code.redeemed_by == user
    kinds = list(SecurityEvent.objects.filter(user=user).values_list("kind", flat=True))
    assert {"code_redeemed", "device_added", "terms_accepted"} <= set(kinds)
    assert kinds.count("device_added") == 2  # the authenticator app and the backup codes
    # Logged in, second factor verified: the portal opens.
    assert int(client.session[SESSION_KEY]) == user.pk
    assert "registration" not in client.session
    assert client.get("/register/done/").status_code == 200
    home = client.get("/portal/", follow=True)
    assert home.redirect_chain[-1][0] == "/insured/"
    assert "Marie" in home.content.decode()


def test_it_walks_the_wizard_with_sms(client, person, issued):
    walk_to_factor(client, person, issued.plain)
    response = client.post("/register/factor/", {"method": "sms", "mobile": "079 123 45 67"})
    assert response["Location"] == "/register/confirm/"
    sms = OutboxMessage.objects.get(channel="sms")
    assert sms.recipient == "+41791234567" and sms.body.startswith("Votre code")
    assert "+41\u00a079\u00a0***\u00a0**\u00a067" in client.get("/register/confirm/").content.decode()

    client.post("/register/confirm/", {"token": last_sms_code()})

    user = User.objects.get(email="marie@example.ch")
    device = PhoneDevice.objects.get(user=user)
    assert device.confirmed and device.number.as_e164 == "+41791234567"
    assert device.method == "sms"


def test_it_refuses_a_landline_for_sms(client, person, issued):
    walk_to_factor(client, person, issued.plain)
    response = client.post("/register/factor/", {"method": "sms", "mobile": "021 123 45 67"})
    assert response.status_code == 200
    assert "pas un numéro de téléphone portable" in response.content.decode()
    assert not OutboxMessage.objects.filter(channel="sms").exists()


def test_it_accepts_an_international_mobile(client, person, issued):
    walk_to_factor(client, person, issued.plain)
    response = client.post("/register/factor/", {"method": "sms", "mobile": "+49 151 23456789"})
    assert response["Location"] == "/register/confirm/"
    assert OutboxMessage.objects.get(channel="sms").recipient == "+4915123456789"


def test_the_factor_step_offers_the_app_first_and_explains_sms_risk(client, person, issued):
    walk_to_factor(client, person, issued.plain)
    page = client.get("/register/factor/").content.decode()
    assert page.index('value="totp"') < page.index('value="sms"')
    assert "plus sûre" in page and "carte SIM" in page


@pytest.mark.parametrize("path", ["/register/user/", "/register/email/", "/register/factor/",
                                  "/register/confirm/"])
def test_a_later_step_without_a_wizard_redirects_to_step_one(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"] == "/register/"


def test_it_cannot_skip_a_step(client, person, issued):
    identify(client, person, issued.plain)
    for path in ("/register/email/", "/register/factor/", "/register/confirm/"):
        response = client.get(path)
        assert response["Location"] == "/register/user/"
    assert client.post("/register/confirm/", {"token": "123456"})["Location"] == "/register/user/"
    user_data(client)
    assert client.get("/register/factor/")["Location"] == "/register/email/"
    assert client.post("/register/factor/", {"method": "totp"})["Location"] == "/register/email/"


def test_hidden_fields_cannot_carry_state(client, person, issued):
    identify(client, person, issued.plain)
    response = client.post("/register/factor/", {"method": "totp", "reached": "5", "step": "5"})
    assert response["Location"] == "/register/user/"


def test_back_returns_to_the_previous_step_with_the_email_kept(client, person, issued):
    walk_to_factor(client, person, issued.plain)
    page = client.get("/register/factor/").content.decode()
    assert 'href="/register/email/"' in page
    back = client.get("/register/user/")
    assert back.status_code == 200 and 'value="marie@example.ch"' in back.content.decode()
    # Same address again: already confirmed, straight on to the factor step.
    assert user_data(client)["Location"] == "/register/factor/"


def test_changing_the_email_on_the_way_back_requires_a_new_confirmation(client, person, issued):
    walk_to_factor(client, person, issued.plain)
    assert user_data(client, email="autre@example.ch")["Location"] == "/register/email/"
    assert client.get("/register/factor/")["Location"] == "/register/email/"


def test_cancel_forgets_the_wizard_and_creates_nothing(client, person, issued):
    walk_to_factor(client, person, issued.plain)
    response = client.post("/register/cancel/", follow=True)
    assert "annulé" in response.content.decode()
    assert "registration" not in client.session
    assert client.get("/register/factor/")["Location"] == "/register/"
    assert not User.objects.exists()
    assert RegistrationCode.objects.get().redeemed_at is None


def test_abandoning_before_the_end_creates_nothing(client, person, issued):
    walk_to_factor(client, person, issued.plain)
    client.post("/register/factor/", {"method": "totp"})
    assert not User.objects.exists()
    assert not Membership.objects.exists()
    assert not TOTPDevice.objects.exists()
    assert RegistrationCode.objects.get().redeemed_at is None


def test_the_session_never_holds_the_password_the_code_or_the_ahv_number(client, person, issued):
    walk_to_factor(client, person, issued.plain)
    client.post("/register/factor/", {"method": "totp"})
    stored = str(dict(client.session))
    assert STRONG not in stored
    assert issued.plain not in stored and issued.plain.replace("-", "") not in stored
    assert person.ahv_number not in stored and person.ahv_number.replace(".", "") not in stored
    assert client.session["registration"]["password_hash"].startswith("argon2")


def test_it_refuses_different_passwords(client, person, issued):
    identify(client, person, issued.plain)
    response = client.post("/register/user/", {"email": "m@example.ch", "password1": STRONG,
                                                "password2": STRONG + "x"})
    assert "ne sont pas identiques" in response.content.decode()


def test_it_tells_the_password_rule_before_typing(client, person, issued):
    identify(client, person, issued.plain)
    page = client.get("/register/user/").content.decode()
    assert "Au moins 8 caractères" in page and "spams" in page


def test_it_refuses_a_password_made_of_the_persons_name(client, person, issued):
    identify(client, person, issued.plain)
    response = user_data(client, password="Dupont-Marie-1")
    assert "ressemble trop" in response.content.decode()


# --- e-mail confirmation code -------------------------------------------------------------------


def test_the_email_code_is_sent_once_and_stored_only_hashed(client, person, issued):
    identify(client, person, issued.plain)
    user_data(client)
    message = OutboxMessage.objects.get(channel="email")
    code = last_email_code()
    verification = VerificationCode.objects.get()
    assert verification.purpose == "email_confirm" and verification.target == "marie@example.ch"
    assert code not in verification.code_hash
    assert message.subject == "Votre code de confirmation"
    assert (verification.expires_at - timezone.now()) > timedelta(minutes=9)
    assert (verification.expires_at - timezone.now()) <= timedelta(minutes=10)


def test_a_wrong_email_code_says_how_many_tries_remain(client, person, issued):
    identify(client, person, issued.plain)
    user_data(client)
    wrong = "000000" if last_email_code() != "000000" else "111111"
    response = client.post("/register/email/", {"code": wrong})
    assert "Il vous reste 4 essais" in response.content.decode()


def test_the_email_code_dies_after_five_wrong_tries(client, person, issued):
    identify(client, person, issued.plain)
    user_data(client)
    right = last_email_code()
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        client.post("/register/email/", {"code": wrong})
    response = client.post("/register/email/", {"code": right})
    assert response.status_code == 200
    assert "n&#x27;est plus valable" in response.content.decode()
    assert client.get("/register/factor/")["Location"] == "/register/email/"


def test_the_email_code_expires_after_ten_minutes(client, person, issued):
    identify(client, person, issued.plain)
    user_data(client)
    VerificationCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post("/register/email/", {"code": last_email_code()})
    assert "n&#x27;est plus valable" in response.content.decode()


def test_resending_is_throttled_to_one_a_minute(client, person, issued):
    identify(client, person, issued.plain)
    user_data(client)
    response = client.post("/register/email/resend/", follow=True)
    assert "dans" in response.content.decode() and "secondes" in response.content.decode()
    assert OutboxMessage.objects.filter(channel="email").count() == 1


def test_resending_replaces_the_old_code_and_stops_after_five(client, person, issued):
    identify(client, person, issued.plain)
    user_data(client)
    first = last_email_code()
    for sent in range(2, 7):
        # Two minutes pass between sends (past the 60 s wait, within 3 per 5 minutes). The
        # wait is the wizard's own pace, kept in its state like the SMS one.
        for model in (VerificationCode, OutboxMessage):
            model.objects.update(created_at=F("created_at") - timedelta(minutes=2))
        session = client.session
        session["registration"]["email_last"] -= 120
        session.save()
        client.post("/register/email/resend/")
        assert OutboxMessage.objects.filter(channel="email").count() == min(sent, 5)
    page = client.get("/register/email/").content.decode()
    assert "trop de codes" in page
    newest = last_email_code()
    if newest != first:
        response = client.post("/register/email/", {"code": first})
        assert "Code incorrect" in response.content.decode()
    assert client.post("/register/email/", {"code": newest})["Location"] == "/register/factor/"


# --- second factor ------------------------------------------------------------------------------


def test_a_wrong_app_code_is_refused_and_five_send_back_to_the_choice(client, person, issued):
    walk_to_factor(client, person, issued.plain)
    client.post("/register/factor/", {"method": "totp"})
    first_key = client.session["registration"]["factor_key"]
    right = current_totp(client)
    wrong = "000000" if right != "000000" else "111111"
    response = client.post("/register/confirm/", {"token": wrong})
    assert response.status_code == 200 and "Code incorrect" in response.content.decode()
    for _ in range(4):
        response = client.post("/register/confirm/", {"token": wrong})
    assert response["Location"] == "/register/factor/"
    assert client.get("/register/confirm/")["Location"] == "/register/factor/"
    client.post("/register/factor/", {"method": "totp"})
    assert client.session["registration"]["factor_key"] != first_key
    assert not User.objects.exists()


def test_sms_resend_is_throttled_and_capped(client, person, issued):
    walk_to_factor(client, person, issued.plain)
    client.post("/register/factor/", {"method": "sms", "mobile": "0791234567"})
    response = client.post("/register/confirm/resend/", follow=True)
    assert "secondes" in response.content.decode()
    assert OutboxMessage.objects.filter(channel="sms").count() == 1
    for _ in range(6):
        session = client.session
        session["registration"]["sms_last"] -= 120
        session.save()
        OutboxMessage.objects.update(created_at=timezone.now() - timedelta(minutes=6))
        client.post("/register/confirm/resend/")
    assert OutboxMessage.objects.filter(channel="sms").count() == 5
    # The newest SMS code works.
    client.post("/register/confirm/", {"token": last_sms_code()})
    assert User.objects.filter(email="marie@example.ch").exists()


def test_the_done_page_needs_a_finished_registration(client):
    assert client.get("/register/done/")["Location"] == "/account/login/"


def test_a_logged_in_user_is_sent_to_the_portal(as_user, insured):
    client = as_user(insured)
    assert client.get("/register/")["Location"] == "/portal/"


def test_a_code_used_meanwhile_creates_no_account(client, person, issued):
    walk_to_factor(client, person, issued.plain)
    client.post("/register/factor/", {"method": "totp"})
    RegistrationCode.objects.update(revoked_at=timezone.now())
    response = client.post("/register/confirm/", {"token": current_totp(client)}, follow=True)
    assert "n&#x27;est plus valable" in response.content.decode()
    assert not User.objects.exists() and not TOTPDevice.objects.exists()


def test_an_email_taken_meanwhile_sends_back_to_step_two(client, person, issued):
    walk_to_factor(client, person, issued.plain)
    client.post("/register/factor/", {"method": "totp"})
    User.objects.create_user("marie@example.ch", "x")
    response = client.post("/register/confirm/", {"token": current_totp(client)})
    assert response["Location"] == "/register/user/"
    assert RegistrationCode.objects.get().redeemed_at is None
    assert User.objects.count() == 1


def test_a_person_registered_meanwhile_is_sent_to_login(client, person, issued):
    walk_to_factor(client, person, issued.plain)
    client.post("/register/factor/", {"method": "totp"})
    User.objects.create_user("other@example.ch", "x", insured_person=person)
    response = client.post("/register/confirm/", {"token": current_totp(client)})
    assert response["Location"] == "/account/login/"
    assert RegistrationCode.objects.get().redeemed_at is None
