"""Redis stopped: a login with the authenticator app still works and the portal is served from
the database; asking for an SMS code says clearly that it could not be sent (no 500, no code
arriving minutes later); when Redis is back, the cache is used again and SMS codes are sent.

In-process (every run): the cache at an address where nothing listens, and a broker that
refuses the task. On the real stack: gunicorn and a worker on a Redis of the test's own, which
the test stops and starts again (the shared Redis is never touched).
"""

from __future__ import annotations

import re

import pytest
import requests
from kombu.exceptions import OperationalError

from accounts.models import OutboxMessage
from tests.conftest import post_password, post_token, totp_now
from tests.faults.conftest import SENT_TEXT, UNDELIVERED, Browser, sms_user
from tests.stack import free_port, needs_stack, wait_until

NUMBER = "+41791234567"


@pytest.fixture
def cache_unreachable(settings):
    from django.core.cache import caches

    settings.CACHES = {"default": {"BACKEND": "portals.cache.ResilientRedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}}
    yield caches["default"]


def test_a_totp_login_and_the_portal_work_without_the_cache(client, insured,
                                                            cache_unreachable):
    assert cache_unreachable.get("anything") is None  # nothing listens: a miss, no error
    assert post_password(client, insured.email).status_code == 200
    response = post_token(client, totp_now(insured))
    assert response.status_code == 302
    page = client.get("/insured/", follow=True)
    assert page.status_code == 200
    assert "Bonjour Claire" in page.content.decode()
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json()["checks"]["cache"] == "down"


@pytest.mark.django_db(transaction=True)
def test_an_sms_code_asked_for_while_the_broker_is_down_is_refused_clearly(
        client, insured, monkeypatch):
    from accounts.tasks import deliver_message

    sms_user(insured, NUMBER)
    real_delay = deliver_message.delay

    def broker_down(*args):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(deliver_message, "delay", broker_down)
    for _ in range(4):  # more than the 3 codes in 5 minutes: none of these left
        page = post_password(client, insured.email)
        assert page.status_code == 200
        body = page.content.decode()
        assert UNDELIVERED in body and SENT_TEXT not in body
        client.cookies.clear()
    rows = OutboxMessage.objects.filter(recipient=NUMBER)
    assert {(m.status, m.attempts, m.error) for m in rows} == {(
        "failed", 0, "queue unavailable")}

    monkeypatch.setattr(deliver_message, "delay", real_delay)  # Redis is back
    page = post_password(client, insured.email)
    assert SENT_TEXT in page.content.decode()
    latest = rows.order_by("-pk").first()
    assert latest.status == "sent"
    assert post_token(client, latest.body.rsplit(" ", 1)[-1]).status_code == 302


# --- the real stack -------------------------------------------------------------------------------

@pytest.mark.usefixtures("transactional_db")
class TestOnTheRealStack:
    pytestmark = needs_stack

    def test_redis_stopped_then_started(self, insured, other_insured, redis_server,
                                        web_server, workers):
        env = {"REDIS_URL": redis_server.url}
        web = web_server(**env)
        worker = workers(env=env)
        sms_user(other_insured, NUMBER)
        claire, otto = Browser(web), Browser(web)

        redis_server.stop()

        # The authenticator app: logged in, the portal served from the database.
        assert claire.password(insured.email).status_code == 200
        response = claire.token(totp_now(insured))
        assert response.status_code == 302, response.text
        assert claire.get("/portal/").headers["Location"] == "/insured/"
        home = claire.get("/insured/")
        assert home.status_code == 200 and "Bonjour Claire" in home.text
        # An SMS code: the page says it could not be sent; the row is failed, never sent later.
        page = otto.password(other_insured.email)
        assert page.status_code == 200
        assert UNDELIVERED in page.text and SENT_TEXT not in page.text
        failed = OutboxMessage.objects.get(recipient=NUMBER)
        assert (failed.status, failed.attempts, failed.error) == (
            "failed", 0, "queue unavailable")
        health = web.url("/healthz")
        assert requests.get(health, timeout=30).json()["checks"] == {
            "database": "ok", "cache": "down", "broker": "down"}

        redis_server.start()  # same port, empty

        assert wait_until(lambda: requests.get(health, timeout=30).status_code == 200, 30)
        assert claire.get("/insured/").status_code == 200
        assert redis_server.client().dbsize() > 0  # pages use the cache again
        # Otto asks for a new code: the worker (reconnected) sends it and it logs him in.
        device = other_insured.phonedevice_set.get()
        page = otto.post("/account/login/", {"challenge_device": device.persistent_id})
        assert page.status_code == 200 and SENT_TEXT in page.text
        latest = OutboxMessage.objects.filter(recipient=NUMBER).order_by("-pk").first()
        assert wait_until(lambda: f"SMS to {NUMBER}" in worker.text(), 60), worker.text()
        code = re.search(rf"SMS to \{NUMBER}: Votre code: (\d{{6}})", worker.text()).group(1)
        latest.refresh_from_db()
        assert latest.status == "sent"
        assert otto.token(code).status_code == 302
        failed.refresh_from_db()
        assert failed.status == "failed"  # the code asked for during the outage never left
        assert worker.text().count(f"SMS to {NUMBER}") == 1
