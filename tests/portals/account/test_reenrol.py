"""After support reset a lost phone, the password alone never enrols a new factor: the code
posted to the person does."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import RegistrationCode, SecurityEvent
from accounts.reenrol import reenrol_code_issue
from accounts.services import second_factor_reset
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def reset_user(insured, support):
    second_factor_reset(user=insured, by=support)
    return insured


def _password_only(user) -> Client:
    client = Client()
    client.force_login(user, backend="accounts.backends.EmailOrAhvBackend")
    return client


def test_the_password_alone_does_not_reach_the_portal_nor_a_new_factor(reset_user):
    client = _password_only(reset_user)
    assert client.get("/insured/")["Location"] == "/account/two_factor/reenrol/"
    assert client.get("/account/two_factor/setup/")["Location"] == "/account/two_factor/reenrol/"
    response = client.post("/account/two_factor/setup/", {
        "setup_view-current_step": "method", "method-method": "generator"})
    assert response.status_code == 302
    assert not reset_user.totpdevice_set.exists()


def test_the_posted_code_opens_the_set_up_once(reset_user, support):
    issued = reenrol_code_issue(user=reset_user, by=support)
    client = _password_only(reset_user)
    wrong = client.post("/account/two_factor/reenrol/", {"code": "AAAA-BBBB-CCCC"})
    assert "pas valable" in wrong.content.decode()
    response = client.post("/account/two_factor/reenrol/", {"code": issued.plain})
    assert response["Location"] == "/account/two_factor/setup/"
    assert client.get("/account/two_factor/setup/").status_code == 200
    assert RegistrationCode.objects.get(pk=issued.code.pk).redeemed_by == reset_user
    # The same code cannot open a second set-up from another browser.
    other = _password_only(reset_user)
    again = other.post("/account/two_factor/reenrol/", {"code": issued.plain})
    assert "pas valable" in again.content.decode()


def test_a_code_for_someone_else_does_not_work(reset_user, support, other_insured):
    issued = reenrol_code_issue(user=other_insured, by=support)
    client = _password_only(reset_user)
    response = client.post("/account/two_factor/reenrol/", {"code": issued.plain})
    assert response.status_code == 200
    assert SecurityEvent.objects.filter(kind="code_failure").count() == 1


def test_five_wrong_codes_lock_the_step(reset_user):
    client = _password_only(reset_user)
    for _ in range(5):
        client.post("/account/two_factor/reenrol/", {"code": "AAAA-BBBB-CCCC"})
    response = client.post("/account/two_factor/reenrol/", {"code": "AAAA-BBBB-CCCC"})
    assert "bloquée pendant une heure" in response.content.decode()


def test_a_verified_user_cannot_add_a_factor_through_the_library_set_up(as_user, insured):
    client = as_user(insured)
    assert client.get("/account/two_factor/setup/")["Location"] == "/profile/"
    client.post("/account/two_factor/setup/", {
        "setup_view-current_step": "method", "method-method": "sms"})
    assert not insured.phonedevice_set.exists()


def test_a_brand_new_account_without_factor_may_set_one_up(client, terms):
    user = f.UserFactory()
    client.force_login(user, backend="accounts.backends.EmailOrAhvBackend")
    assert client.get("/account/two_factor/setup/").status_code == 200


def test_a_code_redeemed_meanwhile_from_another_browser_is_a_message_not_an_error(
    reset_user, support, monkeypatch
):
    from django.utils import timezone

    from accounts import registration as reg

    issued = reenrol_code_issue(user=reset_user, by=support)
    find = reg.registration_code_find

    def found_then_redeemed_elsewhere(code):
        # The other browser wins between this request's check and its redemption.
        candidate = find(code)
        RegistrationCode.objects.filter(pk=candidate.pk).update(
            redeemed_at=timezone.now(), redeemed_by=reset_user)
        return candidate

    monkeypatch.setattr(reg, "registration_code_find", found_then_redeemed_elsewhere)
    client = _password_only(reset_user)
    response = client.post("/account/two_factor/reenrol/", {"code": issued.plain})
    assert response.status_code == 200 and "pas valable" in response.content.decode()
    assert client.get("/account/two_factor/setup/")["Location"] == "/account/two_factor/reenrol/"
    assert SecurityEvent.objects.filter(kind="code_failure", detail__flow="reenrol").count() == 1
