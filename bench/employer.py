"""Employer portal benchmark (a script, not a test): the figures issue 10 asks for, in one run.

    .venv/bin/python bench/employer.py [--requests 300] [--concurrency 4] [--workers 2]

On a fresh PostgreSQL database (bench_employer), behind gunicorn (DEBUG=0, Redis cache):
- the staff overview (/employer/staff/) of a company with 20 staff and of one with 20,000:
  the query count of each (must be equal), p50/p95 of each and the p95 ratio (target <= 1.5);
- the CSV and XLSX export of the 20,000 rows: time and peak Python memory (tracemalloc), in
  process;
- the validation of a 10,000-row XLSX of salary changes (read + every rule), in process
  (target <= 20 s on this machine).
Prints the figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load  # noqa: E402

load.DB_NAME = "bench_employer"
SMALL, LARGE = 20, 20_000
XLSX_ROWS = 10_000


def seed() -> dict:
    """Two companies and one verified admin session for each."""
    import random
    from datetime import date
    from decimal import Decimal

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from stdnum import ean

    from accounts.models import Membership, Terms, TermsAcceptance, User
    from accounts.session_store import SessionStore
    from accounts.signals import SESSION_AUTH_AT, SESSION_VERIFIED_KEY
    from policies.models import Contract, Employer, InsuredPerson, Plan

    rng = random.Random(10)  # noqa: S311 - bench data
    Terms.objects.create(version=1, language="fr", title="Conditions", body="Texte",
                         published_at=timezone.now())
    plan = Plan.objects.create(code="bench", name="Plan bench")
    names = ["Favre", "Müller", "Rossi", "Meier", "Bonvin", "Keller", "Rochat", "Schmid",
             "Weber", "Huber", "Gerber", "Frei", "Moser", "Baumann", "Rey", "Perret"]
    counter = iter(range(10_000_000, 99_999_999))
    sessions = {}
    for size, uid in ((SMALL, "CHE-116.281.710"), (LARGE, "CHE-105.805.081")):
        employer = Employer.objects.create(name=f"Bench {size} SA", uid=uid)
        contract = Contract.objects.create(employer=employer, number=f"C-{size}", plan=plan,
                                           start_date=date(2015, 1, 1))
        people = []
        for index in range(size):
            body = "756" + str(next(counter)) + "0"
            digits = body + ean.calc_check_digit(body)
            people.append(InsuredPerson(
                contract=contract, ahv_number=f"{digits[:3]}.{digits[3:7]}.{digits[7:11]}."
                                              f"{digits[11:]}",
                first_name=rng.choice(["Anne", "Luc", "Marco", "Sara", "Jonas", "Lea"]),
                last_name=f"{rng.choice(names)}{index % 97}",
                birth_date=date(1960 + index % 40, 1 + index % 12, 1 + index % 28),
                sex="F" if index % 2 else "M", annual_salary=Decimal(50000 + index % 90000),
                entry_date=date(2010 + index % 15, 1, 1), personnel_number=f"P{index:06d}",
                status="left" if index % 17 == 0 else "active"))
        InsuredPerson.objects.bulk_create(people, batch_size=2000)
        user = User.objects.create_user(f"hr{size}@bench.ch", "Bench-Password-9")
        Membership.objects.create(user=user, kind="employer", role="admin", employer=employer)
        TermsAcceptance.objects.create(user=user, version=1)
        device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "accounts.backends.EmailOrAhvBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session["last_seen"] = int(time.time())
        session[SESSION_AUTH_AT] = int(time.time())
        session.set_expiry(settings.SESSION_COOKIE_AGE)
        session.create()
        session[SESSION_VERIFIED_KEY] = session.session_key
        session.save()
        sessions[size] = {"cookie": session.session_key, "employer_id": employer.pk,
                          "user_id": user.pk}
    return sessions


def query_counts(sessions: dict) -> dict[int, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for size, info in sessions.items():
        client = Client(HTTP_HOST="127.0.0.1")
        client.cookies["sessionid"] = info["cookie"]
        client.get("/employer/staff/")  # warm the caches, as a second visit would
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/employer/staff/")
        assert response.status_code == 200, response.status_code
        counts[size] = len(queries)
    return counts


def export_figures(info: dict) -> dict[str, tuple[float, float, int]]:
    """Time (a plain pass) and peak Python memory (a second pass under tracemalloc, which
    slows allocation-heavy code several times) of each export of every row."""
    from django.test import Client

    def fetch(fmt: str) -> int:
        client = Client(HTTP_HOST="127.0.0.1")
        client.cookies["sessionid"] = info["cookie"]
        response = client.get("/employer/staff/", {"export": fmt})
        assert response.status_code == 200, response.status_code
        return sum(len(chunk) for chunk in response.streaming_content)

    figures = {}
    for fmt in ("csv", "xlsx"):
        began = time.perf_counter()
        size = fetch(fmt)
        elapsed = time.perf_counter() - began
        tracemalloc.start()
        fetch(fmt)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        figures[fmt] = (elapsed, peak / 1024 / 1024, size)
    return figures


def validation_figures(info: dict) -> tuple[float, int, int]:
    from django.utils import timezone
    from openpyxl import Workbook

    from policies import mutations as rules
    from policies.models import InsuredPerson

    month = timezone.localdate().replace(day=1)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["Type", "Numéro AVS", "N° de personnel", "Date d'effet",
                  "Salaire annuel (CHF)"])
    people = InsuredPerson.objects.filter(contract__employer_id=info["employer_id"],
                                          status="active").values_list(
        "ahv_number", "personnel_number")[:XLSX_ROWS]
    for ahv, personnel in people:
        sheet.append(["salaire", ahv, personnel, month, 91000])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    size = len(buffer.getvalue())
    began = time.perf_counter()
    table = rules.read_table(buffer, size=size)
    checker = rules.MutationChecker(employer_id=info["employer_id"])
    outcome = rules.validate_table(table, checker)
    elapsed = time.perf_counter() - began
    return elapsed, outcome.total, len(outcome.valid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="per URL and round")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--keep-db", action="store_true", help="keep bench_employer")
    parser.add_argument("--seed-only", action="store_true", help="seed, print, stop")
    args = parser.parse_args()
    args.requests = min(args.requests, 5000)  # bounded

    port = load.free_port()
    # A Redis database of its own: cached memberships of another benchmark's users (same
    # primary keys in another fresh database) must not answer for ours.
    os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    env = load.bench_env(port)
    import redis

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    os.environ.update(env)
    load.create_database(load.DB_NAME)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env,
                   check=True)
    began = time.perf_counter()
    sessions = seed()
    from django.db import connection

    with connection.cursor() as cursor:
        # Statistics and the visibility map a production database has after autovacuum.
        cursor.execute("VACUUM ANALYZE")
    print(f"seeded {SMALL} + {LARGE} staff in {time.perf_counter() - began:.1f} s")
    counts = query_counts(sessions)
    if args.seed_only:
        print(sessions, counts)
        return

    server = load.start_gunicorn(env, port, args.workers)
    try:
        for size, info in sessions.items():  # warm-up, and fail loudly on a wrong set-up
            check = load.run(port, "/employer/staff/", info["cookie"], 20, args.concurrency)
            if check["errors"]:
                raise SystemExit(f"{size}: {check['errors'][:3]}")
        totals = {size: [] for size in sessions}
        for _ in range(args.rounds):
            for size, info in sessions.items():
                totals[size].append(load.run(port, "/employer/staff/", info["cookie"],
                                             args.requests, args.concurrency))
        exports = export_figures(sessions[LARGE])
        validation = validation_figures(sessions[LARGE])
    finally:
        load.stop(server)
        from django.db import connections

        connections.close_all()
        if not args.keep_db:
            load.drop_database(load.DB_NAME)

    print(f"gunicorn sync workers={args.workers}, client threads={args.concurrency}, "
          f"{args.requests} requests x {args.rounds} rounds per company, PostgreSQL, DEBUG=0")
    p95 = {}
    for size, runs in totals.items():
        p95[size] = max(r["p95"] for r in runs)
        p50 = sorted(r["p50"] for r in runs)[len(runs) // 2]
        errors = sum(len(r["errors"]) for r in runs)
        rps = sum(r["requests"] for r in runs) / sum(r["wall"] for r in runs)
        print(f"staff overview, {size:>6} staff: {counts[size]} queries, {rps:6.1f} req/s, "
              f"p50 {p50:6.1f} ms, p95 {p95[size]:6.1f} ms, errors {errors}")
    ratio = p95[LARGE] / p95[SMALL]
    print(f"same query count: {'yes' if counts[SMALL] == counts[LARGE] else 'NO'}; "
          f"p95 ratio 20,000/20 = {ratio:.2f} (target <= 1.5: "
          f"{'met' if ratio <= 1.5 else 'NOT met'})")
    for fmt, (elapsed, peak, size) in exports.items():
        print(f"export {fmt.upper():4s} of {LARGE:,} rows: {elapsed:5.2f} s, "
              f"peak Python memory {peak:5.1f} MiB, {size / 1024 / 1024:4.1f} MiB file")
    elapsed, total, valid = validation
    print(f"validation of a {total:,}-row XLSX: {elapsed:5.2f} s ({valid:,} valid rows; "
          f"target <= 20 s: {'met' if elapsed <= 20 else 'NOT met'})")


if __name__ == "__main__":
    main()
