"""A version number per insured person for everything the insured dashboard shows.

The dashboard is the most visited page; its rendered body is cached under the person's current
version (portals/insured/views.py). Any write that changes what it shows calls
`dashboard_touch`: model signals do it for saves and deletes (policies.signals), and the few
queryset `.update()` calls do it themselves. Old entries are never read again and expire.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import transaction

DASHBOARD_CACHE_SECONDS = 10 * 60


GENERATION_KEY = "insured-dashboard-generation:v1"


def _key(person_id: int) -> str:
    return f"insured-dashboard-version:v1:{person_id}"


def dashboard_version_keys(person_id: int) -> list[str]:
    """The cache keys of the versions a person's cached pages depend on (for
    policies.broker_cache.versioned): everyone's generation and the person's own."""
    return [GENERATION_KEY, _key(person_id)]


def dashboard_version(person_id: int) -> str:
    """The person's own version and the generation shared by everyone (employer, contract
    and plan names appear on every dashboard), in one cache round trip."""
    found = cache.get_many([GENERATION_KEY, _key(person_id)])
    for key in (GENERATION_KEY, _key(person_id)):
        if key not in found:
            cache.add(key, time.time_ns(), None)
            found[key] = cache.get(key)
    return f"{found[GENERATION_KEY]}.{found[_key(person_id)]}"


def _bump(key: str) -> None:
    """New value now and again after commit, so a reader racing the write cannot cache the
    old figures under the new version."""

    def bump() -> None:
        cache.set(key, time.time_ns(), None)

    bump()
    transaction.on_commit(bump)


def dashboard_touch(person_id: int | None) -> None:
    if person_id is not None:
        _bump(_key(person_id))


def dashboard_touch_many(person_ids) -> None:
    """`dashboard_touch` for many persons (a bulk update), in one cache round trip."""
    keys = [_key(pk) for pk in set(person_ids) if pk is not None]
    if not keys:
        return

    def bump() -> None:
        version = time.time_ns()
        cache.set_many(dict.fromkeys(keys, version), None)

    bump()
    transaction.on_commit(bump)


def dashboard_touch_everyone() -> None:
    _bump(GENERATION_KEY)
