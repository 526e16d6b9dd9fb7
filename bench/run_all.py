"""The whole application under load, in one run (a script, not a test): issue 14's figures.

    make bench-load                      # = .venv/bin/python bench/run_all.py (every part)
    .venv/bin/python bench/run_all.py --pages [--requests 600] [--concurrency 1,8]
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
import subprocess
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load  # noqa: E402

DB_NAME = "bench_all"
STATE = ROOT / "var" / "bench-all.json"
PAGES = ("baseline", "dashboard", "overview", "lookup", "portfolio")
PARTS = ("pages", "sms", "certificates", "weight", "memory")


def bench_env(port: int) -> dict[str, str]:
    env = load.bench_env(port)
    env["DATABASE_URL"] = f"{load.PG}/{DB_NAME}"
    env["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
    env["PRIVATE_MEDIA_ROOT"] = str(ROOT / "var" / "bench-all-private")
    return env


def page_paths(state: dict) -> dict[str, tuple[list[str], str]]:
    """Each measured page: the paths it cycles through and the session cookie it sends."""
    cookies = state["cookies"]
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


def start_gunicorn(env: dict, port: int, workers: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portals.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", str(workers), "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    load.wait_for(port)
    return server


def stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
    server = start_gunicorn(env, port, args.workers)
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
        stop(server)
    return lines


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
    parser.add_argument("--requests", type=int, default=600,
                        help="per page and concurrency (pages)")
    parser.add_argument("--rounds", type=int, default=6, help="interleaved rounds (pages)")
    parser.add_argument("--concurrency", default="1,8", help="client threads, e.g. 1,8")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--keep-db", action="store_true",
                        help=f"keep {DB_NAME} (and var/bench-all.json) for bench/profile_pages.py")
    parser.add_argument("--reuse-db", action="store_true",
                        help=f"use the {DB_NAME} a --keep-db run left")
    args = parser.parse_args()
    args.requests = min(args.requests, 20000)
    args.concurrency = [int(c) for c in args.concurrency.split(",") if c.strip()]
    selected = [p for p in PARTS if getattr(args, p)] or list(PARTS)

    command = " ".join(["bench/run_all.py", *sys.argv[1:]])
    print(f"{datetime.now():%Y-%m-%d %H:%M}  {machine()}\n$ {command}", flush=True)
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
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep_db:
            STATE.parent.mkdir(exist_ok=True)
            STATE.write_text(json.dumps(state))
        else:
            load.drop_database(DB_NAME)
    print("\n" + "\n".join(report))


if __name__ == "__main__":
    main()
