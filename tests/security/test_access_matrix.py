"""The access matrix: every URL of the URL configuration x every persona, one logged-in client
per persona, each cell judged by the rule of tests/security/access_matrix.py; every response
also carries the browser protections. Run with -s to see the counts."""

from __future__ import annotations

import logging
import time
from collections import Counter
from contextlib import contextmanager

import pytest
from django.forms.models import model_to_dict
from django.test import Client

from tests.conftest import login_verified, reauthed
from tests.security.access_matrix import (
    ALLOWED,
    DENIED,
    AccessMatrix,
    Expect,
    Target,
    judge,
    url_entries,
)
from tests.security.world import ANONYMOUS, PERSONAS, STAFF_PERSONAS, UNVERIFIED, build_world

# Names that a persona's pages must never show: the people, clients and companies of others.
MUST_NOT_SEE = {
    "insured": ("Vieuxbois", "Otto"),
    "pensioner": ("Favre",),
    "other_insured": ("Favre", "Vieuxbois"),
    "other_employer_hr": ("Favre", "Vieuxbois", "Boulangerie Test SA"),
    "broker": ("Voisin", "Etranger"),
    "colleague_broker": ("Vermeil",),
    "broker2": ("Vermeil", "Voisin"),
    "ended_broker": ("Vermeil", "Voisin"),
}


def header_problems(response, authenticated: bool) -> list[str]:
    problems = []
    csp = response.get("Content-Security-Policy", "")
    if "default-src 'self'" not in csp:
        problems.append("CSP missing")
    if "unsafe-inline" in csp:
        problems.append("CSP allows 'unsafe-inline'")
    if "frame-ancestors 'none'" not in csp:
        problems.append("no frame-ancestors 'none'")
    if response.get("X-Frame-Options") != "DENY":
        problems.append("X-Frame-Options")
    if response.get("Referrer-Policy") != "same-origin":
        problems.append("Referrer-Policy")
    if response.get("X-Content-Type-Options") != "nosniff":
        problems.append("X-Content-Type-Options")
    if "camera=()" not in response.get("Permissions-Policy", ""):
        problems.append("Permissions-Policy")
    if authenticated and "no-store" not in response.get("Cache-Control", ""):
        problems.append("Cache-Control without no-store")
    return problems


@contextmanager
def quiet_refusals():
    """403 and 404 are the point here: their warning log lines (with tracebacks) cost time."""
    names = ("django.request", "django.security")
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def client_for(world, persona: str) -> Client:
    client = Client()
    if persona == UNVERIFIED:
        client.force_login(world.user("insured"), backend="accounts.backends.EmailOrAhvBackend")
    elif persona != ANONYMOUS:
        login_verified(client, world.user(persona))
    return client


def _state(obj) -> dict:
    """The row's fields as comparable values (a file field by its name)."""
    return {k: getattr(v, "name", v) if hasattr(v, "storage") else v
            for k, v in model_to_dict(obj).items()}


class Sweep:
    def __init__(self, matrix: AccessMatrix):
        self.matrix = matrix
        self.cells = 0
        self.outcomes: Counter = Counter()
        self.foreign = 0
        self.foreign_refused = 0
        self.failures: list[str] = []
        self.allowed_by: dict[str, set[str]] = {}
        self.denied_by: dict[str, set[str]] = {}
        self.posted: dict[tuple, tuple[object, dict]] = {}

    def run(self, personas, entries) -> None:
        with quiet_refusals():
            for persona in personas:
                client = client_for(self.matrix.world, persona)
                if persona not in (ANONYMOUS, UNVERIFIED):
                    reauthed(client)  # the pages behind a fresh password show themselves
                for entry in entries:
                    for target in self.matrix.targets(entry):
                        self.cell(client, persona, entry, target)

    def cell(self, client, persona, entry, target) -> None:
        expect: Expect = self.matrix.expect(persona, entry, target)
        response = client.get(target.path)
        if response.status_code == 405 and expect.outcome != ALLOWED:
            # A POST-only view: the refusal must hold for the POST itself (and change nothing).
            if target.obj is not None:
                key = (type(target.obj), target.obj.pk)
                if key not in self.posted:
                    stored = type(target.obj)._default_manager.get(pk=target.obj.pk)
                    self.posted[key] = (target.obj, _state(stored))
            response = client.post(target.path, {})
        if expect.follow:
            response, path = self.follow_admin(client, persona, target.path, response)
            leads_to = self.matrix.entry_for(path) if path != target.path else None
            if leads_to is not None and leads_to is not entry:
                # An admin page that hands over to another one: that page's rule answers.
                entry, target = leads_to, Target(path, obj=target.obj)
                expect = self.matrix.expect(persona, entry, target)
        self.cells += 1
        self.outcomes[expect.outcome] += 1
        self.foreign += expect.foreign
        where = f"{persona} {target.path} [{entry.key}]"
        if expect.outcome == ALLOWED:
            self.allowed_by.setdefault(target.path, set()).add(persona)
        elif expect.outcome == DENIED:
            self.denied_by.setdefault(target.path, set()).add(persona)
        if expect.foreign and response.status_code in (403, 404):
            self.foreign_refused += 1
        if not judge(expect, response):
            self.failures.append(f"{where}: expected {expect.outcome} ({expect.rule}), got "
                                 f"{response.status_code} {response.get('Location', '')}")
        problems = header_problems(response, persona != ANONYMOUS)
        if problems:
            self.failures.append(f"{where}: headers {problems}")
        self.check_names(persona, where, response)

    @staticmethod
    def follow_admin(client, persona, path, response):
        """Inside the admin a redirect to another admin page (add -> issuing form, a job's
        change page -> its progress page) is judged by where it leads: (response, path)."""
        for _ in range(2):
            location = response.get("Location", "")
            if not (persona in STAFF_PERSONAS and path.startswith("/admin/")
                    and response.status_code in (301, 302) and location.startswith("/admin/")
                    and not location.startswith(("/admin/login/", "/admin/logout/"))):
                break
            path = location
            response = client.get(location)
        return response, path

    def check_names(self, persona, where, response) -> None:
        names = MUST_NOT_SEE.get(persona)
        if not names or response.status_code != 200 or response.streaming \
                or "html" not in response.get("Content-Type", ""):
            return
        page = response.content.decode()
        shown = [name for name in names if name in page]
        if shown:
            self.failures.append(f"{where}: shows {shown}")

    def changed_by_refused_posts(self) -> list[str]:
        changed = []
        for (model, pk), (obj, before) in self.posted.items():
            fresh = model._default_manager.filter(pk=pk).first()
            after = _state(fresh) if fresh is not None else {}
            if after != before:
                diff = {k: (before.get(k), after.get(k)) for k in set(before) | set(after)
                        if before.get(k) != after.get(k)}
                changed.append(f"{model._meta.label} {pk}: {diff}")
        return changed

    def report(self, title: str, seconds: float) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
        share = f"{100 * self.foreign_refused / self.foreign:.0f} %" if self.foreign else "-"
        return (f"{title}: {self.cells} cells ({counts}); foreign-object cells {self.foreign}, "
                f"answered 403/404: {self.foreign_refused} ({share}); "
                f"{len(self.failures)} failing; {seconds:.1f} s")


def test_every_url_of_the_configuration_is_classified():
    matrix = AccessMatrix(world=None)  # no request is made: the URL configuration only
    assert matrix.unclassified() == [], (
        "classify these URLs in tests/security/access_matrix.py (portal objects in PORTAL_ARGS, "
        "custom admin pages with duty_required or in ADMIN_CUSTOM)")
    assert len(url_entries()) > 300


def _assert_clean(sweep: Sweep, title: str, seconds: float) -> None:
    summary = sweep.report(title, seconds)
    print(summary)  # noqa: T201 - the count of cells, visible with -s
    assert sweep.failures == [], summary + "\n" + "\n".join(sweep.failures[:60])
    assert sweep.changed_by_refused_posts() == [], summary


@pytest.mark.django_db
def test_portals_and_account_pages_answer_each_persona_by_the_rules():
    started = time.monotonic()
    world = build_world()
    matrix = AccessMatrix(world)
    entries = [e for e in matrix.entries if not e.route.startswith("admin/")]
    sweep = Sweep(matrix)
    sweep.run(PERSONAS, entries)
    _assert_clean(sweep, "portal and account matrix", time.monotonic() - started)
    assert sweep.foreign >= 100 and sweep.foreign_refused == sweep.foreign
    assert sweep.cells >= len(entries) * len(PERSONAS)


@pytest.mark.django_db
def test_the_admin_answers_each_persona_and_duty_by_the_rules():
    started = time.monotonic()
    world = build_world()
    matrix = AccessMatrix(world)
    entries = [e for e in matrix.entries if e.route.startswith("admin/")]
    sweep = Sweep(matrix)
    sweep.run(PERSONAS, entries)
    # "Another duty": a page one duty group opens and another one is refused (403).
    duties = {"agent", "account_manager", "supervisor"}
    other_duty = sum(len(sweep.denied_by.get(path, set()) & duties)
                     for path, allowed in sweep.allowed_by.items() if allowed & duties)
    _assert_clean(sweep, f"admin matrix (cells of another duty: {other_duty})",
                  time.monotonic() - started)
    assert other_duty >= 20
