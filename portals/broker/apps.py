from __future__ import annotations

from django.apps import AppConfig


class BrokerPortalConfig(AppConfig):
    name = "portals.broker"
    label = "broker_portal"
