"""A bad or missing environment variable stops start-up with a message naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LONG_KEY = "k" * 60


def _start(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {
        "DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER", "EMAIL_URL", "ALLOWED_HOSTS"}}
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "portals.settings"
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60,
    )


@pytest.mark.parametrize(
    "env,named",
    [
        ({"DEBUG": "0"}, "SECRET_KEY"),
        ({"DEBUG": "0", "SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://127.0.0.1:6379"}, "REDIS_URL"),
        ({"TWILIO_ACCOUNT_SID": "AC123"}, "TWILIO_AUTH_TOKEN"),
        ({"DB_CONN_MAX_AGE": "soon", "DATABASE_URL": "postgres://u@h/d"}, "DB_CONN_MAX_AGE"),
        ({"AXES_FAILURE_LIMIT": "0"}, "AXES_FAILURE_LIMIT"),
        ({"FUND_NAME": "  "}, "FUND_NAME"),
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
