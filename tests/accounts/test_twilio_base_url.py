"""TWILIO_API_BASE_URL: Twilio's REST calls go to another base URL (CI's fake Twilio, an egress
proxy) through Twilio's own client, so what reaches it is what Twilio would receive."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from accounts.models import OutboxMessage
from accounts.outbox import DeliveryOutcome, message_deliver
from tests.conftest import SID

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _sms() -> OutboxMessage:
    return OutboxMessage.objects.create(channel="sms", recipient="+41791234567",
                                        body="Votre code: 447683")


def test_the_sms_goes_to_the_configured_base_url_with_twilios_request(twilio, settings):
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:8765"
    url = f"http://127.0.0.1:8765/2010-04-01/Accounts/{SID}/Messages.json"
    twilio.post(url, json={"sid": "SM42", "status": "queued"}, status=201)
    message = _sms()
    assert message_deliver(message_id=message.pk) is DeliveryOutcome.SENT
    (call,) = twilio.calls
    assert call.request.url == url
    assert call.request.headers["Authorization"] == "Basic " + base64.b64encode(
        f"{SID}:secret-token".encode()).decode()
    assert "To=%2B41791234567" in call.request.body
    message.refresh_from_db()
    assert message.provider_id == "SM42"


def test_without_it_the_sms_goes_to_twilio(twilio, settings):
    settings.TWILIO_API_BASE_URL = ""
    twilio.post(f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json",
                json={"sid": "SM43", "status": "queued"}, status=201)
    assert message_deliver(message_id=_sms().pk) is DeliveryOutcome.SENT
    assert twilio.calls[0].request.url.startswith("https://api.twilio.com/")


@pytest.fixture
def fake_twilio(tmp_path, settings):
    """.ci/fake_twilio.py, the endpoint .ci/prod-smoke runs, on a free loopback port."""
    token = "fake-token-0123456789"
    env = {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": token, "PATH": "/usr/bin:/bin"}
    port_file, out = tmp_path / "port", tmp_path / "sms.jsonl"
    process = subprocess.Popen(
        [sys.executable, str(ROOT / ".ci" / "fake_twilio.py"), "--port-file", str(port_file),
         "--out", str(out)], env=env)
    try:
        deadline = time.monotonic() + 20
        while not port_file.exists() and time.monotonic() < deadline:
            assert process.poll() is None
            time.sleep(0.05)
        settings.SMS_BACKEND = "twilio"
        settings.TWILIO_ACCOUNT_SID = SID
        settings.TWILIO_AUTH_TOKEN = token
        settings.TWILIO_FROM_NUMBER = "+41215556600"
        settings.TWILIO_API_BASE_URL = f"http://127.0.0.1:{port_file.read_text()}"
        yield out
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_ci_fake_twilio_receives_what_the_real_client_sends(fake_twilio):
    message = _sms()
    assert message_deliver(message_id=message.pk) is DeliveryOutcome.SENT
    (record,) = [json.loads(line) for line in fake_twilio.read_text().splitlines()]
    assert (record["to"], record["from"], record["body"]) == (
        "+41791234567", "+41215556600", "Votre code: 447683")
    message.refresh_from_db()
    assert message.provider_id == record["sid"]


def test_the_ci_fake_twilio_refuses_a_wrong_token(fake_twilio, settings):
    settings.TWILIO_AUTH_TOKEN = "wrong-token"
    message = _sms()
    assert message_deliver(message_id=message.pk) is not DeliveryOutcome.SENT
    assert fake_twilio.read_text() == ""
