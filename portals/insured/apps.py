from __future__ import annotations

from django.apps import AppConfig


class InsuredPortalConfig(AppConfig):
    name = "portals.insured"
    label = "insured_portal"
