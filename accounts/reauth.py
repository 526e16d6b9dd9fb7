"""When the password was last given again: the time sits in the session (set at login and by the
re-authentication page); sensitive actions ask for it again after five minutes."""

from __future__ import annotations

import time

SESSION_KEY = "reauthenticated_at"
MAX_AGE_SECONDS = 5 * 60


def reauth_mark(session) -> None:
    session[SESSION_KEY] = time.time()


def is_recently_reauthenticated(request, max_age: int = MAX_AGE_SECONDS) -> bool:
    at = request.session.get(SESSION_KEY)
    return at is not None and time.time() - at <= max_age
