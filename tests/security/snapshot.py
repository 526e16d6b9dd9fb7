"""A fingerprint of what is stored (row count and a hash of the rows of each table), to check
that a refused post changed nothing.

Left out, with the reason: what records the attempt itself (a refused post is still an attempt,
and counting attempts is what locks and limits are made of)."""

from __future__ import annotations

import hashlib

from django.apps import apps
from django.db import connection

# Tables a refused post may write to, by design.
ATTEMPT_TABLES = {
    "accounts.SecurityEvent": "the audit trail records failures (they count towards the locks)",
    "accounts.PortalSession": "the session itself: wizard state, flash messages",
    "accounts.UserSession": "the session list's last activity",
    "axes.AccessAttempt": "failed logins are counted (lock after 10)",
    "axes.AccessFailureLog": "failed logins are logged",
    "axes.AccessLog": "logins are logged",
    "policies.PolicyLookup": "every policy lookup is counted, found or not (hourly limit)",
    "accounts.AdminAudit": "the back office's audit trail records every refusal (403) too",
    "contenttypes.ContentType": "static",
    "auth.Permission": "static",
    "sessions.Session": "not used (PortalSession is the session store)",
}
# Columns a refused post may change: a wrong code counts as a try.
ATTEMPT_COLUMNS = {
    "accounts.VerificationCode": {"attempts"},
    "otp_totp.TOTPDevice": {"throttling_failure_count", "throttling_failure_timestamp"},
    "otp_static.StaticDevice": {"throttling_failure_count", "throttling_failure_timestamp"},
    "phonenumber.PhoneDevice": {"throttling_failure_count", "throttling_failure_timestamp"},
    "accounts.BackupCodeDevice": {"throttling_failure_count", "throttling_failure_timestamp"},
}


def _queries(everything: bool) -> list[tuple[str, str]]:
    queries = []
    qn = connection.ops.quote_name
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label
        if model._meta.proxy or not model._meta.managed:
            continue
        if label in ATTEMPT_TABLES and not everything:
            continue
        skip = set() if everything else ATTEMPT_COLUMNS.get(label, set())
        columns = [f.column for f in model._meta.local_concrete_fields if f.name not in skip]
        pk = model._meta.pk.column
        queries.append((model._meta.db_table,
                        f"SELECT {', '.join(qn(c) for c in columns)} FROM "
                        f"{qn(model._meta.db_table)} ORDER BY {qn(pk)}"))
    return sorted(set(queries))


_QUERIES: dict[bool, list[tuple[str, str]]] = {}


def fingerprint(*, everything: bool = False) -> dict[str, tuple[int, str]]:
    """{table: (rows, hash of the rows)} for every table of the project but what records
    attempts (ATTEMPT_TABLES, ATTEMPT_COLUMNS), or `everything`."""
    if everything not in _QUERIES:
        _QUERIES[everything] = _queries(everything)
    result = {}
    with connection.cursor() as cursor:
        for table, sql in _QUERIES[everything]:
            cursor.execute(sql)
            rows = cursor.fetchall()
            result[table] = (len(rows), hashlib.blake2b(repr(rows).encode(),
                                                        digest_size=12).hexdigest())
    return result


def write_counter() -> int | None:
    """A number that moves whenever anything is written in this connection (None where the
    database has none): while it stands still, the fingerprint needs no new reading."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT total_changes()")
        elif connection.vendor == "postgresql":
            cursor.execute("SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) "
                           "FROM pg_stat_xact_user_tables")
        else:
            return None
        return int(cursor.fetchone()[0])


class Snapshot:
    """The fingerprint of the last reading, read again only when something was written."""

    def __init__(self) -> None:
        self.take()

    def take(self) -> dict:
        self.counter = write_counter()
        self.value = fingerprint()
        return self.value

    def current(self) -> dict:
        counter = write_counter()
        if counter is None or counter != self.counter:
            return self.take()
        return self.value


def changed(before: dict, after: dict) -> list[str]:
    return sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))
