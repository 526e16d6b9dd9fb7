"""Session limits: idle 30 min, absolute 12 h, logout on the server, no-store, other sessions."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.test import Client

from accounts.models import PortalSession as Session
from accounts.models import UserSession, session_key_hash
from tests.conftest import login_verified


def _age(client: Client, **seconds_ago) -> None:
    session = client.session
    now = int(time.time())
    for key, ago in seconds_ago.items():
        session[key] = now - ago
    session.save()


@pytest.mark.django_db
def test_thirty_minutes_idle_ends_the_session_on_the_server(client, insured):
    login_verified(client, insured)
    client.get("/profile/")
    key = client.cookies["sessionid"].value
    _age(client, last_seen=30 * 60 + 5)
    response = client.get("/profile/")
    assert response.status_code == 302
    assert response.url.startswith("/account/login/") and "idle=1" in response.url
    assert not Session.objects.filter(session_key=key).exists()
    assert "déconnecté·e après 30 minutes" in client.get(response.url).content.decode()


@pytest.mark.django_db
def test_twenty_nine_minutes_idle_is_fine(client, insured):
    login_verified(client, insured)
    client.get("/profile/")
    _age(client, last_seen=29 * 60)
    assert client.get("/profile/").status_code == 200


@pytest.mark.django_db
def test_twelve_hours_after_login_the_session_ends_however_active(client, insured):
    login_verified(client, insured)
    client.get("/profile/")
    _age(client, auth_at=12 * 3600 + 5, last_seen=10)
    response = client.get("/profile/")
    assert response.status_code == 302 and "expired=1" in response.url


@pytest.mark.django_db
def test_logout_ends_the_session_on_the_server(client, insured):
    login_verified(client, insured)
    client.get("/profile/")
    key = client.cookies["sessionid"].value
    client.post("/account/logout/")
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(key_hash=session_key_hash(key)).exists()
    replay = Client()
    replay.cookies["sessionid"] = key
    assert replay.get("/profile/").status_code == 302


@pytest.mark.django_db
def test_every_authenticated_page_says_no_store(client, insured):
    login_verified(client, insured)
    for path in ["/profile/", "/insured/", "/portal/", "/profile/sessions/"]:
        response = client.get(path, follow=True)
        assert "no-store" in response["Cache-Control"], path


@pytest.mark.django_db
def test_a_verified_session_gets_a_new_key(client, insured):
    login_verified(client, insured)
    before = client.cookies["sessionid"].value
    client.get("/profile/")
    after = client.cookies["sessionid"].value
    client.get("/profile/")
    assert before != after and client.cookies["sessionid"].value == after
    assert UserSession.objects.filter(key_hash=session_key_hash(after), user=insured).exists()


@pytest.mark.django_db
def test_log_out_everywhere_else_keeps_only_this_session(client, insured):
    others = [login_verified(Client(), insured) for _ in range(2)]
    for other in others:
        other.get("/profile/")
    login_verified(client, insured)
    page = client.get("/profile/sessions/").content.decode()
    assert page.count('<li class="panel session') == 3
    assert page.count("cette session</span>") == 1
    client.post("/profile/sessions/")
    assert all(other.get("/profile/").status_code == 302 for other in others)
    assert client.get("/profile/").status_code == 200
    assert UserSession.objects.filter(user=insured).count() == 1


def test_production_settings_make_cookies_secure():
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "portal.example",
           "DJANGO_SETTINGS_MODULE": "portals.settings"}
    code = ("import django;django.setup();from django.conf import settings as s;"
            "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
            " s.SESSION_COOKIE_AGE, s.SESSION_IDLE_SECONDS)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["True", "True", "True", "43200", "1800"]


@pytest.mark.django_db
def test_the_session_list_keeps_no_usable_session_key(client, insured):
    login_verified(client, insured)
    client.get("/profile/")
    key = client.cookies["sessionid"].value
    row = UserSession.objects.get(user=insured)
    stored = " ".join(str(getattr(row, f.attname)) for f in UserSession._meta.fields)
    assert key not in stored and key[:8] not in stored
    assert not hasattr(row, "session_key")


@pytest.mark.django_db
def test_ending_sessions_needs_no_stored_key_and_takes_effect_at_the_next_request(insured):
    from accounts.services import sessions_end

    clients = [login_verified(Client(), insured) for _ in range(3)]
    for c in clients:
        assert c.get("/profile/").status_code == 200
    assert Session.objects.filter(user=insured).count() == 3
    sessions_end(user=insured)
    assert not Session.objects.filter(user=insured).exists()
    assert all(c.get("/profile/").status_code == 302 for c in clients)


@pytest.mark.django_db
def test_sessions_are_named_by_browser_and_system_with_the_network_only(client, insured):
    UserSession.objects.create(key_hash="a" * 64, user=insured, ip_address="185.12.34.56",
                               user_agent=IPHONE)
    UserSession.objects.create(key_hash="b" * 64, user=insured, ip_address="2001:db8:1:2::7",
                               user_agent=LINUX_CHROME)
    login_verified(client, insured)
    page = client.get("/profile/sessions/").content.decode()
    assert "Mobile Safari sur iOS" in page and "Chrome sur Linux" in page
    assert "185.12.34.x" in page and "185.12.34.56" not in page
    assert "2001:db8:1:2::/64" in page and "::7" not in page
    assert "AppleWebKit" not in page


IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1")
LINUX_CHROME = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                "Chrome/120.0.0.0 Safari/537.36")
