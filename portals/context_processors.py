from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict:
    return {"FUND_NAME": settings.FUND_NAME, "DEBUG_OUTBOX": settings.DEBUG}
