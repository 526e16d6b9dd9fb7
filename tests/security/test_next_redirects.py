"""Every `next` parameter: a local path is followed, anything else (relative, another host, a
backslash trick) falls back to the page's default, never a 500 and never another site."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from portals.common.redirects import local_path
from tests.conftest import PASSWORD, login_verified, totp_now

HOSTILE = ["x", "//evil.example", "https://evil.example", "/\\evil", "\\\\evil.example",
           "javascript:alert(1)", " /profile/"]


@pytest.mark.parametrize("value", HOSTILE + ["/\tevil", "/x\r\nSet-Cookie: a=b", "http:/x"])
def test_the_helper_refuses_anything_but_a_local_path(value):
    assert local_path(value) is None


@pytest.mark.parametrize("value", ["/profile/", "/insured/documents/?page=2", "/"])
def test_the_helper_keeps_a_local_path(value):
    assert local_path(value) == value


def reauthenticated(client: Client) -> Client:
    session = client.session
    session["reauthenticated_at"] = time.time()
    session.save()
    return client


def assert_default(response, default: str) -> None:
    assert response.status_code == 302
    assert response["Location"] == default


@pytest.mark.django_db
@pytest.mark.parametrize("value", HOSTILE)
def test_it_refuses_a_hostile_next_on_the_terms_page(client, insured, value):
    login_verified(client, insured)  # terms already accepted: the page redirects at once
    assert_default(client.get("/terms/", {"next": value}), "/portal/")
    assert_default(client.post("/terms/", {"next": value, "accept": "yes"}), "/portal/")


@pytest.mark.django_db
@pytest.mark.parametrize("value", HOSTILE)
def test_it_refuses_a_hostile_next_when_accepting_new_terms(client, insured, value):
    from tests import factories as f

    f.TermsFactory(version=2)
    login_verified(client, insured)
    page = client.get("/terms/", {"next": value})
    assert page.status_code == 200 and "evil" not in page.content.decode().split("<form")[1]
    assert_default(client.post("/terms/", {"next": value, "accept": "yes"}), "/portal/")
    assert client.get("/insured/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("value", HOSTILE)
def test_it_refuses_a_hostile_next_after_the_password_confirmation(client, insured, value):
    login_verified(client, insured)
    assert client.get("/account/confirm/", {"next": value}).status_code == 200
    response = client.post(f"/account/confirm/?next={value}", {"password": PASSWORD,
                                                                 "next": value})
    assert_default(response, "/profile/")


@pytest.mark.django_db
@pytest.mark.parametrize("value", HOSTILE)
def test_it_refuses_a_relative_next_at_the_end_of_the_login(insured, value):
    client = Client()
    url = "/account/login/"
    assert client.get(url, {"next": value}).status_code == 200
    response = client.post(f"{url}?next={value}", {
        "login_view-current_step": "auth", "auth-username": insured.email,
        "auth-password": PASSWORD,
    })
    assert 'name="token-otp_token"' in response.content.decode()
    done = client.post(f"{url}?next={value}", {
        "login_view-current_step": "token", "token-otp_token": totp_now(insured),
    })
    assert_default(done, "/portal/")
    assert client.get("/insured/").status_code == 200  # logged in, second factor verified


@pytest.mark.django_db
@pytest.mark.parametrize("value", HOSTILE)
def test_it_refuses_a_hostile_next_at_logout(client, insured, value):
    login_verified(client, insured)
    assert_default(client.post("/account/logout/", {"next": value}), "/")
    assert client.get("/profile/").status_code == 302  # logged out all the same


@pytest.mark.django_db
def test_a_local_next_is_still_followed_everywhere(insured):
    fresh = Client()
    fresh.post("/account/login/?next=/profile/", {
        "login_view-current_step": "auth", "auth-username": insured.email,
        "auth-password": PASSWORD,
    })
    done = fresh.post("/account/login/?next=/profile/", {
        "login_view-current_step": "token", "token-otp_token": totp_now(insured),
    })
    assert done["Location"] == "/profile/"
    confirmed = fresh.post("/account/confirm/", {"password": PASSWORD,
                                                 "next": "/profile/sessions/"})
    assert confirmed["Location"] == "/profile/sessions/"
    assert fresh.get("/terms/", {"next": "/profile/"})["Location"] == "/profile/"
    assert fresh.post("/account/logout/", {"next": "/help/"})["Location"] == "/help/"


@pytest.mark.django_db
def test_the_password_confirmation_link_keeps_the_whole_query(client, insured):
    login_verified(client, insured)
    response = client.get("/profile/backup-codes/?a=1&b=2")
    assert response["Location"] == "/account/confirm/?next=%2Fprofile%2Fbackup-codes%2F%3Fa%3D1%26b%3D2"
