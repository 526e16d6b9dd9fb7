"""Twilio answering 429, 500 or not at all, faked at the HTTP layer.

The person logging in with an SMS code never gets a 500: a message that could not be sent says
so on the login page; every outbox row ends in a clear state (sent, or failed with the error
kept) and is never sent twice.

In-process (every run): `responses` around Twilio's HTTP client, eager Celery (the task runs in
the request, nobody retries later). On the real stack: a worker calls a fake Twilio server on
loopback over real HTTP, and retries a 429 after 5 s.
"""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
import requests
from django.test import Client

from accounts.models import OutboxMessage
from accounts.outbox import REDACTED
from tests.conftest import TWILIO_URL, post_password, post_token
from tests.faults.conftest import (
    SENT_TEXT,
    TWILIO_WORKER_ENV,
    UNDELIVERED,
    FakeTwilio,
    code_in,
    sms_user,
)
from tests.stack import needs_stack, wait_until

FAULTS = {
    "429": ({"json": {"code": 20429, "message": "Too Many Requests"}, "status": 429},
            "twilio 429 (20429)"),
    "500": ({"json": {"code": 20500, "message": "Internal Server Error"}, "status": 500},
            "twilio 500 (20500)"),
    "timeout": ({"body": requests.exceptions.ReadTimeout("no answer")},
                "twilio read timeout (outcome unknown)"),
}


def test_a_failing_gateway_is_explained_on_the_login_page(insured, twilio, transactional_db):
    twilio.post(TWILIO_URL, json={"sid": "SM0", "status": "queued"}, status=201)
    for index, (fault, (answer, error)) in enumerate(FAULTS.items()):
        number = f"+4179123450{index}"
        twilio.replace("POST", TWILIO_URL, **answer)
        sms_user(insured, number)
        client = Client()

        page = post_password(client, insured.email)

        assert page.status_code == 200, fault
        body = page.content.decode()
        assert UNDELIVERED in body and SENT_TEXT not in body, fault
        message = OutboxMessage.objects.get(channel="sms", recipient=number)
        assert (message.status, message.attempts, message.error) == ("failed", 1, error)
        assert message.body == REDACTED  # the code it carried is not kept
        assert len(twilio.calls) == 2 * index + 1

        # Twilio answers again: a new code is asked for, sent once, and logs the person in.
        twilio.replace("POST", TWILIO_URL, json={"sid": "SM1", "status": "queued"}, status=201)
        device = insured.phonedevice_set.get()
        again = client.post("/account/login/", {"challenge_device": device.persistent_id})
        assert again.status_code == 200 and SENT_TEXT in again.content.decode(), fault
        assert len(twilio.calls) == 2 * index + 2
        latest = OutboxMessage.objects.filter(recipient=number).order_by("-pk").first()
        assert (latest.status, latest.provider_id) == ("sent", "SM1")
        code = code_in(parse_qs(twilio.calls[-1].request.body)["Body"][0])
        assert post_token(client, code).status_code == 302
        assert client.get("/insured/").status_code == 200


# --- the real stack: a worker, Twilio on loopback -------------------------------------------------

@pytest.fixture(scope="module")
def fake_twilio():
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture(scope="module")
def twilio_worker(django_db_setup, django_db_blocker, fake_twilio, tmp_path_factory):
    from portals.celery import app
    from tests.stack import Worker

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    app.control.purge()
    worker = Worker(tmp_path_factory.mktemp("twilio") / "worker.log",
                    module="tests.faults.fault_worker",
                    env={**TWILIO_WORKER_ENV, "FAULT_TWILIO_URL": fake_twilio.url}).start()
    yield worker
    worker.stop()
    app.conf.task_always_eager = previous


def _final(number: str) -> OutboxMessage:
    def done():
        message = OutboxMessage.objects.filter(recipient=number).order_by("-pk").first()
        return message if message and message.status not in ("pending", "sending") else None

    message = wait_until(done, 30)
    assert message is not None, f"the SMS to {number} was not settled"
    return message


@pytest.mark.usefixtures("transactional_db")
class TestOnTheRealStack:
    pytestmark = needs_stack

    def test_429_is_retried_by_the_worker_then_sent_once(self, client, insured, fake_twilio,
                                                         twilio_worker):
        number = FakeTwilio.RATE_LIMITED
        sms_user(insured, number)
        assert post_password(client, insured.email).status_code == 200

        message = _final(number)

        assert (message.status, message.attempts, message.error) == ("sent", 2, "")
        assert message.body == REDACTED
        calls = fake_twilio.calls_to(number)
        assert len(calls) == 2  # refused once, accepted on the retry
        response = post_token(client, code_in(calls[-1]["body"]))
        assert response.status_code == 302
        assert client.get("/insured/").status_code == 200

    def test_500_and_timeout_fail_with_the_error_and_are_never_resent(
            self, insured, fake_twilio, twilio_worker):
        from accounts.tasks import deliver_message, housekeeping

        for number, error in ((FakeTwilio.BROKEN, "twilio 500 (20500)"),
                              (FakeTwilio.SLOW, "twilio read timeout (outcome unknown)")):
            sms_user(insured, number)
            client = Client()
            assert post_password(client, insured.email).status_code == 200

            message = _final(number)

            assert (message.status, message.attempts, message.error) == ("failed", 1, error)
            assert len(fake_twilio.calls_to(number)) == 1
            # Whatever is posted next, the page says the SMS did not go, not "we sent a code".
            page = post_token(client, "000000")
            assert page.status_code == 200
            assert UNDELIVERED in page.content.decode()
            # The row stays failed: a duplicate task or housekeeping does not send it again.
            done_before = twilio_worker.text().count(" succeeded in ")
            deliver_message.delay(message.pk)
            housekeeping.delay()
            assert wait_until(
                lambda n=done_before: twilio_worker.text().count(" succeeded in ") >= n + 2, 20)
            message.refresh_from_db()
            assert message.status == "failed" and len(fake_twilio.calls_to(number)) == 1
