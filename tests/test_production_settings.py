"""Production settings of the stack: JSON log lines, the Twilio base URL, the .env.example
placeholder key. (tests/test_settings_env.py covers the other variables.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KEY = "k" * 60
PRODUCTION = {"DEBUG": "0", "SECRET_KEY": KEY, "ALLOWED_HOSTS": "portal.example.ch"}


def _run(code: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {
        "DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER", "TWILIO_API_BASE_URL", "EMAIL_URL",
        "ALLOWED_HOSTS", "LOG_FORMAT", "LOG_LEVEL"}}
    clean.update(env, DJANGO_SETTINGS_MODULE="portals.settings", ENV_FILE="/dev/null")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean,
                          capture_output=True, text=True, timeout=60)


LOG_A_LINE = ("import django, logging; django.setup(); "
              "logging.getLogger('accounts.delivery').warning('SMS to %s refused', '+41 79')")


def test_production_logs_one_json_object_per_line_on_stdout():
    result = _run(LOG_A_LINE, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    entry = json.loads(line)
    assert {k: entry[k] for k in ("level", "logger", "message", "request_id")} == {
        "level": "WARNING", "logger": "accounts.delivery", "message": "SMS to +41 79 refused",
        "request_id": None}
    assert entry["time"].endswith("Z")


def test_a_laptop_logs_text_unless_asked_for_json():
    text = _run(LOG_A_LINE, DEBUG="1")
    assert text.returncode == 0, text.stderr
    assert "WARNING accounts.delivery [None] SMS to +41 79 refused" in text.stdout
    asked = _run(LOG_A_LINE, DEBUG="1", LOG_FORMAT="json")
    assert json.loads(asked.stdout)["message"] == "SMS to +41 79 refused"


@pytest.mark.parametrize("env,named", [
    ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
    ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    ({"TWILIO_API_BASE_URL": "http://twilio-proxy.example:8080"}, "TWILIO_API_BASE_URL"),
    ({"TWILIO_API_BASE_URL": "ftp://127.0.0.1"}, "TWILIO_API_BASE_URL"),
    ({"TWILIO_API_BASE_URL": "https://proxy.example/2010-04-01"}, "TWILIO_API_BASE_URL"),
    ({"SECRET_KEY": "change-me-to-at-least-50-random-characters-0123456789"}, "SECRET_KEY"),
    ({"CODE_HASH_KEY": "short"}, "CODE_HASH_KEY"),
])
def test_a_bad_value_stops_start_up_naming_it(env, named):
    result = _run("import django; django.setup()", **{**PRODUCTION, **env})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert named in result.stderr.splitlines()[-1]


@pytest.mark.parametrize("base", ["https://twilio-proxy.example:8443", "http://127.0.0.1:9123",
                                  "http://localhost:9123/"])
def test_a_twilio_base_url_over_tls_or_on_loopback_is_accepted(base):
    result = _run("from django.conf import settings; print(settings.TWILIO_API_BASE_URL)",
                  **PRODUCTION, TWILIO_API_BASE_URL=base)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == base.rstrip("/")
