from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers


class NoStoreForAuthenticatedMiddleware:
    """Idle timeout, and no copy of a personal page in any cache (browser back button, proxies)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last = request.session.get("last_seen")
            if last is not None and now - last > settings.SESSION_IDLE_SECONDS:
                logout(request)
                return redirect(f"{settings.LOGIN_URL_PATH}?next={request.path}&idle=1")
            if last is None or now - last >= 60:  # one session write a minute, not per request
                request.session["last_seen"] = now
        response = self.get_response(request)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
        return response
