"""Twenty wrong registration codes posted at the same moment: the lock (5 failures an hour per
client address and per person) still lets exactly five be judged, the rest are locked out."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection, connections
from django.test import RequestFactory

from accounts import registration as reg
from accounts.models import SecurityEvent
from tests import factories as f

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ATTEMPTS = 20


def _race(target) -> list[str]:
    barrier = threading.Barrier(ATTEMPTS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            try:
                target(n)
                outcome = "passed"
            except reg.IdentificationLocked:
                outcome = "locked"
            except reg.IdentificationFailed:
                outcome = "failed"
            except Exception as exc:  # anything else breaks the guarantee
                outcome = f"error: {type(exc).__name__}: {exc}"
            with lock:
                outcomes.append(outcome)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_parallel_wrong_codes_for_one_person_cannot_exceed_the_lock():
    if connection.vendor != "postgresql":
        pytest.skip("advisory locks are only meaningful on PostgreSQL")
    person = f.InsuredPersonFactory(birth_date=date(1970, 5, 4))
    rf = RequestFactory()

    def wrong_code(n: int) -> None:
        # Every try from another address: only the per-person count can stop them.
        request = rf.post("/register/", REMOTE_ADDR=f"10.0.0.{n + 1}")
        reg.registration_identify(ahv=person.ahv_number, birth_date=person.birth_date,
                                  code=f"WRONG{n:04d}", request=request)

    outcomes = _race(wrong_code)
    assert len(outcomes) == ATTEMPTS and not [o for o in outcomes if o.startswith("error")]
    assert SecurityEvent.objects.filter(kind="code_failure").count() == reg.CODE_FAILURE_LIMIT
    # The fifth failure already answers "locked"; every later try is locked without a look.
    assert outcomes.count("failed") == reg.CODE_FAILURE_LIMIT - 1
    assert outcomes.count("locked") == ATTEMPTS - reg.CODE_FAILURE_LIMIT + 1


def test_parallel_wrong_codes_from_one_address_cannot_exceed_the_lock():
    if connection.vendor != "postgresql":
        pytest.skip("advisory locks are only meaningful on PostgreSQL")
    rf = RequestFactory()

    def wrong_code(n: int) -> None:
        request = rf.post("/register/", REMOTE_ADDR="10.9.9.9")
        reg.registration_identify_code(code=f"WRONG{n:04d}", request=request)

    outcomes = _race(wrong_code)
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert SecurityEvent.objects.filter(kind="code_failure").count() == reg.CODE_FAILURE_LIMIT
