"""Where a page's time goes, in process (a tool for the benchmarks, not a test).

    .venv/bin/python bench/run_all.py --pages --keep-db   # leaves bench_all and its cookies
    .venv/bin/python bench/profile_pages.py [--requests 300] [--profile dashboard]

Runs the pages of bench/run_all.py through Django's WSGI handler in this process (no server,
no client threads), interleaved round by round, on the database and Redis database that
`run_all.py --keep-db` left behind (cookies in var/bench_all.json; BENCH_DB names another database). Prints per page: the CPU
time of this process per request (the Python cost: middleware, gate, view, templates), the
wall time, the SQL queries and cache round trips per request, and each page's ratio to the
baseline. CPU time of one process is far steadier than latency on a shared machine; the
ratios are what to compare. `--profile NAME` writes a cProfile of that page's requests
(var/profile-NAME.prof; read it with `python -m pstats`) and prints the top entries.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def environ_for(path: str, cookie: str) -> dict:
    query = ""
    if "?" in path:
        path, query = path.split("?", 1)
    return {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1",
        "HTTP_COOKIE": f"sessionid={cookie}", "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr, "wsgi.version": (1, 0), "wsgi.multithread": False,
        "wsgi.multiprocess": True, "wsgi.run_once": False,
        "HTTP_ACCEPT_LANGUAGE": "fr",
    }


class CacheCounter:
    """Counts round trips to the cache client (get, get_many, set, add, incr...)."""

    def __init__(self) -> None:
        self.calls = 0

    def install(self) -> None:
        from django.core.cache.backends import redis as backend

        client = backend.RedisCacheClient
        counter = self
        for name in ("get", "get_many", "set", "set_many", "add", "delete", "incr",
                     "touch", "has_key", "delete_many"):
            original = getattr(client, name)

            def wrapped(*args, _original=original, **kwargs):
                counter.calls += 1
                return _original(*args, **kwargs)

            setattr(client, name, wrapped)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="per page")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--profile", default="", help="page name to profile with cProfile")
    parser.add_argument("--pages", default="", help="comma-separated subset")
    parser.add_argument("--wall", action="store_true",
                        help="profile wall time (waits on PostgreSQL and Redis included) "
                             "instead of this process's CPU time")
    args = parser.parse_args()

    state = json.loads((ROOT / "var" / f"{os.environ.get('BENCH_DB', 'bench_all')}.json").read_text())
    os.environ.update(state["env"])
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection, reset_queries

    from bench.run_all import page_paths

    pages = page_paths(state)
    if args.pages:
        pages = {k: v for k, v in pages.items() if k in args.pages.split(",")}
    counter = CacheCounter()
    counter.install()
    handler = WSGIHandler()

    def call(path: str, cookie: str) -> int:
        status = []

        def start_response(code, headers, exc_info=None):
            status.append(code)

        body = handler(environ_for(path, cookie), start_response)
        for _chunk in body:
            pass
        body.close()
        return int(status[0].split()[0])

    for name, (paths, cookie) in pages.items():  # warm-up, and fail loudly on a wrong set-up
        for path in paths[:20] * 3:
            code = call(path, cookie)
            if code != 200:
                raise SystemExit(f"{name}: {path} answered {code}")

    cpu: dict[str, list[float]] = {name: [] for name in pages}
    wall: dict[str, list[float]] = {name: [] for name in pages}
    queries: dict[str, int] = {}
    caches: dict[str, int] = {}
    timer = time.perf_counter if args.wall else time.process_time
    profiler = cProfile.Profile(timer) if args.profile else None
    per_round = max(1, args.requests // args.rounds)
    for _ in range(args.rounds):
        for name, (paths, cookie) in pages.items():
            profiling = profiler is not None and name == args.profile
            c0, w0 = time.process_time(), time.perf_counter()
            if profiling:
                profiler.enable()
            for i in range(per_round):
                call(paths[i % len(paths)], cookie)
            if profiling:
                profiler.disable()
            cpu[name].append((time.process_time() - c0) / per_round * 1000)
            wall[name].append((time.perf_counter() - w0) / per_round * 1000)
    from django.conf import settings

    settings.DEBUG = True  # only to record the queries of one last request per page
    for name, (paths, cookie) in pages.items():
        reset_queries()
        before = counter.calls
        call(paths[0], cookie)
        queries[name] = len(connection.queries)
        caches[name] = counter.calls - before
        if name == args.profile:
            for q in connection.queries:
                print("   ", q["sql"][:160])

    base_cpu = statistics.median(cpu["baseline"]) if "baseline" in cpu else None
    base_wall = statistics.median(wall["baseline"]) if "baseline" in wall else None
    print(f"{'page':10s} {'cpu ms':>7s} {'ratio':>6s} {'wall ms':>8s} {'ratio':>6s} "
          f"{'queries':>7s} {'cache':>5s}")
    for name in pages:
        c, w = statistics.median(cpu[name]), statistics.median(wall[name])
        rc = f"{c / base_cpu:6.2f}" if base_cpu else "     -"
        rw = f"{w / base_wall:6.2f}" if base_wall else "     -"
        print(f"{name:10s} {c:7.2f} {rc} {w:8.2f} {rw} {queries[name]:7d} {caches[name]:5d}")
    if profiler is not None:
        out = ROOT / "var" / f"profile-{args.profile}.prof"
        profiler.dump_stats(out)
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
        print(f"profile written to {out}")


if __name__ == "__main__":
    main()
