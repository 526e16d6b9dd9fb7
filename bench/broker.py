"""Load benchmark of the broker portal among 100,000 policies (a script, not a test).

    .venv/bin/python bench/broker.py [--requests 400] [--concurrency 4] [--workers 2]

Creates a fresh PostgreSQL database (bench_broker), migrates it and loads 100,000 policies with
their holders, mandates (20 agencies of 5,000 policies), three surrender values and three
premiums each, in SQL (a few seconds). Serves the app with gunicorn (DEBUG=0, Redis cache, the
/bench/baseline/ view of bench/settings.py) and measures, in the same run and alternately after
a warm-up:

- baseline: /bench/baseline/ (one query, one small template);
- lookup: a broker's policy by number, /broker/policies/<number>/ and its values tab (cycling
  through 50 numbers, within the lookup limit of 60 an hour);
- portfolio: /broker/portfolio/ of the agency admin of an agency with 5,000 policies.

Prints p50/p95 and the ratios to the baseline (targets: lookup p95 <= 1.5 x, portfolio
p95 <= 3 x), and the portfolio's query count for an agency of 5,000 and one of 50 policies
(counted in-process with Django's test client against the same database): it must not grow
with the portfolio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load  # noqa: E402

DB_NAME = "bench_broker"
POLICIES = 100_000
AGENCY_SIZE = 5_000
SMALL_AGENCY = 50
LOOKUP_NUMBERS = 50


def env_for(port: int) -> dict[str, str]:
    env = load.bench_env(port)
    env["DATABASE_URL"] = f"{load.PG}/{DB_NAME}"
    env["PRIVATE_MEDIA_ROOT"] = str(ROOT / "var" / "bench-broker-private")
    return env


def load_policies() -> None:
    """100,000 policies in SQL: 20 agencies of 5,000, then a small one of 50 (taken from the
    last agency) to compare query counts. Agency 1's policies are held by its agency admin's
    agency (no broker), agency 2's first 50 by one broker."""
    from django.db import connection

    n = {"n": POLICIES, "size": AGENCY_SIZE, "k": SMALL_AGENCY}
    statements = [
        """INSERT INTO policies_agency (name, register_number, account_manager,
                                        account_manager_phone, account_manager_email)
           SELECT 'Agence ' || a, 'F' || (10000000 + a), 'Yves Morel', '+41 21 555 66 97',
                  'y.morel@example.ch'
           FROM generate_series(1, 21) AS a""",
        """INSERT INTO policies_policyholder (first_name, last_name, birth_date, city, email)
           SELECT (ARRAY['Anne','Luc','Marie','Marc','Sophie','Reto'])[1 + i %% 6],
                  (ARRAY['Rochat','Favre','Müller','Meier','Rossi','Keller','Weber','Huber',
                         'Dubois','Morel'])[1 + (i / 7) %% 10] || ' ' || i,
                  DATE '1950-01-01' + (i %% 15000), 'Lausanne', ''
           FROM generate_series(1, %(n)s) AS i""",
        """INSERT INTO policies_policy (number, product, holder_id, premium, frequency, status,
                                        start_date, end_date, sum_insured)
           SELECT 'P-' || (100000 + i),
                  (ARRAY['Alpina Épargne 3a','Alpina Risque décès',
                         'Alpina Mixte 3b'])[1 + i %% 3],
                  h.first + i - 1, 50 + i %% 500, 'monthly', 'active',
                  DATE '2015-01-01' + (i %% 3000), DATE '2045-12-31', 100000
           FROM generate_series(1, %(n)s) AS i,
                (SELECT min(id) AS first FROM policies_policyholder) h""",
        """INSERT INTO policies_mandate (agency_id, policy_id, start_date, end_date, broker_id)
           SELECT a.first + (p.id - m.first) / %(size)s, p.id, p.start_date, NULL, NULL
           FROM policies_policy p, (SELECT min(id) AS first FROM policies_policy) m,
                (SELECT min(id) AS first FROM policies_agency) a""",
        # The small agency: the last 50 policies move there.
        """UPDATE policies_mandate SET agency_id = (SELECT max(id) FROM policies_agency)
           WHERE policy_id IN (SELECT id FROM policies_policy ORDER BY id DESC LIMIT %(k)s)""",
        """INSERT INTO policies_policyvalue (policy_id, date, surrender_value)
           SELECT p.id, make_date(y, 1, 1), p.premium * 12 * (y - 2020)
           FROM policies_policy p, generate_series(2024, 2026) AS y""",
        """INSERT INTO policies_premium (policy_id, due_date, amount, paid_date, status,
                                         dunning_level)
           SELECT p.id, make_date(2026, m, 1), p.premium,
                  CASE WHEN (p.id + m) %% 17 = 0 THEN NULL ELSE make_date(2026, m, 5) END,
                  CASE WHEN (p.id + m) %% 17 = 0 THEN 'overdue' ELSE 'paid' END,
                  CASE WHEN (p.id + m) %% 17 = 0 THEN 1 ELSE 0 END
           FROM policies_policy p, generate_series(8, 10) AS m""",
        "ANALYZE",
    ]
    with connection.cursor() as cur:
        for sql in statements:
            cur.execute(sql, n)


def verified_session(user) -> str:
    """A logged-in, second-factor-verified session, as bench/load.py writes it."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.session_store import SessionStore
    from accounts.signals import SESSION_AUTH_AT, SESSION_VERIFIED_KEY

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
    return session.session_key


def seed() -> dict:
    import django

    django.setup()
    from datetime import date

    from django.utils import timezone

    from accounts.models import Membership, Terms, TermsAcceptance, User
    from policies.models import Agency, Contract, Employer, InsuredPerson, Mandate, Plan

    # The baseline view's one row.
    contract = Contract.objects.create(
        employer=Employer.objects.create(name="Bench SA", uid="CHE-116.281.710"), number="C-1",
        plan=Plan.objects.create(code="bench", name="Plan bench"), start_date=date(2015, 1, 1))
    InsuredPerson.objects.create(contract=contract, ahv_number="756.1234.5678.97",
                                 first_name="Claire", last_name="Bench",
                                 birth_date=date(1975, 5, 20), sex="F",
                                 entry_date=date(2016, 1, 1))
    load_policies()
    big = Agency.objects.order_by("pk").first()
    second = Agency.objects.order_by("pk")[1]
    small = Agency.objects.order_by("-pk").first()
    admin = User.objects.create_user("agency@bench.ch", "Bench-Password-9")
    Membership.objects.create(user=admin, kind="broker", role="agency_admin", agency=big)
    small_admin = User.objects.create_user("small@bench.ch", "Bench-Password-9")
    Membership.objects.create(user=small_admin, kind="broker", role="agency_admin", agency=small)
    broker = User.objects.create_user("broker@bench.ch", "Bench-Password-9")
    Membership.objects.create(user=broker, kind="broker", role="broker", agency=second)
    numbers = list(Mandate.objects.filter(agency=second).order_by("policy_id")
                   .values_list("policy__number", flat=True)[:LOOKUP_NUMBERS])
    Mandate.objects.filter(agency=second, policy__number__in=numbers).update(broker=broker)
    Terms.objects.create(version=1, language="fr", title="T", body="T",
                         published_at=timezone.now())
    for user in (admin, small_admin, broker):
        TermsAcceptance.objects.create(user=user, version=1)
    return {
        "admin": verified_session(admin), "small_admin": verified_session(small_admin),
        "broker": verified_session(broker), "numbers": numbers,
        "sizes": {"big": Mandate.objects.filter(agency=big).count(),
                  "small": Mandate.objects.filter(agency=small).count()},
    }


def query_counts(sessions: dict) -> dict[str, int]:
    """The portfolio page's queries for the agency of 5,000 and the one of 50 (warm session)."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for name in ("admin", "small_admin"):
        client = Client(HTTP_HOST="127.0.0.1")
        client.cookies[settings.SESSION_COOKIE_NAME] = sessions[name]
        first = client.get("/broker/portfolio/")
        assert first.status_code == 200, first.status_code
        with CaptureQueriesContext(connection) as queries:
            client.get("/broker/portfolio/")
        counts[name] = len(queries)
    return counts


def lookup_paths(numbers: list[str], suffix: str) -> list[str]:
    return [f"/broker/policies/{n}/{suffix}" for n in numbers]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600, help="per URL and round")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--keep-db", action="store_true", help=f"keep {DB_NAME} for profiling")
    args = parser.parse_args()
    args.requests = min(args.requests, 20000)

    port = load.free_port()
    env = env_for(port)
    os.environ.update(env)
    load.create_database(DB_NAME)
    began = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env,
                   check=True)
    data = seed()
    seeded = time.perf_counter() - began
    counts = query_counts({k: data[k] for k in ("admin", "small_admin")})

    server = load.start_gunicorn(env, port, args.workers)
    try:
        plain = {"baseline": ("/bench/baseline/", data["broker"]),
                 "portfolio": ("/broker/portfolio/", data["admin"])}
        lookups = {"lookup": "", "values": "values/"}
        for path, cookie in plain.values():  # warm-up, and fail loudly on a wrong set-up
            check = load.run(port, path, cookie, 40, args.concurrency)
            if check["errors"]:
                raise SystemExit(f"{path}: {check['errors'][:3]}")
        for suffix in lookups.values():
            check = load.run(port, lookup_paths(data["numbers"], suffix), data["broker"],
                              100, args.concurrency)
            if check["errors"]:
                raise SystemExit(f"lookup {suffix}: {check['errors'][:3]}")
        totals: dict[str, list[dict]] = {name: [] for name in [*plain, *lookups]}
        for _ in range(args.rounds):
            for name, (path, cookie) in plain.items():
                totals[name].append(load.run(port, path, cookie, args.requests,
                                             args.concurrency, keep_latencies=True))
            for name, suffix in lookups.items():
                totals[name].append(load.run(port, lookup_paths(data["numbers"], suffix),
                                              data["broker"], args.requests, args.concurrency,
                                              keep_latencies=True))
    finally:
        load.stop(server)
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            load.drop_database(DB_NAME)

    print(f"{POLICIES:,} policies, portfolio of {data['sizes']['big']:,} (agency admin), "
          f"seeded in {seeded:.0f} s; gunicorn sync workers={args.workers}, client threads="
          f"{args.concurrency}, ~{args.requests} requests x {args.rounds} rounds per URL, "
          f"PostgreSQL, Redis cache, DEBUG=0")
    summary = {}
    for name, runs in totals.items():
        # Percentiles of all the rounds' latencies together (the worst round's p95 grew with
        # the number of rounds).
        latencies = sorted(t for r in runs for t in r["latencies"])
        summary[name] = {"p95": latencies[max(0, int(len(latencies) * 0.95) - 1)] * 1000,
                         "p50": statistics.median(latencies) * 1000,
                         "rps": sum(r["requests"] for r in runs) / sum(r["wall"] for r in runs),
                         "errors": sum(len(r["errors"]) for r in runs)}
        s = summary[name]
        print(f"{name:9s} {s['rps']:8.1f} req/s   p50 {s['p50']:6.1f} ms   p95 {s['p95']:6.1f} ms"
              f"   errors {s['errors']}")
    base = summary["baseline"]["p95"]
    for name, target in (("lookup", 1.5), ("values", 1.5), ("portfolio", 3.0)):
        ratio = summary[name]["p95"] / base
        print(f"p95 ratio {name}/baseline = {ratio:.2f} (target <= {target}: "
              f"{'met' if ratio <= target else 'NOT met'})")
    print(f"portfolio queries: {counts['admin']} for {data['sizes']['big']:,} policies, "
          f"{counts['small_admin']} for {data['sizes']['small']} "
          f"({'independent of the size' if counts['admin'] == counts['small_admin'] else 'DIFFER'})")


if __name__ == "__main__":
    main()
