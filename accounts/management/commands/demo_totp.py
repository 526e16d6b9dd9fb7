"""Print the current TOTP code of the demo logins (embedded mode only)."""

from __future__ import annotations

import base64
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp

from .seed_demo import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Show the demo accounts' current authenticator code."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_totp is for the embedded demo only.")
        key = base64.b32decode(DEMO_TOTP_SECRET)
        code = totp(key)
        left = 30 - int(time.time()) % 30
        self.stdout.write(f"Demo authenticator code: {code:06d} (valid for {left} more seconds)")
