from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Comptes et sécurité")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import signals  # noqa: F401

        post_migrate.connect(_sync_duty_groups, dispatch_uid="accounts.sync_duty_groups")


def _sync_duty_groups(sender, app_config=None, using="default", apps=None, **kwargs) -> None:
    """After every migrate: the duty groups hold what accounts/duties.py says (a permission added
    there reaches the groups with the next deployment). Once per migrate; every app's permissions
    are created first, whatever the order in which post_migrate reaches the apps."""
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    if sender is None or sender.label != "accounts":
        return
    for config in global_apps.get_app_configs():
        create_permissions(config, verbosity=0, using=using)
    from .duties import sync_duty_groups

    sync_duty_groups()
