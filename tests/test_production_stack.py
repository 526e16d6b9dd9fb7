"""The production stack as docker-compose.yml and the Dockerfile describe it (no Docker on the
CI machines: the files are read as data), and the bin/ scripts that both compose and
.ci/prod-smoke run. .ci/prod-smoke boots the same scripts for real."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = {"migrate": "bin/migrate", "web": "bin/start-web", "worker": "bin/start-worker",
                "beat": "bin/start-beat"}
SCRIPTS = ["bin/migrate", "bin/start-web", "bin/start-worker", "bin/start-beat"]


def _healthcheck(service: str) -> str:
    test = SERVICES[service]["healthcheck"]["test"]
    assert test[0] in ("CMD", "CMD-SHELL")
    return " ".join(test[1:])


def test_the_stack_has_its_services():
    assert set(SERVICES) == {"db", "redis", "migrate", "web", "worker", "beat"}
    assert SERVICES["db"]["image"].startswith("postgres:")
    assert SERVICES["redis"]["image"].startswith("redis:")


@pytest.mark.parametrize("service,script", sorted(APP_SERVICES.items()))
def test_each_app_service_runs_its_bin_script_from_the_one_image(service, script):
    config = SERVICES[service]
    assert config["command"] == [script]
    assert config["image"] == SERVICES["web"]["image"] and config["build"] == "."
    assert config["env_file"] == ".env"
    assert config["environment"]["DEBUG"] == "0"


@pytest.mark.parametrize("service,needle", [
    ("web", "http://127.0.0.1:8000/healthz"),
    ("worker", "celery --app portals inspect ping"),
    ("db", "pg_isready"),
    ("redis", "redis-cli ping"),
])
def test_healthchecks(service, needle):
    assert needle in _healthcheck(service)
    assert SERVICES[service]["healthcheck"]["interval"]


def test_services_start_after_what_they_need_is_healthy():
    for service in ("web", "worker", "beat"):
        needs = SERVICES[service]["depends_on"]
        assert needs["db"] == {"condition": "service_healthy"}
        assert needs["redis"] == {"condition": "service_healthy"}
        assert needs["migrate"] == {"condition": "service_completed_successfully"}


def test_only_web_is_published_and_only_on_loopback_for_the_proxy():
    assert SERVICES["web"]["ports"] == ["127.0.0.1:8000-8009:8000"]  # a port per web container
    for service in set(SERVICES) - {"web"}:
        assert "ports" not in SERVICES[service], service


def test_restart_policies():
    for service in ("db", "redis", "web", "worker", "beat"):
        assert SERVICES[service]["restart"] == "unless-stopped", service
    assert SERVICES["migrate"]["restart"] == "no"  # a one-off


def test_named_volumes_keep_the_database_redis_and_the_private_documents():
    assert {"pgdata", "private-documents", "redis-data"} <= set(COMPOSE["volumes"])
    assert "pgdata:/var/lib/postgresql/data" in SERVICES["db"]["volumes"]
    assert "redis-data:/data" in SERVICES["redis"]["volumes"]
    private_root = re.search(r"^PRIVATE_MEDIA_ROOT=(.+)$", (ROOT / ".env.example").read_text(),
                             re.M).group(1)
    for service in APP_SERVICES:
        assert f"private-documents:{private_root}" in SERVICES[service]["volumes"], service


def test_the_database_password_comes_from_the_env_file():
    password = SERVICES["db"]["environment"]["POSTGRES_PASSWORD"]
    assert password.startswith("${POSTGRES_PASSWORD:?")
    for service in APP_SERVICES:
        assert "${POSTGRES_PASSWORD:?" in SERVICES[service]["environment"]["DATABASE_URL"]
    assert re.search(r"^POSTGRES_PASSWORD=", (ROOT / ".env.example").read_text(), re.M)


def test_the_image_runs_as_a_user_that_is_not_root():
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert f"useradd --system --create-home --uid 1000 --user-group {users[-1]}" in \
        (ROOT / "Dockerfile").read_text()
    assert lines[-1] == 'CMD ["bin/start-web"]'
    assert lines.index(f"USER {users[-1]}") > max(
        i for i, line in enumerate(lines) if line.startswith(("RUN ", "COPY ")))


@pytest.mark.parametrize("script", SCRIPTS)
def test_start_scripts_are_executable_posix_shell_that_exec_their_process(script):
    path = ROOT / script
    assert os.access(path, os.X_OK), f"{script} is not executable"
    text = path.read_text()
    assert text.startswith("#!/bin/sh\n")
    assert "set -eu" in text
    commands = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert sum(line.startswith("exec ") for line in commands) == 1
    result = subprocess.run(["sh", "-n", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_gunicorn_is_a_dependency():
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert any(re.match(r"gunicorn\b", dependency) for dependency in dependencies)


def _gunicorn_config(**env) -> dict:
    """gunicorn.conf.py as gunicorn loads it, in a clean interpreter with `env`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(
        ("GUNICORN_", "WEB_CONCURRENCY", "LOG_", "DEBUG", "FORWARDED_"))}
    clean.update(env)
    code = ("import json, sys; from gunicorn.config import Config; c = Config(); "
            "ns = {}; exec(open('gunicorn.conf.py').read(), ns); "
            "[c.set(k, v) for k, v in ns.items() if k in c.settings]; "
            "print(json.dumps({'bind': c.bind, 'workers': c.workers, 'threads': c.threads, "
            "'accesslog': c.accesslog, 'wsgi_app': c.wsgi_app, "
            "'json': bool(c.logconfig_dict), 'forwarded': c.forwarded_allow_ips}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    import json

    return json.loads(result.stdout)


def test_gunicorn_reads_bind_workers_and_threads_from_the_environment():
    config = _gunicorn_config(GUNICORN_BIND="127.0.0.1:8123", WEB_CONCURRENCY="3",
                              GUNICORN_THREADS="4")
    assert config["bind"] == ["127.0.0.1:8123"]
    assert (config["workers"], config["threads"]) == (3, 4)
    assert config["accesslog"] == "-"  # stdout
    assert config["wsgi_app"] == "portals.wsgi:application"
    assert config["json"] is True  # DEBUG unset: production, JSON lines
    assert config["forwarded"] == ["127.0.0.1", "::1"]


def test_gunicorn_defaults_and_text_logs_on_a_laptop():
    config = _gunicorn_config(DEBUG="1", GUNICORN_BIND="")
    assert config["bind"] == ["0.0.0.0:8000"]
    assert config["workers"] >= 1 and config["threads"] == 1
    assert config["json"] is False


def test_a_bad_number_stops_gunicorn_naming_the_variable():
    clean = dict(os.environ, WEB_CONCURRENCY="many")
    result = subprocess.run([sys.executable, "-c", "exec(open('gunicorn.conf.py').read())"],
                            cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "WEB_CONCURRENCY must be a whole number" in result.stderr


def _variables_read() -> set[str]:
    names: set[str] = set()
    sources = [ROOT / "portals" / "settings.py", ROOT / "gunicorn.conf.py",
               *[ROOT / script for script in SCRIPTS]]
    for path in sources:
        text = path.read_text()
        names |= set(re.findall(
            r'(?:os\.environ\.get|env_bool|env_int|env_list|_int)\(\s*"([A-Z][A-Z0-9_]+)"', text))
        names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)[:}]", text))
    return names - {"TESTING"}  # the test run's own switch, never set in production


def test_every_variable_the_stack_reads_is_in_the_example_env_file():
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, re.M))
    read = _variables_read()
    assert {"SECRET_KEY", "WEB_CONCURRENCY", "CELERY_CONCURRENCY", "LOG_FORMAT"} <= read
    assert read - listed == set()
