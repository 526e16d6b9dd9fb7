"""A real Celery worker for the integration tests (they run when CELERY_WORKER_TESTS=1 with
PostgreSQL and Redis, as .ci/run does)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from portals.celery import app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker(transactional_db, tmp_path):
    db = connection.settings_dict
    env = dict(os.environ)
    env["DATABASE_URL"] = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env["CELERY_TASK_ALWAYS_EAGER"] = "0"
    env["LOG_FORMAT"] = "json"  # as in production: one JSON object per line
    # Files the worker writes (bulk letters) land where this test process reads them.
    env["PRIVATE_MEDIA_ROOT"] = str(settings.PRIVATE_MEDIA_ROOT)
    log = tmp_path / "worker.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portals", "worker", "--pool=solo",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO",
         "-n", f"test-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if app.control.ping(timeout=0.5):
                break
            assert process.poll() is None, log.read_text()
        else:
            pytest.fail("worker did not answer within 30 s:\n" + log.read_text())
        yield log
    finally:
        app.conf.task_always_eager = previous
        process.terminate()
        process.wait(timeout=20)
