"""The login wizard: e-mail or AHV + password, then TOTP, SMS or a backup code."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.plugins.phonenumber.models import PhoneDevice

from accounts.models import OutboxMessage, SecurityEvent
from tests.conftest import GENERIC, LOGIN, post_password, post_token, totp_now


def session_key(client: Client) -> str | None:
    cookie = client.cookies.get("sessionid")
    return cookie.value if cookie else None


@pytest.mark.django_db
def test_it_logs_in_with_email_password_and_totp(client, insured):
    response = post_password(client, insured.email)
    assert response.status_code == 200
    assert 'name="token-otp_token"' in response.content.decode()

    response = post_token(client, totp_now(insured))

    assert response.status_code == 302
    assert response.url == "/portal/"
    assert client.get("/insured/").status_code == 200
    kinds = list(SecurityEvent.objects.filter(user=insured).values_list("kind", flat=True))
    assert SecurityEvent.Kind.LOGIN_SUCCESS in kinds
    assert SecurityEvent.Kind.FACTOR_SUCCESS in kinds


@pytest.mark.django_db
@pytest.mark.parametrize("dotted", [True, False])
def test_it_logs_in_with_the_ahv_number_with_or_without_dots(client, insured, dotted):
    ahv = insured.insured_person.ahv_number
    typed = ahv if dotted else ahv.replace(".", "")
    assert 'name="token-otp_token"' in post_password(client, typed).content.decode()
    assert post_token(client, totp_now(insured)).status_code == 302


@pytest.mark.django_db
def test_unknown_user_wrong_password_and_inactive_get_the_same_answer(client, insured, hr_admin):
    hr_admin.is_active = False
    hr_admin.save()
    answers = [
        post_password(Client(), "nobody@example.ch"),
        post_password(Client(), insured.email, "wrong-password"),
        post_password(Client(), "756.9999.9999.91"),
        post_password(Client(), hr_admin.email),
    ]
    assert {r.status_code for r in answers} == {200}
    for response in answers:
        body = response.content.decode()
        assert GENERIC in body
        assert "Après 10 essais, l&#x27;accès est bloqué pendant une heure." in body
        assert "token-otp_token" not in body


@pytest.mark.django_db
def test_a_new_session_key_after_the_password_and_another_after_the_second_factor(
    client, insured
):
    client.get(LOGIN)
    post_password(client, "nobody@example.ch", "x")
    before = session_key(client)
    post_password(client, insured.email)
    after_password = session_key(client)
    post_token(client, totp_now(insured))
    after_factor = session_key(client)
    assert len({before, after_password, after_factor}) == 3


@pytest.mark.django_db
def test_the_second_factor_is_required_before_any_portal_page(client, insured):
    post_password(client, insured.email)
    response = client.get("/insured/")
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


@pytest.mark.django_db
def test_a_user_without_a_device_is_sent_to_set_one_up(client, insured):
    TOTPDevice.objects.filter(user=insured).delete()
    response = post_password(client, insured.email)
    assert response.status_code == 302
    response = client.get("/insured/")
    assert response.status_code == 302
    assert response.url == "/account/two_factor/setup/"
    page = client.get(response.url)
    assert "Activer le deuxième facteur" in page.content.decode()


@pytest.mark.django_db
def test_support_staff_need_the_second_factor_for_admin(client, support):
    client.force_login(support, backend="accounts.backends.EmailOrAhvBackend")
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(LOGIN)
    assert "Connexion" in response.content.decode()
    login_verified_client = client
    from tests.conftest import login_verified
    login_verified(login_verified_client, support)
    assert login_verified_client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_it_logs_in_by_sms_with_the_code_from_the_outbox(client, insured):
    TOTPDevice.objects.filter(user=insured).delete()
    PhoneDevice.objects.create(user=insured, name="default", number="+41791234567",
                               method="sms", confirmed=True)
    response = post_password(client, insured.email)
    body = response.content.decode()
    assert "Nous vous avons envoyé un code par SMS" in body
    sms = OutboxMessage.objects.get(channel="sms", recipient="+41791234567")
    code = sms.body.rsplit(" ", 1)[-1]
    assert sms.body == f"Votre code: {code}"
    assert post_token(client, code).status_code == 302
    assert client.get("/insured/").status_code == 200


@pytest.mark.django_db
def test_setting_up_the_first_factor_verifies_and_renews_the_session_key(client, insured):
    from base64 import b32decode

    TOTPDevice.objects.filter(user=insured).delete()
    known = set(SecurityEvent.objects.values_list("pk", flat=True))  # the fixture's own device
    post_password(client, insured.email)
    setup = "/account/two_factor/setup/"
    client.get(setup)
    client.post(setup, {"setup_view-current_step": "welcome"})
    page = client.post(setup, {"setup_view-current_step": "method", "method-method": "generator"})
    assert "Scannez ce code QR" in page.content.decode()
    key = b32decode(client.session["django_two_factor-qr_secret_key"])
    before = session_key(client)
    done = client.post(setup, {"setup_view-current_step": "generator",
                               "generator-token": f"{totp(key):06d}"},
                       REMOTE_ADDR="10.20.30.40", HTTP_USER_AGENT="Firefox/140")
    assert done.status_code == 302
    assert "Deuxième facteur activé" in client.get(done.url).content.decode()
    assert session_key(client) != before
    assert client.get("/insured/").status_code == 200
    # The security event of the new factor says from where it was added, like every other one.
    added = SecurityEvent.objects.filter(user=insured, kind="device_added").exclude(pk__in=known)
    assert added.exists()
    for event in added:
        assert event.ip_address == "10.20.30.40" and "Firefox" in event.user_agent, event.detail


@pytest.mark.django_db
def test_a_challenge_without_a_password_step_starts_over_instead_of_failing(client):
    response = client.post("/account/login/", {"challenge_device": "otp_totp.totpdevice/1",
                                               "login_view-current_step": "token"})
    assert response.status_code == 302
    assert response["Location"] == "/account/login/"
