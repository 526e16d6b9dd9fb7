"""The shared cache (Redis) degrades to "nothing cached" while Redis is unreachable.

Everything kept there can be rebuilt from the database (memberships, the terms version, rendered
pages under data versions) or is a convenience limit, so a page is served from the database
instead of failing with a 500: logins with an authenticator app keep working while Redis is
down, and the cache is used again as soon as it answers. While it is down, reads miss, writes
and deletes are dropped (entries written before the outage expire by their timeout), `add`
says "not added" and `incr` counts from zero. Only connection failures are absorbed; any other
error still raises.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from .redis_clients import OneClientPerPool

logger = logging.getLogger(__name__)

# Fail fast: a Redis that does not answer must not hold a web request.
DEFAULT_OPTIONS = {"socket_connect_timeout": 1.0, "socket_timeout": 2.0}
WARN_EVERY_SECONDS = 30.0


class _Unavailable:
    """Runs one cache call; on a Redis connection failure logs (at most every 30 s) and
    returns the fallback."""

    last_warning = 0.0

    @classmethod
    def call(cls, lib, name: str, fallback, function, *args):
        try:
            return function(*args)
        except (lib.exceptions.ConnectionError, lib.exceptions.TimeoutError) as exc:
            now = time.monotonic()
            if now - cls.last_warning >= WARN_EVERY_SECONDS:
                cls.last_warning = now
                logger.warning("cache unavailable, %s served without it: %s", name, exc)
            return fallback


class ResilientRedisCacheClient(OneClientPerPool, RedisCacheClient):
    def __init__(self, servers, **options):
        super().__init__(servers, **{**DEFAULT_OPTIONS, **options})

    def _safe(self, name, fallback, *args):
        return _Unavailable.call(self._lib, name, fallback, getattr(super(), name), *args)

    def add(self, key, value, timeout):
        return self._safe("add", False, key, value, timeout)

    def get(self, key, default):
        return self._safe("get", default, key, default)

    def set(self, key, value, timeout):
        return self._safe("set", None, key, value, timeout)

    def touch(self, key, timeout):
        return self._safe("touch", False, key, timeout)

    def delete(self, key):
        return self._safe("delete", False, key)

    def get_many(self, keys):
        return self._safe("get_many", {}, keys)

    def has_key(self, key):
        return self._safe("has_key", False, key)

    def incr(self, key, delta):
        return self._safe("incr", delta, key, delta)

    def set_many(self, data, timeout):
        return self._safe("set_many", None, data, timeout)

    def delete_many(self, keys):
        return self._safe("delete_many", None, keys)

    def clear(self):
        return self._safe("clear", False)


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ResilientRedisCacheClient
