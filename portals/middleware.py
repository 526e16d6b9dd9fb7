from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers

SESSION_LAST_SEEN = "last_seen"


class NoStoreForAuthenticatedMiddleware:
    """Session limits and no copy of a personal page in any cache (back button, proxies).

    - idle: 30 minutes without a request ends the session (server side: logout() flushes it);
    - absolute: 12 hours after login, however active (the DB expiry moves on each write);
    - a new session key once the second factor is verified, whichever view verified it;
    - an SMS limit reached inside a third-party view (two_factor's) becomes a page, not a 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from accounts.signals import SESSION_AUTH_AT, SESSION_VERIFIED_KEY

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            session = request.session
            now = int(time.time())
            last = session.get(SESSION_LAST_SEEN)
            auth_at = session.setdefault(SESSION_AUTH_AT, now)
            if last is not None and now - last > settings.SESSION_IDLE_SECONDS:
                return self._end(request, "idle")
            if now - auth_at > settings.SESSION_ABSOLUTE_SECONDS:
                return self._end(request, "expired")
            if last is None or now - last >= 60:  # one session write a minute, not per request
                session[SESSION_LAST_SEEN] = now
                self._touch(request)
            is_verified = getattr(user, "is_verified", None)
            if is_verified is not None and is_verified() and (
                session.get(SESSION_VERIFIED_KEY) != session.session_key
            ):
                self._cycle(request)
                session[SESSION_VERIFIED_KEY] = session.session_key
        response = self.get_response(request)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
        return response

    def process_exception(self, request, exception):
        from accounts.services import SmsLimitExceeded

        if isinstance(exception, SmsLimitExceeded):
            return render(
                request, "accounts/sms_limit.html", {"message": exception.message}, status=429
            )
        return None

    @staticmethod
    def _end(request, reason: str):
        path = request.get_full_path()
        logout(request)
        return redirect(f"{settings.LOGIN_URL_PATH}?{urlencode({'next': path, reason: 1})}")

    @staticmethod
    def _touch(request) -> None:
        from accounts.services import user_session_touch

        user_session_touch(session_key=request.session.session_key)

    @staticmethod
    def _cycle(request) -> None:
        from accounts.services import user_session_rekey

        old = request.session.session_key
        request.session.cycle_key()
        user_session_rekey(old_key=old, new_key=request.session.session_key)
