"""Where to go after a form: the one place that reads a `next` parameter.

`redirect()` treats a bare word as a URL name (NoReverseMatch: a 500), and Django's
`url_has_allowed_host_and_scheme("x")` is True, so a relative `next` used to crash the terms page,
the password confirmation and the end of the login. Only a local absolute path is followed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import HttpRequest

REDIRECT_FIELD = "next"


def local_path(value: object) -> str | None:
    """`value` when it is a path on this site ("/profile/?tab=1"), else None.

    Refused: relative paths ("x"), scheme-relative or backslash tricks that browsers turn into
    another host ("//evil", "/\\evil"), any scheme or host, control characters.
    """
    if not isinstance(value, str) or not value.startswith("/"):
        return None
    if value.startswith("//") or "\\" in value:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value


def safe_next(request: HttpRequest, default: str) -> str:
    """The request's `next` (POST first, then GET) when it is a local path, else `default`
    (a path, e.g. `reverse("profile")`)."""
    for source in (request.POST, request.GET):
        value = source.get(REDIRECT_FIELD)
        if value:
            return local_path(value) or default
    return default
