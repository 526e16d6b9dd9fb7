"""django-axes glue: one lockout counter per account, whatever the user typed to log in.

The login wizard posts `auth-username`, but Django's `user_login_failed` signal carries the
credentials as `username`: without this callable axes sees no username and never locks anyone.
An e-mail and an AHV number of the same person share one counter; an unknown AHV number is kept
only as a keyed hash, so the attempt table holds no AHV number in clear.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from policies.validators import normalize_ahv

from .models import hash_code


def login_identifier(raw: str | None) -> str | None:
    from .backends import find_user_by_login

    raw = (raw or "").strip()
    if not raw:
        return None
    user = find_user_by_login(raw)
    if user is not None:
        return user.email.lower()
    if "@" in raw:
        return raw.lower()[:150]
    try:
        return "ahv:" + hash_code(normalize_ahv(raw))[:32]
    except ValidationError:
        return "login:" + hash_code(raw)[:32]


def axes_username(request, credentials: dict | None = None) -> str | None:
    if credentials:
        for key in ("auth-username", "username", "email"):
            if credentials.get(key):
                return login_identifier(credentials[key])
    if request is not None:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        return login_identifier(data.get("auth-username") or data.get("username"))
    return None


def axes_lockout_response(request, original_response=None, credentials=None):
    """Keep the login page: the form itself says the account is locked (see LoginForm)."""
    if original_response is not None:
        return original_response
    from django.shortcuts import render

    return render(request, "accounts/locked.html", status=200)


def record_factor_failure(request, user) -> None:
    """A wrong second-factor code counts towards the same lockout as a wrong password."""
    from axes.handlers.proxy import AxesProxyHandler

    AxesProxyHandler.user_login_failed(
        sender=record_factor_failure, credentials={"auth-username": user.email}, request=request
    )


def unlock(user) -> int:
    from axes.utils import reset

    return reset(username=user.email.lower())
