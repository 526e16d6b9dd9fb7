"""CSRF: no view opts out, and every state-changing view refuses a post without a token (403)
with nothing stored.

The views are found from the URL configuration and the pages (tests/security/surface.py: every
form and button that posts, for every persona and at every step of every flow, admin
included), not from a hand list: a new form is swept by the next run, and a URL pattern that
takes a POST but that nothing reaches fails here too."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import transaction

from .discovery import url_patterns
from .hostile import plausible_values
from .snapshot import fingerprint
from .surface import discover, uncovered
from .sweep_world import build_world

# Views that legitimately take no state-changing POST from a browser session.
ALLOWED_EXEMPT: set[str] = set()


def test_no_view_is_csrf_exempt():
    exempt = [
        route for route, pattern in url_patterns()
        if getattr(pattern.callback, "csrf_exempt", False) and route not in ALLOWED_EXEMPT
    ]
    assert exempt == []


@pytest.mark.django_db
def test_a_post_without_a_token_is_refused_everywhere_and_stores_nothing():
    world = build_world()
    targets, reasons = discover(world)
    posts = [t for t in targets if t.method != "get"]
    refused, problems = 0, [f"UNCOVERED {route}" for route in uncovered(reasons)]
    for target in posts:
        cache.clear()
        with transaction.atomic():
            client = target.journey.start(world)
            client.get(target.form.page)  # the session's first-request writes out of the way
            client.handler.enforce_csrf_checks = True
            data = {name: plausible_values(field)[0] for name, field in target.form.fields.items()
                    if name != "csrfmiddlewaretoken"}
            before = fingerprint(everything=True)
            response = client.post(target.form.action, data)
            after = fingerprint(everything=True)
            transaction.set_rollback(True)
        if response.status_code != 403:
            problems.append(f"{target.route} [{target.journey.name}]: {response.status_code}")
        elif before != after:
            problems.append(f"{target.route} [{target.journey.name}]: stored "
                            f"{sorted(t for t in before if before[t] != after.get(t))}")
        else:
            refused += 1
    print(f"\nCSRF: {refused} state-changing forms and buttons of "
          f"{len({t.route for t in posts})} URL patterns refused a post without a token")
    assert not problems, "\n".join(problems)
    assert refused >= 150  # the portals' and the admin's forms, not a handful
