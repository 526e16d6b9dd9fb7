"""The profile hub: password, e-mail, mobile, second factors, backup codes, history, support."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.plugins.phonenumber.models import PhoneDevice

from accounts.models import OutboxMessage, SecurityEvent, SupportContact, User
from tests.conftest import PASSWORD, login_verified, reauthed

OLD_NUMBER = "+41791111111"




@pytest.fixture
def me(client, insured):
    login_verified(client, insured)
    return client


def outbox_code(recipient: str) -> str:
    body = OutboxMessage.objects.filter(recipient=recipient).latest("pk").body
    return next(word for word in body.replace(":", " ").split() if word.isdigit()
                and len(word) == 6)


@pytest.mark.django_db
def test_the_profile_is_the_hub_and_needs_login(client, insured):
    assert client.get("/profile/").status_code == 302
    login_verified(client, insured)
    body = client.get("/profile/").content.decode()
    for link in ["/profile/password/", "/profile/email/", "/profile/mobile/",
                 "/profile/factors/authenticator/", "/profile/backup-codes/",
                 "/profile/sessions/"]:
        assert f'href="{link}"' in body
    assert "Dernières activités" in body


@pytest.mark.django_db
def test_the_profile_shows_the_support_contact_of_the_portal(client, insured, broker, agency):
    SupportContact.objects.create(kind="insured", name="Centre clients", phone="+41 61 277 66 80",
                                  email="clients@example.ch")
    SupportContact.objects.create(kind="broker", name="Centre courtiers",
                                  phone="+41 61 277 66 96", email="courtiers@example.ch")
    agency.account_manager = "Marc Conseil"
    agency.account_manager_phone = "+41 21 555 00 11"
    agency.save()
    assert "+41 61 277 66 80" in login_verified(client, insured).get("/profile/").content.decode()
    broker_page = login_verified(Client(), broker).get("/profile/").content.decode()
    assert "Marc Conseil" in broker_page and "+41 21 555 00 11" in broker_page
    assert "+41 61 277 66 80" not in broker_page
    login_page = Client().get("/account/login/").content.decode()
    assert "+41 61 277 66 80" in login_page and "+41 61 277 66 96" in login_page


@pytest.mark.django_db
def test_password_change_needs_the_current_one_and_ends_other_sessions(me, insured):
    other = login_verified(Client(), insured)
    wrong = me.post("/profile/password/", {"old_password": "nope", "new_password1": "Gr33n-Ocean",
                                           "new_password2": "Gr33n-Ocean"})
    assert wrong.status_code == 200
    response = me.post("/profile/password/", {
        "old_password": PASSWORD, "new_password1": "Blue-Meadow-Lantern-42",
        "new_password2": "Blue-Meadow-Lantern-42"})
    assert response.status_code == 302
    assert me.get("/profile/").status_code == 200
    assert other.get("/profile/").status_code == 302
    assert SecurityEvent.objects.filter(user=insured, kind="password_changed").exists()
    assert OutboxMessage.objects.filter(channel="email", recipient=insured.email).exists()


@pytest.mark.django_db
def test_email_change_needs_reauth_and_a_code_sent_to_the_new_address(me, insured):
    response = me.get("/profile/email/")
    assert response.status_code == 302 and response.url.startswith("/account/confirm/")
    reauthed(me)
    assert me.post("/profile/email/", {"email": "claire.new@example.ch"}).url == (
        "/profile/email/confirm/")
    code = outbox_code("claire.new@example.ch")
    assert me.post("/profile/email/confirm/", {"code": code}).url == "/profile/"
    insured.refresh_from_db()
    assert insured.email == "claire.new@example.ch"
    notice = OutboxMessage.objects.filter(recipient="claire@example.ch").latest("pk")
    assert "c•••@example.ch" in notice.body
    assert SecurityEvent.objects.filter(user=insured, kind="email_changed").exists()


@pytest.mark.django_db
def test_email_change_code_allows_five_attempts(me, insured):
    reauthed(me)
    me.post("/profile/email/", {"email": "claire.new@example.ch"})
    right = outbox_code("claire.new@example.ch")
    wrong = f"{(int(right) + 1) % 1000000:06d}"
    answers = [me.post("/profile/email/confirm/", {"code": wrong}) for _ in range(5)]
    assert "Ce code n&#x27;est plus valable" in answers[4].content.decode()
    me.post("/profile/email/confirm/", {"code": right})
    insured.refresh_from_db()
    assert insured.email == "claire@example.ch"


@pytest.mark.django_db
def test_mobile_change_sends_a_code_to_the_new_number_and_notifies_the_old_contacts(
    me, insured
):
    PhoneDevice.objects.create(user=insured, name="backup", number=OLD_NUMBER, method="sms",
                               confirmed=True)
    reauthed(me)
    assert me.post("/profile/mobile/", {"number": "079 222 33 44"}).url == (
        "/profile/mobile/confirm/")
    code = outbox_code("+41792223344")
    assert me.post("/profile/mobile/confirm/", {"code": code}).url == "/profile/"
    device = PhoneDevice.objects.get(user=insured)
    assert device.number.as_e164 == "+41792223344"
    assert OutboxMessage.objects.filter(recipient=OLD_NUMBER, channel="sms").exists()
    assert OutboxMessage.objects.filter(recipient=insured.email, channel="email").exists()
    assert SecurityEvent.objects.filter(user=insured, kind="mobile_changed").exists()


@pytest.mark.django_db
def test_without_a_mobile_the_same_flow_adds_an_sms_device(me, insured):
    reauthed(me)
    me.post("/profile/mobile/", {"number": "+41792223344"})
    me.post("/profile/mobile/confirm/", {"code": outbox_code("+41792223344")})
    device = PhoneDevice.objects.get(user=insured)
    assert device.name == "backup" and device.confirmed
    assert SecurityEvent.objects.filter(user=insured, kind="device_added").exists()


@pytest.mark.django_db
def test_adding_an_authenticator_needs_a_valid_code(me, insured):
    reauthed(me)
    me.get("/profile/factors/authenticator/")
    key = me.session["authenticator_setup_key"]
    wrong = me.post("/profile/factors/authenticator/", {"token": "000000"})
    assert "Code incorrect" in wrong.content.decode()
    from binascii import unhexlify

    token = f"{totp(unhexlify(key)):06d}"
    assert me.post("/profile/factors/authenticator/", {"token": token}).url == "/profile/"
    assert TOTPDevice.objects.filter(user=insured).count() == 2


@pytest.mark.django_db
def test_the_last_factor_cannot_be_removed(me, insured):
    reauthed(me)
    device = TOTPDevice.objects.get(user=insured)
    page = me.get(f"/profile/factors/authenticator/{device.pk}/remove/")
    assert "dernier deuxième facteur" in page.content.decode()
    me.post(f"/profile/factors/authenticator/{device.pk}/remove/")
    assert TOTPDevice.objects.filter(user=insured).exists()


@pytest.mark.django_db
def test_removing_the_default_factor_promotes_the_other(me, insured):
    reauthed(me)
    phone = PhoneDevice.objects.create(user=insured, name="backup", number=OLD_NUMBER,
                                       method="sms", confirmed=True)
    device = TOTPDevice.objects.get(user=insured)
    assert me.post(f"/profile/factors/authenticator/{device.pk}/remove/").url == "/profile/"
    phone.refresh_from_db()
    assert phone.name == "default"
    assert not TOTPDevice.objects.filter(user=insured).exists()
    assert SecurityEvent.objects.filter(user=insured, kind="device_removed").exists()


@pytest.mark.django_db
def test_someone_elses_device_is_a_404(me, other_insured):
    reauthed(me)
    device = TOTPDevice.objects.get(user=other_insured)
    assert me.get(f"/profile/factors/authenticator/{device.pk}/remove/").status_code == 404
    assert me.post(f"/profile/factors/authenticator/{device.pk}/remove/").status_code == 404


@pytest.mark.django_db
def test_backup_codes_are_shown_once(me, insured):
    reauthed(me)
    response = me.post("/profile/backup-codes/")
    codes = [c for c in response.content.decode().split("<code>")[1:]]
    assert len(codes) == 10
    later = me.get("/profile/backup-codes/").content.decode()
    assert "<code>" not in later and "Il vous reste 10 codes." in later


@pytest.mark.django_db
def test_user_can_only_change_own_email(me, insured, other_insured):
    reauthed(me)
    response = me.post("/profile/email/", {"email": other_insured.email})
    assert response.url == "/profile/email/confirm/"  # as for a free address (no enumeration)
    assert not OutboxMessage.objects.filter(body__regex=r"\b\d{6}\b").exists()
    for code in ("000000", "123456", "999999"):
        me.post("/profile/email/confirm/", {"code": code})
    assert User.objects.get(pk=other_insured.pk).email == "otto@example.ch"
    assert User.objects.get(pk=insured.pk).email == "claire@example.ch"


@pytest.mark.django_db
def test_a_login_with_the_second_factor_counts_as_a_fresh_reauth(client, insured):
    from tests.conftest import post_password, post_token, totp_now

    post_password(client, insured.email)
    post_token(client, totp_now(insured))
    assert client.get("/profile/email/").status_code == 200


@pytest.mark.django_db
def test_an_address_taken_meanwhile_is_refused_with_a_message_not_an_error(me, insured):
    from tests import factories as f

    reauthed(me)
    me.post("/profile/email/", {"email": "taken.later@example.ch"})
    code = outbox_code("taken.later@example.ch")
    f.UserFactory(email="taken.later@example.ch")
    response = me.post("/profile/email/confirm/", {"code": code}, follow=True)
    assert response.status_code == 200
    assert "ne peut pas être utilisée" in response.content.decode()
    insured.refresh_from_db()
    assert insured.email == "claire@example.ch"


@pytest.mark.django_db
def test_after_a_password_change_this_session_stays_listed_and_endable(me, insured):
    from accounts.models import UserSession, session_key_hash

    me.post("/profile/password/", {
        "old_password": PASSWORD, "new_password1": "Blue-Meadow-Lantern-42",
        "new_password2": "Blue-Meadow-Lantern-42"})
    assert UserSession.objects.filter(user=insured,
                                      key_hash=session_key_hash(me.session.session_key)).exists()


@pytest.mark.django_db
def test_the_profile_says_whom_to_ask_to_delete_the_account_per_portal(
        client, insured, hr_admin, broker, agency):
    SupportContact.objects.create(kind="insured", name="Centre clients", phone="+41 61 277 66 80",
                                  email="clients@example.ch")
    SupportContact.objects.create(kind="employer", name="Centre clients entreprises",
                                  phone="+41 61 277 66 81", email="entreprises@example.ch")
    agency.account_manager = "Marc Conseil"
    agency.account_manager_phone = "+41 21 555 00 11"
    agency.save()
    insured_page = login_verified(client, insured).get("/profile/").content.decode()
    assert "Supprimer mon compte" in insured_page
    assert "Contactez Centre clients." in insured_page
    hr_page = login_verified(Client(), hr_admin).get("/profile/").content.decode()
    assert "administrateur·rice du portail de votre entreprise" in hr_page
    assert "contactez Centre clients entreprises." in hr_page
    assert "+41 61 277 66 80" not in hr_page
    broker_page = login_verified(Client(), broker).get("/profile/").content.decode()
    assert "Contactez Marc Conseil." in broker_page
