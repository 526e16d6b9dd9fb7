from __future__ import annotations

from django.apps import AppConfig


class EmployerPortalConfig(AppConfig):
    name = "portals.employer"
    label = "employer_portal"
