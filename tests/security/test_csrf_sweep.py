"""No view in the project opts out of CSRF protection, and a token-less POST is refused."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

# Views that legitimately take no state-changing POST from a browser session.
ALLOWED_EXEMPT: set[str] = set()


def register_with_code(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from register_with_code(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _concrete(route: str) -> str | None:
    if "<" in route or "(" in route or "^" in route:
        return None
    return "/" + route


def test_no_view_is_csrf_exempt():
    exempt = [
        route for route, pattern in register_with_code(get_resolver().url_patterns)
        if getattr(pattern.callback, "csrf_exempt", False) and route not in ALLOWED_EXEMPT
    ]
    assert exempt == []


@pytest.mark.django_db
def test_post_without_a_token_is_refused_everywhere(insured):
    client = Client(enforce_csrf_checks=True)
    from tests.conftest import login_verified

    login_verified(client, insured)
    checked = 0
    for route, _pattern in register_with_code(get_resolver().url_patterns):
        url = _concrete(route)
        if url is None or url.startswith(("/admin/", "/static/", "/jsi18n")):
            continue
        response = client.post(url, {"x": "1"})
        # The CSRF middleware answers before any view runs: nothing else may come back.
        assert response.status_code == 403, (url, response.status_code)
        checked += 1
    assert checked >= 10
