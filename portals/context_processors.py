from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

FUND_NAME = "Caisse de pension Alpina"


def portal(request: HttpRequest) -> dict:
    return {"FUND_NAME": FUND_NAME, "DEBUG_OUTBOX": settings.DEBUG}
