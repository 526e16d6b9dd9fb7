from __future__ import annotations

import os

from celery import Celery, signals

from . import request_id  # noqa: F401  (connects the request id's Celery signal handlers)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portals.settings")

app = Celery("portals")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect(weak=False, dispatch_uid="portals_logging")
def _logging(**kwargs) -> None:
    """Worker and beat log like the web processes (settings.LOGGING: JSON lines with the request
    id in production) instead of Celery's own format."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    logging.captureWarnings(True)
