"""The whole application under load, in one run (a script, not a test): issue 14's figures.

    make bench-load                      # = .venv/bin/python bench/run_all.py (every part)
    .venv/bin/python bench/run_all.py --pages [--requests 2400] [--concurrency 1,8]
    .venv/bin/python bench/run_all.py --sms | --certificates | --weight | --memory

Creates its own PostgreSQL database (bench_all on 127.0.0.1:5432, user postgres) and uses its
own Redis database (BENCH_REDIS_URL, default redis://127.0.0.1:6379/9, emptied first); drops
the database at the end unless --keep-db. Parts (all of them when none is named):

--pages         gunicorn (DEBUG=0, sync workers) on loopback; the bare baseline view (one
                query, one tiny template), the insured dashboard, the employer staff overview
                of a company with 20,000 staff, the broker's lookup of a policy by number among
                100,000 policies and the portfolio of an agency with 5,000 policies. At each
                client concurrency, the pages take turns in short blocks, round after round, so
                noise from other processes falls on all of them alike. Throughput, p50/p95/p99
                and each page's ratio to the baseline (targets: dashboard throughput >= 0.8 x,
                overview and lookup p95 <= 1.5 x).
--sms           SMS codes queued as the login does (outbox row, Celery task on commit) through
                Redis to a real Celery worker that calls Twilio's API, faked on loopback: the
                delay from queueing to the gateway's call (target p95 <= 0.5 s).
--certificates  the certificates of 10,000 and of 100,000 insured persons recomputed by the
                Celery task (chunks over the worker's processes): time, and the time per 1,000
                (linear growth keeps it flat).
--weight        every portal page as each demo persona (bench_all_demo, seeded by seed_demo),
                found by following the links from each portal's home: the HTML plus the CSS
                and JavaScript it links (target <= 150 KB).
--memory        one gunicorn worker's resident memory after 1,000 and after 10,000 requests
                over the pages above, and its peak.

Prints its figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load  # noqa: E402

DB_NAME = os.environ.get("BENCH_DB", "bench_all")
STATE = ROOT / "var" / f"{DB_NAME}.json"
RESULTS = ROOT / "bench" / "RESULTS.md"
PAGES = ("baseline", "dashboard", "overview", "lookup", "portfolio")
PARTS = ("pages", "sms", "certificates", "weight", "memory")


def bench_env(port: int) -> dict[str, str]:
    env = load.bench_env(port)
    env["DATABASE_URL"] = f"{load.PG}/{DB_NAME}"
    env["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
    env["PRIVATE_MEDIA_ROOT"] = str(ROOT / "var" / "bench-all-private")
    return env


def page_paths(state: dict) -> dict[str, tuple[list[str], str]]:
    """Each measured page: the paths it cycles through and the cookies it sends (the session,
    and a CSRF cookie as a browser has it after its first page: without it every page with a
    form would make a new CSRF secret, which a real visitor's pages do not)."""
    csrf = state.setdefault("csrf", secrets.token_hex(16))  # 32 characters: a secret's form
    cookies = {name: f"{key}; csrftoken={csrf}"
               for name, key in state["cookies"].items()}
    return {
        "baseline": (["/bench/baseline/"], cookies["insured"]),
        "dashboard": (["/insured/"], cookies["insured"]),
        "overview": (["/employer/staff/"], cookies["hr"]),
        # 50 numbers in turn: within the lookup limit (60 different numbers an hour).
        "lookup": ([f"/broker/policies/{n}/" for n in state["numbers"]], cookies["broker"]),
        "portfolio": (["/broker/portfolio/"], cookies["agency"]),
    }


def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, int(round(share * len(sorted_values) + 0.4999)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


# --- pages ---------------------------------------------------------------------------------------

def measure_pages(port: int, state: dict, *, concurrency: int, requests: int,
                  rounds: int) -> dict[str, dict]:
    pages = page_paths(state)
    block = max(concurrency, requests // rounds)
    latencies: dict[str, list[float]] = {name: [] for name in pages}
    walls: dict[str, float] = dict.fromkeys(pages, 0.0)
    errors: dict[str, list[str]] = {name: [] for name in pages}
    for _ in range(rounds):
        for name, (paths, cookie) in pages.items():
            result = load.run(port, paths, cookie, block, concurrency, keep_latencies=True)
            latencies[name].extend(result["latencies"])
            walls[name] += result["wall"]
            errors[name].extend(result["errors"])
    summary = {}
    for name in pages:
        values = sorted(latencies[name])
        summary[name] = {
            "requests": len(values), "rps": len(values) / walls[name],
            "p50": percentile(values, 0.50) * 1000, "p95": percentile(values, 0.95) * 1000,
            "p99": percentile(values, 0.99) * 1000, "errors": errors[name],
        }
    return summary


def print_pages(summary: dict[str, dict], concurrency: int) -> list[str]:
    base = summary["baseline"]
    lines = [f"concurrency {concurrency}:",
             f"  {'page':10s} {'req/s':>7s} {'p50 ms':>7s} {'p95 ms':>7s} {'p99 ms':>7s}   "
             f"{'req/s x':>7s} {'p50 x':>6s} {'p95 x':>6s} {'p99 x':>6s}  errors"]
    for name, s in summary.items():
        lines.append(
            f"  {name:10s} {s['rps']:7.1f} {s['p50']:7.1f} {s['p95']:7.1f} {s['p99']:7.1f}   "
            f"{s['rps'] / base['rps']:7.2f} {s['p50'] / base['p50']:6.2f} "
            f"{s['p95'] / base['p95']:6.2f} {s['p99'] / base['p99']:6.2f}  {len(s['errors'])}")
    targets = [("dashboard", "rps", ">=", 0.8), ("overview", "p95", "<=", 1.5),
               ("lookup", "p95", "<=", 1.5)]
    for name, key, op, target in targets:
        ratio = summary[name][key] / base[key]
        met = ratio >= target if op == ">=" else ratio <= target
        label = "throughput" if key == "rps" else key
        lines.append(f"  {name} {label} ratio {ratio:.2f} (target {op} {target}: "
                     f"{'met' if met else 'NOT met'})")
    for name, s in summary.items():
        if s["errors"]:
            lines.append(f"  {name} errors: {s['errors'][:3]}")
    return lines


def part_pages(args, env: dict, port: int, state: dict) -> list[str]:
    server = load.start_gunicorn(env, port, args.workers)
    try:
        for name, (paths, cookie) in page_paths(state).items():  # warm-up, fail loudly
            check = load.run(port, paths, cookie, 60, 2)
            if check["errors"]:
                raise SystemExit(f"{name}: {check['errors'][:3]}")
        lines = [f"pages: gunicorn {args.workers} sync workers, {args.requests} requests per "
                 f"page and concurrency in {args.rounds} rounds of interleaved blocks; "
                 f"{state['staff']:,} staff, 100,000 policies, portfolio of "
                 f"{state['portfolio']:,}"]
        for concurrency in args.concurrency:
            summary = measure_pages(port, state, concurrency=concurrency,
                                    requests=args.requests, rounds=args.rounds)
            lines.extend(print_pages(summary, concurrency))
            print("\n".join(lines[-(len(summary) + 5):]), flush=True)
    finally:
        load.stop(server)
    return lines


# --- SMS: queued -> gateway called ---------------------------------------------------------------

class FakeTwilio:
    """Twilio's Messages API on loopback: answers 201 like Twilio and notes when each message
    (by recipient) arrived."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import parse_qs

        arrived = self.arrived = {}

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                at = time.time()
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                to = form.get("To", [""])[0]
                arrived.setdefault(to, at)
                body = json.dumps({"sid": f"SM{len(arrived):032d}", "status": "queued",
                                   "to": to, "body": ""}).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def worker_env(env: dict, fake: FakeTwilio) -> dict:
    return {**env, "CELERY_TASK_ALWAYS_EAGER": "0", "BENCH_TWILIO_URL": fake.url,
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "bench-token",
            "TWILIO_FROM_NUMBER": "+41215550000"}


def start_worker(env: dict, concurrency: int) -> subprocess.Popen:
    from portals.celery import app

    worker = subprocess.Popen([sys.executable, "bench/worker.py", "--concurrency",
                               str(concurrency)], cwd=ROOT, env=env)
    app.conf.task_always_eager = False  # this process queues through Redis from now on
    deadline = time.time() + 60
    while time.time() < deadline:
        if worker.poll() is not None:
            raise SystemExit("the Celery worker stopped at start")
        if app.control.ping(timeout=1.0):
            return worker
    load.stop(worker)
    raise SystemExit("the Celery worker did not answer within 60 s")


def part_sms(args, env: dict) -> list[str]:
    from datetime import timedelta

    from accounts.services import sms_code_send

    fake = FakeTwilio()
    worker = start_worker(worker_env(env, fake), args.worker_concurrency)
    try:
        queued: dict[str, float] = {}
        base = 790_000_000 + int(time.time()) % 100_000 * 100
        for index in range(args.sms_count):
            number = f"+41{base + index}"
            queued[number] = time.time()
            sms_code_send(number=number, code="123456", user=None, ttl=timedelta(minutes=10))
            time.sleep(1 / args.sms_rate)
        deadline = time.time() + 60
        while len(fake.arrived.keys() & queued.keys()) < len(queued) and time.time() < deadline:
            time.sleep(0.05)
    finally:
        load.stop(worker)
        fake.close()
    delays = sorted(fake.arrived[n] - t for n, t in queued.items() if n in fake.arrived)
    p95 = percentile(delays, 0.95)
    return [
        f"sms: {len(queued)} codes queued at {args.sms_rate}/s (outbox row, task on commit, "
        f"Redis) -> real Celery worker ({args.worker_concurrency} processes) -> Twilio client "
        f"-> fake API on loopback; {len(delays)} arrived",
        f"  queued -> gateway call: p50 {percentile(delays, 0.5) * 1000:.0f} ms, p95 "
        f"{p95 * 1000:.0f} ms, p99 {percentile(delays, 0.99) * 1000:.0f} ms, max "
        f"{(delays[-1] if delays else float('nan')) * 1000:.0f} ms (target p95 <= 500 ms: "
        f"{'met' if delays and p95 <= 0.5 and len(delays) == len(queued) else 'NOT met'})",
    ]


# --- certificates recomputed through Celery ------------------------------------------------------

def seed_certificates(sizes: list[int]) -> dict[int, int]:
    """One contract per size with that many active insured persons and their 2026 certificate,
    in SQL; returns size -> contract id."""
    from django.db import transaction

    from policies.models import Contract, Plan

    plan = Plan.objects.get(code="bench")
    contracts = {}
    for size in sizes:
        existing = Contract.objects.filter(number=f"C-R{size}").first()
        if existing is not None:  # --reuse-db: seeded by an earlier run
            contracts[size] = existing.pk
            continue
        with transaction.atomic():
            contracts[size] = _seed_certificate_contract(size, plan)
    return contracts


def _seed_certificate_contract(size: int, plan) -> int:
    from django.db import connection
    from stdnum.ch import uid

    from policies.models import Contract, Employer

    offset = 10 * size  # persons 10 x size + 1 to 11 x size: apart for any two sizes
    base = 20_000_000 + size % 70_000_000
    while not uid.is_valid(f"CHE{base}{uid.calc_check_digit(str(base))}"):
        base += 1  # no check digit exists for some numbers
    digits = f"{base}{uid.calc_check_digit(str(base))}"
    employer = Employer.objects.create(
        name=f"Recalcul {size} SA", uid=f"CHE-{digits[:3]}.{digits[3:6]}.{digits[6:]}")
    contract = Contract.objects.create(employer=employer, number=f"C-R{size}", plan=plan,
                                       start_date=date(2015, 1, 1))
    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO policies_insuredperson (ahv_number, first_name, last_name, birth_date,
                sex, civil_status, street, postcode, city, country, language, annual_salary,
                employment_degree, entry_date, status, iban, contract_id,
                bank_account_holder, bank_currency, personnel_number)
            SELECT '756.' || substr(d, 1, 4) || '.' || substr(d, 5, 4) || '.' ||
                   substr(d, 9, 2),
                   'Anne', 'Recalcul ' || i, DATE '1961-01-01' + ((i * 37) %% 14000)::int,
                   CASE WHEN i %% 2 = 0 THEN 'F' ELSE 'M' END, 'single', '', '1000',
                   'Lausanne', 'CH', 'fr', 30000 + (i::bigint * 7919) %% 150000, 100,
                   DATE '2010-01-01', 'active', '', %(contract)s, '', 'CHF', ''
            FROM generate_series(%(first)s, %(last)s) AS i,
                 LATERAL (SELECT lpad((8000000000 + i)::text, 10, '0') AS d) AS digits""",
            {"contract": contract.pk, "first": offset + 1, "last": offset + size})
        cursor.execute("""
            INSERT INTO policies_certificate (person_id, year, valid_from, annual_salary,
                insured_salary, savings_capital, bvg_savings_capital, projected_capital_65,
                projected_pension_65, disability_pension, spouse_pension, death_capital,
                max_buy_in, wef_available, employee_contribution, employer_contribution)
            SELECT id, 2026, DATE '2026-01-01', annual_salary, 0,
                   (2026 - extract(year FROM birth_date) - 25) * annual_salary * 0.08,
                   (2026 - extract(year FROM birth_date) - 25) * annual_salary * 0.06,
                   0, 0, 0, 0, 0, 0, 0, 0, 0
            FROM policies_insuredperson WHERE contract_id = %s""", [contract.pk])
        cursor.execute("ANALYZE policies_insuredperson")
        cursor.execute("ANALYZE policies_certificate")
    return contract.pk


def part_certificates(args, env: dict) -> list[str]:
    from simulations.tasks import certificates_recompute_enqueue

    began = time.perf_counter()
    contracts = seed_certificates(args.sizes)
    seeded = time.perf_counter() - began
    fake = FakeTwilio()  # the worker's environment names one; nothing is sent here
    worker = start_worker(worker_env(env, fake), args.worker_concurrency)
    lines = [f"certificates: {', '.join(f'{s:,}' for s in args.sizes)} insured persons "
             f"(seeded in {seeded:.0f} s), recomputed by simulations.tasks in chunks of "
             f"{args.chunk:,} on a real Celery worker ({args.worker_concurrency} processes)"]
    try:
        timings = {}
        for size in args.sizes:
            start = time.perf_counter()
            result = certificates_recompute_enqueue(year=2026, contract_ids=[contracts[size]],
                                                    chunk_size=args.chunk)
            counts = result.get(timeout=3600, disable_sync_subtasks=False)
            timings[size] = time.perf_counter() - start
            done = sum(c["recomputed"] for c in counts)
            skipped = sum(c["skipped"] for c in counts)
            lines.append(f"  {size:>7,} insured: {timings[size]:6.1f} s, "
                         f"{timings[size] / size * 1000 * 1000:5.0f} ms per 1,000 "
                         f"({done:,} recomputed, {skipped:,} skipped, {len(counts)} chunks)")
    finally:
        load.stop(worker)
        fake.close()
    if len(timings) >= 2:
        small, large = min(timings), max(timings)
        growth = (timings[large] / timings[small]) / (large / small)
        lines.append(f"  time ratio {large:,}/{small:,} = {timings[large] / timings[small]:.1f} "
                     f"for {large / small:.0f} x the persons (per-person cost x{growth:.2f}: "
                     f"{'linear' if 0.7 <= growth <= 1.3 else 'NOT linear'})")
    return lines


# --- page weight ---------------------------------------------------------------------------------

DEMO_DB = f"{DB_NAME}_demo"
PERSONAS = {"insured": "insured@demo.ch", "pensioner": "pensioner@demo.ch", "hr": "hr@demo.ch",
            "clerk": "clerk@demo.ch", "fiduciary": "fiduciary@demo.ch",
            "broker": "broker@demo.ch", "agency": "agency@demo.ch",
            "broker2": "broker2@demo.ch"}
CRAWLED = ("/insured/", "/employer/", "/broker/", "/profile/", "/portal/")
PER_ROUTE = 3  # pages per URL pattern and persona (e.g. 3 of the 2,000 staff pages)


def part_weight(args, env: dict) -> list[str]:
    """seed_demo in its own database, then the crawl in a child process bound to it."""
    demo_env = {**env, "DATABASE_URL": f"{load.PG}/{DEMO_DB}"}
    load.create_database(DEMO_DB)
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT,
                       env=demo_env, check=True)
        subprocess.run([sys.executable, "manage.py", "seed_demo"], cwd=ROOT,
                       env={**demo_env, "DEBUG": "1"}, check=True, stdout=subprocess.DEVNULL)
        out = subprocess.run([sys.executable, "bench/run_all.py", "--weight-crawl"], cwd=ROOT,
                             env=demo_env, check=True, capture_output=True, text=True).stdout
    finally:
        load.drop_database(DEMO_DB)
    result = json.loads(out.strip().splitlines()[-1])
    pages = result["pages"]
    heaviest = sorted(pages, key=lambda p: -p["total"])
    over = [p for p in pages if p["total"] > 150 * 1024]
    lines = [f"weight: {len(pages)} pages ({len({p['route'] for p in pages})} URL patterns) "
             f"as {len(PERSONAS)} demo personas, HTML + linked CSS/JS, uncompressed "
             f"(gzip in brackets); heaviest:"]
    for p in heaviest[:args.weight_top]:
        lines.append(f"  {p['total'] / 1024:6.1f} KB ({p['gzip'] / 1024:5.1f})  html "
                     f"{p['html'] / 1024:5.1f} + css/js {p['assets'] / 1024:5.1f}  "
                     f"{p['persona']:9s} {p['path']}")
    lines.append(f"  every page <= 150 KB: {'met' if not over else 'NOT met'} "
                 f"({len(over)} over); median {statistics.median(p['total'] for p in pages) / 1024:.1f} KB")
    lines.append(f"  downloads reached (PDF, CSV, files: not pages): "
                 f"{', '.join(result['downloads']) or '-'}")
    if result["missed"]:
        lines.append(f"  portal URL patterns no GET link led to (POST-only actions, or no such "
                     f"object in the demo data): {', '.join(result['missed'])}")
    return lines


def weight_crawl() -> None:
    """In a child bound to the demo database: every persona follows the links of its portals
    from their home pages (GET only; a download or redirect is not weighed) and prints JSON."""
    import gzip
    import re
    from collections import deque

    import django

    django.setup()
    from django.contrib.staticfiles import finders
    from django.test import Client
    from django.urls import get_resolver, resolve
    from django.urls.exceptions import Resolver404

    from accounts.models import TermsAcceptance, User
    from accounts.reauth import reauth_mark
    from accounts.services import terms_current_version
    from accounts.session_store import SessionStore
    from bench.seed_all import verified_session

    href = re.compile(r'href="(/[^"#]*)')
    css = re.compile(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"')
    js = re.compile(r'<script[^>]+src="([^"]+)"')
    asset_sizes: dict[str, tuple[int, bytes]] = {}

    def asset(url: str) -> bytes:
        if url not in asset_sizes:
            found = finders.find(url.removeprefix("/static/").split("?")[0])
            asset_sizes[url] = Path(found).read_bytes() if found else b""
        return asset_sizes[url]

    version = terms_current_version()
    pages, reached, downloads = [], set(), set()
    for persona, email in PERSONAS.items():
        user = User.objects.get(email=email)
        if version is not None:
            TermsAcceptance.objects.get_or_create(user=user, version=version)
        client = Client(HTTP_HOST="127.0.0.1")
        key = verified_session(user)
        session = SessionStore(key)
        reauth_mark(session)  # pages behind a recent re-authentication are weighed too
        session.save()
        client.cookies["sessionid"] = key
        queue = deque(["/portal/", "/profile/"] + [f"/{m.kind}/" for m in
                                                   user.memberships.all()])
        seen, per_route = set(), {}
        while queue and len(seen) < 400:
            path = queue.popleft()
            bare = path.split("?")[0]
            if bare in seen or not bare.startswith(CRAWLED) or "logout" in bare:
                continue
            seen.add(bare)
            try:
                match = resolve(bare)
            except Resolver404:
                continue
            route = f"{match.namespace + ':' if match.namespace else ''}{match.url_name}"
            if per_route.get(route, 0) >= PER_ROUTE:
                continue
            response = client.get(path)
            if response.status_code == 200 and ("text/html" not in response.get(
                    "Content-Type", "") or getattr(response, "streaming", False)):
                downloads.add(route)
                continue
            if response.status_code != 200:
                continue
            per_route[route] = per_route.get(route, 0) + 1
            reached.add(route)
            html = response.content
            text = html.decode()
            linked = [asset(u) for u in css.findall(text) + js.findall(text)]
            pages.append({
                "persona": persona, "path": path, "route": route, "html": len(html),
                "assets": sum(len(a) for a in linked),
                "total": len(html) + sum(len(a) for a in linked),
                "gzip": len(gzip.compress(html)) + sum(len(gzip.compress(a)) for a in linked),
            })
            queue.extend(u.replace("&amp;", "&") for u in href.findall(text))
    patterns = set()
    for namespace in ("insured", "employer", "broker"):
        resolver = get_resolver().namespace_dict[namespace][1]
        patterns |= {f"{namespace}:{p.name}" for p in resolver.url_patterns}
    print(json.dumps({"pages": pages, "downloads": sorted(downloads - reached),
                      "missed": sorted(patterns - reached - downloads)}))


# --- memory of a web worker ----------------------------------------------------------------------

def worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return int(children[0])


def rss_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in KiB: its resident memory now and at its peak."""
    fields = dict(line.split(":", 1) for line in
                  Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def part_memory(args, env: dict, port: int, state: dict) -> list[str]:
    server = load.start_gunicorn(env, port, 1)
    try:
        pid = worker_pid(server.pid)
        pages = list(page_paths(state).values())
        for paths, cookie in pages:
            load.run(port, paths, cookie, 20, 1)
        marks = {0: rss_kib(pid)}
        done = 0
        for mark in (1_000, 5_000, args.memory_requests):
            while done < mark:
                paths, cookie = pages[(done // 100) % len(pages)]
                result = load.run(port, paths, cookie, 100, 4)
                if result["errors"]:
                    raise SystemExit(f"memory: {result['errors'][:3]}")
                done += 100
            marks[mark] = rss_kib(pid)
    finally:
        load.stop(server)
    rss = {k: v[0] / 1024 for k, v in marks.items()}
    return [f"memory: one gunicorn sync worker, {args.memory_requests:,} requests over the five "
            f"pages (blocks of 100, 4 client threads)",
            "  resident: " + ", ".join(f"{rss[k]:.0f} MiB after {k:,}" for k in sorted(rss))
            + f"; peak {marks[max(marks)][1] / 1024:.0f} MiB; growth from 1,000 to "
              f"{args.memory_requests:,}: {rss[args.memory_requests] - rss[1_000]:+.1f} MiB"]


# --- set-up --------------------------------------------------------------------------------------

def prepare(args, env: dict) -> dict:
    """The database (fresh, or the one --keep-db left) and the cookies of the bench users."""
    import redis

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    os.environ.update(env)
    if args.reuse_db and STATE.exists():
        import django

        django.setup()
        from accounts.models import User
        from bench.seed_all import verified_session

        state = json.loads(STATE.read_text())
        emails = {"insured": "bench@example.ch", "hr": "hr@bench.ch",
                  "agency": "agency@bench.ch", "broker": "broker@bench.ch"}
        state["cookies"] = {name: verified_session(User.objects.get(email=email))
                            for name, email in emails.items()}
        print(f"reusing {DB_NAME}", flush=True)
        return state
    load.create_database(DB_NAME)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env,
                   check=True)
    import django

    from bench.seed_all import seed

    django.setup()
    state = seed()
    print(f"seeded {DB_NAME} in {state['seconds']:.0f} s", flush=True)
    return state


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load_avg = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{platform.node()}: {os.cpu_count()} cores ({cpu}), Python "
            f"{platform.python_version()}, load average {load_avg:.1f} at start")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[6:]))
    for part in PARTS:
        parser.add_argument(f"--{part}", action="store_true", help=f"run the {part} part")
    # 2,400 requests a page and concurrency: a p95 from 120 slow samples (600 gave 30, and one
    # run's p95 ratio could differ from the next by 0.3 on this kind of machine).
    parser.add_argument("--requests", type=int, default=2400,
                        help="per page and concurrency (pages)")
    parser.add_argument("--rounds", type=int, default=24, help="interleaved rounds (pages)")
    parser.add_argument("--concurrency", default="1,8", help="client threads, e.g. 1,8")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--sms-count", type=int, default=200,
                        help="SMS codes to queue (sms)")
    parser.add_argument("--sms-rate", type=float, default=20, help="SMS codes queued a second")
    parser.add_argument("--certificate-sizes", default="10000,100000",
                        help="insured persons per recomputation (certificates)")
    parser.add_argument("--chunk", type=int, default=1000, help="certificates per task")
    parser.add_argument("--worker-concurrency", type=int, default=2,
                        help="Celery worker processes")
    parser.add_argument("--memory-requests", type=int, default=10_000, help="(memory)")
    parser.add_argument("--weight-top", type=int, default=12, help="heaviest pages listed")
    parser.add_argument("--weight-crawl", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--append-results", action="store_true",
                        help="append the figures to bench/RESULTS.md")
    parser.add_argument("--keep-db", action="store_true",
                        help=f"keep {DB_NAME} (and var/bench-all.json) for bench/profile_pages.py")
    parser.add_argument("--reuse-db", action="store_true",
                        help=f"use the {DB_NAME} a --keep-db run left")
    args = parser.parse_args()
    if args.weight_crawl:
        weight_crawl()
        return
    args.requests = min(args.requests, 20000)
    args.sms_count = min(args.sms_count, 2000)
    args.sizes = sorted(int(c) for c in args.certificate_sizes.split(",") if c.strip())
    args.memory_requests = max(5_000, min(args.memory_requests, 100_000))
    args.concurrency = [int(c) for c in args.concurrency.split(",") if c.strip()]
    selected = [p for p in PARTS if getattr(args, p)] or list(PARTS)

    command = " ".join(["bench/run_all.py", *sys.argv[1:]])
    header = f"{datetime.now():%Y-%m-%d %H:%M}  {machine()}"
    print(f"{header}\n$ {command}", flush=True)
    port = load.free_port()
    env = bench_env(port)
    state = prepare(args, env)
    state["env"] = {k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "DEBUG", "TESTING",
                                        "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE",
                                        "PRIVATE_MEDIA_ROOT", "SECURE_SSL_REDIRECT",
                                        "LOG_LEVEL", "CELERY_TASK_ALWAYS_EAGER")}
    report: list[str] = []
    try:
        if "pages" in selected:
            report += part_pages(args, env, port, state)
        if "memory" in selected:
            report += part_memory(args, env, port, state)
        if "sms" in selected:
            report += part_sms(args, env)
        if "certificates" in selected:
            report += part_certificates(args, env)
        if "weight" in selected:
            report += part_weight(args, env)
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep_db:
            STATE.parent.mkdir(exist_ok=True)
            STATE.write_text(json.dumps(state))
        else:
            load.drop_database(DB_NAME)
    print("\n" + "\n".join(report))
    if args.append_results:
        with RESULTS.open("a") as results:
            results.write(f"\n### {header}\n\n```\n$ {command}\n" + "\n".join(report)
                          + "\n```\n")
        print(f"appended to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
