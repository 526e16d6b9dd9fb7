"""The real stack for the tests that need it: Celery workers, a Redis server of their own and a
gunicorn web server, each a separate process on the test database (PostgreSQL).

They run when CELERY_WORKER_TESTS=1 with DATABASE_URL on PostgreSQL and REDIS_URL set (.ci/run's
second stage); plain `make test` (SQLite, eager Celery) skips them with that reason.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]

STACK_READY = (
    os.environ.get("CELERY_WORKER_TESTS") == "1" and bool(settings.REDIS_URL)
    and settings.IS_POSTGRES
)
needs_stack = [
    pytest.mark.worker,
    pytest.mark.skipif(
        not STACK_READY,
        reason="needs CELERY_WORKER_TESTS=1, PostgreSQL and Redis (see .ci/run)",
    ),
]

# What a production process needs besides DATABASE_URL and REDIS_URL (DEBUG off: the real
# error pages); plain static storage, as there is no collectstatic here.
PRODUCTION_ENV = {
    "DEBUG": "0",
    "TESTING": "1",
    "SECRET_KEY": "stack-tests-" + "k" * 48,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "LOG_LEVEL": "INFO",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stack_database_url() -> str:
    """The test database, for processes started by a test (after pytest-django created it)."""
    db = connection.settings_dict
    return (f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
            f"{db['NAME']}")


def wait_until(check: Callable[[], object], seconds: float = 30, interval: float = 0.1):
    """The first truthy value `check()` returns within `seconds`, else the last (falsy) one."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


class Process:
    """A child process with its output in a log file."""

    def __init__(self, log: Path):
        self.log = log
        self.process: subprocess.Popen | None = None

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def _spawn(self, command: list[str], env: dict[str, str]) -> None:
        with self.log.open("a") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.running:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no acknowledgement, as when a machine dies."""
        if self.running:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)


class Worker(Process):
    """`celery worker` (solo pool: one task at a time, in the process a SIGKILL ends) on the
    test database; `module` may name a launcher that injects faults first (tests/faults)."""

    count = 0

    def __init__(self, log: Path, *, env: dict[str, str] | None = None,
                 module: str = "celery"):
        super().__init__(log)
        Worker.count += 1
        self.name = f"stack{os.getpid()}-{Worker.count}@tests"
        self.env = {**os.environ, "DATABASE_URL": stack_database_url(),
                    "CELERY_TASK_ALWAYS_EAGER": "0", **(env or {})}
        self.module = module

    def start(self, seconds: float = 60) -> Worker:
        self._spawn([sys.executable, "-m", self.module, "-A", "portals", "worker",
                     "--pool=solo", "--without-gossip", "--without-mingle",
                     "--without-heartbeat", "--loglevel=INFO", "-n", self.name], self.env)
        ready = wait_until(lambda: " ready." in self.text() or not self.running, seconds)
        if not ready or not self.running:
            self.stop()
            pytest.fail(f"worker did not start within {seconds} s:\n{self.text()}")
        return self


class RedisServer(Process):
    """A Redis of the test's own, on a free port: stopping it disturbs nobody else."""

    def __init__(self, log: Path, directory: Path):
        super().__init__(log)
        self.port = free_port()
        self.directory = directory

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self._spawn([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                     "--appendonly", "no", "--dir", str(self.directory)], dict(os.environ))
        if not wait_until(self.answers, 20):
            pytest.fail("redis-server did not start:\n" + self.text())
        return self

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=1)

    def answers(self) -> bool:
        import redis

        try:
            return bool(self.client().ping())
        except redis.exceptions.ConnectionError:
            return False


class WebServer(Process):
    """gunicorn with production settings (DEBUG off) on the test database, one sync worker,
    so that consecutive requests reach the same process and its database connection."""

    def __init__(self, log: Path, *, env: dict[str, str] | None = None):
        super().__init__(log)
        self.port = free_port()
        self.env = {**os.environ, **PRODUCTION_ENV, "DATABASE_URL": stack_database_url(),
                    "CELERY_TASK_ALWAYS_EAGER": "0", **(env or {})}

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> WebServer:
        import requests

        self._spawn([sys.executable, "-m", "gunicorn", "portals.wsgi:application",
                     "--bind", f"127.0.0.1:{self.port}", "--workers", "1",
                     "--timeout", "60", "--graceful-timeout", "2"], self.env)

        def up() -> bool:
            try:
                requests.get(self.url("/healthz"), timeout=5)
                return True
            except requests.ConnectionError:
                return False

        if not wait_until(lambda: up() or not self.running, 60) or not self.running:
            pytest.fail("gunicorn did not start:\n" + self.text())
        return self
