"""Version numbers for what the broker portal's policy pages show.

A policy's details and values tabs are rendered once per policy version (and scope, language
and day) and then served from the shared cache (portals/broker/views.py); the scope check runs
on every request before the cache is read. Any write that changes what those pages show bumps
a version: model signals do it for saves and deletes of the policy, its premiums, values and
beneficiaries, and of the holder or insured person (policies.signals). Old entries are never
read again and expire.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import transaction

POLICY_PAGE_CACHE_SECONDS = 10 * 60


def _policy_key(policy_id: int) -> str:
    return f"broker-policy-version:v1:{policy_id}"


def _holder_key(holder_id: int) -> str:
    return f"broker-holder-version:v1:{holder_id}"


def policy_version_keys(policy_id: int, holder_ids: list[int | None]) -> list[str]:
    """The versions a policy page depends on: the policy's, its holder's and insured person's."""
    return [_policy_key(policy_id)] + [_holder_key(pk) for pk in holder_ids if pk is not None]


def versioned(key: str, version_keys: list[str], build, timeout: int,
              found: dict | None = None):
    """The value cached under `key` if it was built at the current versions, else `build()`
    kept with them: the versions and the value come in one cache round trip. A value built
    while a write was under way carries the versions read before it, which that write's bump
    (again after commit) makes stale."""
    return versioned_many({key: build}, version_keys, timeout, found=found)[key]


def versioned_many(builds: dict, version_keys: list[str], timeout: int,
                   found: dict | None = None) -> dict:
    """`versioned` for several values that depend on the same versions (e.g. a page's body
    and a flag its header shows): all of them and the versions in one cache round trip; only
    the missing or stale ones are built. `found`: the caller's own `get_many` of these keys
    (with others it needed in the same round trip)."""
    if found is None:
        found = cache.get_many([*builds, *version_keys])
    current = [found.get(k) for k in version_keys]
    values = {}
    for key in builds:
        entry = found.get(key)
        if entry is not None and None not in current and entry[0] == current:
            values[key] = entry[1]
    if len(values) == len(builds):
        return values
    for index, version_key in enumerate(version_keys):
        if current[index] is None:
            cache.add(version_key, time.time_ns(), None)
            current[index] = cache.get(version_key)
    for key, build in builds.items():
        if key not in values:
            values[key] = build()
            cache.set(key, (current, values[key]), timeout)
    return values


def _bump(key: str) -> None:
    """New value now and again after commit, so a reader racing the write cannot cache the
    old page under the new version."""

    def bump() -> None:
        cache.set(key, time.time_ns(), None)

    bump()
    transaction.on_commit(bump)


def policy_touch(policy_id: int | None) -> None:
    if policy_id is not None:
        _bump(_policy_key(policy_id))


def holder_touch(holder_id: int | None) -> None:
    if holder_id is not None:
        _bump(_holder_key(holder_id))


# --- the portfolio list: one version per agency --------------------------------------------------

PORTFOLIO_CACHE_SECONDS = 10 * 60


def _portfolio_key(agency_id: int) -> str:
    return f"broker-portfolio-version:v1:{agency_id}"


def portfolio_version_key(agency_id: int) -> str:
    return _portfolio_key(agency_id)


def portfolio_touch(agency_ids) -> None:
    """The agencies whose portfolio lists a changed policy, holder, premium or mandate."""
    for agency_id in set(agency_ids):
        if agency_id is not None:
            _bump(_portfolio_key(agency_id))
