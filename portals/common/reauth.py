"""Re-authentication before a sensitive action (reveal the AHV number, change mobile, address or
IBAN): views guarded by RecentAuthRequiredMixin send the person to the password page first when
the last time is too old (accounts.reauth keeps the time in the session)."""

from __future__ import annotations

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from accounts.reauth import MAX_AGE_SECONDS, is_recently_reauthenticated

__all__ = ["MAX_AGE_SECONDS", "RecentAuthRequiredMixin", "is_recently_reauthenticated", "reauth_url"]


def reauth_url(next_url: str) -> str:
    return f"{reverse('reauth')}?{urlencode({'next': next_url})}"


class RecentAuthRequiredMixin:
    reauth_max_age = MAX_AGE_SECONDS

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not is_recently_reauthenticated(
            request, self.reauth_max_age
        ):
            return redirect(reauth_url(request.get_full_path()))
        return super().dispatch(request, *args, **kwargs)
