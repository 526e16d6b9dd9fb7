"""Load benchmark of the insured dashboard against a bare baseline view (a script, not a test).

    .venv/bin/python bench/load.py [--requests 600] [--concurrency 4] [--workers 2]

Creates a fresh PostgreSQL database (127.0.0.1:5432, user postgres, trust auth), migrates it,
seeds one insured person with documents and requests, serves the app with gunicorn (DEBUG=0,
bench/settings.py adds /bench/baseline/: one query, one template), logs in by writing a
verified session directly (the session store + django_otp's DEVICE_ID_SESSION_KEY), and
fires a bounded number of requests from a small threaded http.client client on loopback. Both
URLs are measured in the same run, alternately, after a warm-up. Prints throughput, p50/p95
latency and the ratios. Target: dashboard throughput >= 0.6 x baseline.
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "bench_insured"
PG = "postgres://postgres@127.0.0.1:5432"


def bench_env(port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"{PG}/{DB_NAME}",
        DEBUG="0",
        TESTING="1",  # plain static storage: no collectstatic manifest needed
        SECRET_KEY=env.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(60),
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        LOG_LEVEL="WARNING",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SETTINGS_MODULE="bench.settings",
        PRIVATE_MEDIA_ROOT=str(ROOT / "var" / "bench-private"),
    )
    # Production-like: the shared cache on Redis (memberships, terms version, dashboard body);
    # tasks stay eager, the dashboard sends nothing anyway.
    env["REDIS_URL"] = env.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    env["CELERY_TASK_ALWAYS_EAGER"] = "1"
    return env


def create_database(name: str = DB_NAME) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str = DB_NAME) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed() -> str:
    """Person with 30 documents, 10 requests from simulations and 5 personal-data changes;
    returns the session key of a logged-in, second-factor-verified session."""
    import django

    django.setup()
    from datetime import date, timedelta
    from decimal import Decimal

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import Membership, Terms, TermsAcceptance, User
    from accounts.session_store import SessionStore
    from accounts.signals import SESSION_AUTH_AT, SESSION_VERIFIED_KEY
    from policies.models import Certificate, Contract, Document, Employer, InsuredPerson, Plan
    from policies.services import change_request_submit
    from simulations.models import Simulation
    from simulations.services import service_request_from_simulation

    plan = Plan.objects.create(code="bench", name="Plan bench", savings_credits=[
        [25, "0.07"], [35, "0.10"], [45, "0.15"], [55, "0.18"]])
    employer = Employer.objects.create(name="Bench SA", uid="CHE-116.281.710")
    contract = Contract.objects.create(employer=employer, number="C-1", plan=plan,
                                       start_date=date(2015, 1, 1))
    person = InsuredPerson.objects.create(
        contract=contract, ahv_number="756.1234.5678.97", first_name="Claire",
        last_name="Bench", birth_date=date(1975, 5, 20), sex="F",
        annual_salary=Decimal("85000"), entry_date=date(2016, 1, 1))
    for year in range(2021, 2027):
        Certificate.objects.create(
            person=person, year=year, valid_from=date(year, 1, 1),
            annual_salary=Decimal("85000"), insured_salary=Decimal("58540"),
            savings_capital=Decimal("187650.35"), projected_capital_65=Decimal("512300"),
            projected_pension_65=Decimal("34836.40"), disability_pension=Decimal("23416"),
            spouse_pension=Decimal("14049.60"), max_buy_in=Decimal("96420.10"),
            wef_available=Decimal("93825.15"))
    now = timezone.now()
    Document.objects.bulk_create(
        Document(category="letter" if i % 3 else "certificate", title=f"Document {i}",
                 year=2020 + i % 7, insured_person=person, published=True,
                 published_at=now - timedelta(days=i), first_read_at=None if i % 2 else now)
        for i in range(30))
    for _ in range(10):
        simulation = Simulation.objects.create(person=person, kind="retirement",
                                               inputs={}, result={})
        service_request_from_simulation(simulation=simulation)
    for i in range(5):  # one open request of a kind at a time: four done, one open
        change = change_request_submit(person=person, kind="address",
                                       data={"city": f"Ville {i}"}, effective_date=date.today())
        if i < 4:
            type(change).objects.filter(pk=change.pk).update(status="done")
    user = User.objects.create_user("bench@example.ch", "Bench-Password-9",
                                    insured_person=person)
    Membership.objects.create(user=user, kind="insured", role="insured", insured_person=person)
    # Terms of use in force, accepted (bench/seed_all.py may have published them already).
    Terms.objects.get_or_create(version=1, language="fr", defaults={
        "title": "T", "body": "T", "published_at": timezone.now()})
    TermsAcceptance.objects.get_or_create(user=user, version=1)
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
    # Marked as verified under this very key, or the middleware would cycle it on the first
    # request (as after a real login) and the client's cookie would be stale.
    session[SESSION_VERIFIED_KEY] = session.session_key
    session.save()
    return session.session_key


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def start_gunicorn(env: dict, port: int, workers: int) -> subprocess.Popen:
    """gunicorn with the production settings (gunicorn.conf.py: JSON access log, as every page
    pays it), but workers are never recycled (run_all's memory part follows one worker's whole
    life); the log lines are written and dropped. Answers once the port accepts."""
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portals.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", str(workers), "--log-level", "warning"],
        cwd=ROOT, env={**env, "GUNICORN_MAX_REQUESTS": "0"}, stdout=subprocess.DEVNULL,
    )
    wait_for(port)
    return server


def stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run(port: int, path: str | list[str], cookie: str, total: int, concurrency: int,
        *, keep_latencies: bool = False) -> dict:
    """`total` GETs from `concurrency` threads; several paths are taken in turn. With
    `keep_latencies` the result carries every latency (seconds, sorted)."""
    paths = [path] if isinstance(path, str) else list(path)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(total))

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                break
            start = time.perf_counter()
            try:
                conn.request("GET", paths[index % len(paths)],
                             headers={"Cookie": f"sessionid={cookie}", "Host": "127.0.0.1"})
                response = conn.getresponse()
                response.read()
                status = response.status
                if status != 200:
                    status = f"{status} {response.getheader('Location')}"
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = repr(exc)
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                if status != 200:
                    errors.append(str(status))
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    latencies.sort()
    return {
        **({"latencies": latencies} if keep_latencies else {}),
        "requests": len(latencies), "errors": errors, "wall": wall,
        "rps": len(latencies) / wall,
        "p50": statistics.median(latencies) * 1000,
        "p95": latencies[max(0, int(len(latencies) * 0.95) - 1)] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600, help="per URL and round")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--keep-db", action="store_true", help=f"keep {DB_NAME} for profiling")
    args = parser.parse_args()
    args.requests = min(args.requests, 20000)  # bounded

    port = free_port()
    env = bench_env(port)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    create_database()
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env,
                   check=True)
    cookie = seed()

    server = start_gunicorn(env, port, args.workers)
    try:
        urls = {"baseline": "/bench/baseline/", "dashboard": "/insured/"}
        for path in urls.values():  # warm-up, and fail loudly on a wrong set-up
            check = run(port, path, cookie, 50, args.concurrency)
            if check["errors"]:
                raise SystemExit(f"{path}: {check['errors'][:3]}")
        totals = {name: [] for name in urls}
        for _ in range(args.rounds):
            for name, path in urls.items():
                totals[name].append(run(port, path, cookie, args.requests, args.concurrency))
    finally:
        stop(server)
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            drop_database()

    print(f"gunicorn sync workers={args.workers}, client threads={args.concurrency}, "
          f"{args.requests} requests x {args.rounds} rounds per URL, PostgreSQL, DEBUG=0")
    summary = {}
    for name, runs in totals.items():
        requests = sum(r["requests"] for r in runs)
        wall = sum(r["wall"] for r in runs)
        summary[name] = {"rps": requests / wall, "p95": max(r["p95"] for r in runs),
                         "p50": statistics.median(r["p50"] for r in runs),
                         "errors": sum(len(r["errors"]) for r in runs)}
        s = summary[name]
        print(f"{name:9s} {s['rps']:8.1f} req/s   p50 {s['p50']:6.1f} ms   p95 {s['p95']:6.1f} ms"
              f"   errors {s['errors']}")
    ratio = summary["dashboard"]["rps"] / summary["baseline"]["rps"]
    p95_ratio = summary["dashboard"]["p95"] / summary["baseline"]["p95"]
    print(f"throughput ratio dashboard/baseline = {ratio:.2f} (target >= 0.60: "
          f"{'met' if ratio >= 0.6 else 'NOT met'})")
    print(f"p95 ratio dashboard/baseline = {p95_ratio:.2f}")


if __name__ == "__main__":
    main()
