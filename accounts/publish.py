"""Handing a Celery task to the broker from a web request without failing the request.

With Redis down, `.delay()` raises after kombu's short publish retries (under a second). The
caller decides what the person is told and what becomes of the row; periodic jobs pick up
whatever stayed behind once Redis is back. An exception from the task itself (eager mode, the
embedded default) is not a broker failure and still propagates.
"""

from __future__ import annotations

import logging

from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

BROKER_ERRORS = (OperationalError, OSError)


def publish(task, *args) -> bool:
    """Queue `task(*args)`; False (and logged) when the broker cannot take it."""
    try:
        task.delay(*args)
    except BROKER_ERRORS:
        logger.exception("broker unavailable: %s%r not queued", task.name, args)
        return False
    return True
