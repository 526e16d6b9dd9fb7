"""A bad or missing environment variable stops start-up with a message naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LONG_KEY = "k" * 60


def _start(*, code: str = "import django; django.setup()", **env) -> subprocess.CompletedProcess:
    """A fresh interpreter with only `env` of the settings' variables (DEBUG unset unless given:
    the test run's own DEBUG=1 from tests/environment.py is removed too)."""
    clean = {k: v for k, v in os.environ.items() if k not in {
        "DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER", "EMAIL_URL", "ALLOWED_HOSTS", "ENV_FILE"}}
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "portals.settings"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60,
    )


@pytest.mark.parametrize(
    "env,named",
    [
        ({}, "SECRET_KEY"),  # nothing set is production: no embedded key
        ({"DEBUG": "0"}, "SECRET_KEY"),
        ({"DEBUG": "0", "SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DEBUG": "1", "DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL"),
        ({"DEBUG": "1", "DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"DEBUG": "1", "REDIS_URL": "http://127.0.0.1:6379"}, "REDIS_URL"),
        ({"DEBUG": "1", "TWILIO_ACCOUNT_SID": "AC123"}, "TWILIO_AUTH_TOKEN"),
        ({"DEBUG": "1", "DB_CONN_MAX_AGE": "soon", "DATABASE_URL": "postgres://u@h/d"},
         "DB_CONN_MAX_AGE"),
        ({"DEBUG": "1", "AXES_FAILURE_LIMIT": "0"}, "AXES_FAILURE_LIMIT"),
        ({"DEBUG": "1", "FUND_NAME": "  "}, "FUND_NAME"),
    ],
)
def test_a_bad_variable_stops_start_up_naming_it(env, named):
    result = _start(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert named in result.stderr.splitlines()[-1]


def test_production_variables_start_cleanly():
    result = _start(DEBUG="0", SECRET_KEY=LONG_KEY, ALLOWED_HOSTS="portal.example.ch",
                    DATABASE_URL="postgres://portal@db:5432/portal",
                    REDIS_URL="redis://redis:6379/0", EMAIL_URL="smtp://mail:25")
    assert result.returncode == 0, result.stderr


def test_nothing_set_refuses_to_start_with_the_embedded_key():
    result = _start()
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is required when DEBUG is off" in result.stderr


ROUTES = """
import django
django.setup()
from django.conf import settings
from django.urls import Resolver404, resolve
try:
    resolve("/dev/outbox/")
    routed = True
except Resolver404:
    routed = False
print(f"DEBUG={settings.DEBUG} outbox={routed}")
"""


def test_with_debug_unset_the_outbox_of_codes_is_not_published():
    result = _start(code=ROUTES, SECRET_KEY=LONG_KEY)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "DEBUG=False outbox=False"


def test_the_embedded_default_is_asked_for_explicitly():
    result = _start(code=ROUTES, DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "DEBUG=True outbox=True"


def test_the_test_run_itself_asks_for_the_embedded_default():
    # tests/environment.py, loaded before the settings: a shell without DEBUG still tests the
    # embedded default (pytest-django switches settings.DEBUG off per test, not the import).
    assert os.environ["DEBUG"].strip().lower() in {"1", "true", "yes", "on"}
