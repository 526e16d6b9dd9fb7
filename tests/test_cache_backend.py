"""The Redis cache backend (portals/redis_clients.py) keeps one client per connection pool and otherwise
behaves as Django's: values round-trip, add/get_many/delete/incr work, and a connection lost in
between is opened again. Runs where a Redis answers (REDIS_URL, or the local one), else skips."""

from __future__ import annotations

import os
import uuid

import pytest

from portals.redis_clients import RedisCache

URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


@pytest.fixture
def cache():
    backend = RedisCache(URL, {"KEY_PREFIX": f"test-cache-{uuid.uuid4().hex}"})
    try:
        backend.set("probe", 1, 5)
    except Exception:  # noqa: BLE001 - any connection error: no Redis here
        pytest.skip(f"no Redis at {URL}")
    yield backend
    backend.delete_many(["probe", "a", "b", "n", "gone"])


def test_values_round_trip_through_one_reused_client(cache):
    cache.set("a", {"rows": [1, 2]}, 30)
    assert cache.add("b", "first", 30) is True
    assert cache.add("b", "second", 30) is False
    assert cache.get_many(["a", "b", "gone"]) == {"a": {"rows": [1, 2]}, "b": "first"}
    cache.set("n", 1, 30)
    assert cache.incr("n") == 2
    assert cache.delete("a") is True and cache.get("a") is None
    assert cache._cache.get_client() is cache._cache.get_client(write=True)


def test_a_dropped_connection_is_opened_again(cache):
    cache.set("a", "before", 30)
    cache._cache.get_client().connection_pool.disconnect()
    assert cache.get("a") == "before"
