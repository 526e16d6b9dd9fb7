from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoliciesConfig(AppConfig):
    name = "policies"
    verbose_name = _("Prévoyance")

    def ready(self) -> None:
        from . import signals  # noqa: F401
