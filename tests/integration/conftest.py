"""A real Celery worker for the integration tests (they run when CELERY_WORKER_TESTS=1 with
PostgreSQL and Redis, as .ci/run does); the process machinery is tests/stack.py's."""

from __future__ import annotations

import pytest
from django.conf import settings

from portals.celery import app
from tests.stack import Worker


@pytest.fixture
def worker(transactional_db, tmp_path):
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    started = Worker(tmp_path / "worker.log", env={
        "LOG_FORMAT": "json",  # as in production: one JSON object per line
        # Files the worker writes (bulk letters) land where this test process reads them.
        "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
    })
    try:
        started.start()
        yield started.log
    finally:
        app.conf.task_always_eager = previous
        started.stop()
