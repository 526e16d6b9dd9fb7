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


def _key(person_id: int) -> str:
    return f"insured-dashboard-version:v1:{person_id}"


def dashboard_version(person_id: int) -> int:
    version = cache.get(_key(person_id))
    if version is None:
        version = time.time_ns()
        cache.add(_key(person_id), version, None)
        version = cache.get(_key(person_id), version)
    return version


def dashboard_touch(person_id: int | None) -> None:
    """New version now and again after commit, so a reader racing the write cannot cache the
    old figures under the new version."""
    if person_id is None:
        return

    def bump() -> None:
        cache.set(_key(person_id), time.time_ns(), None)

    bump()
    transaction.on_commit(bump)
