"""Twenty colleagues (or bulk jobs) issuing a code for one person at the same moment: one live
code afterwards, never two (the person's row lock serialises them)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from accounts import registration as reg
from accounts.models import RegistrationCode
from tests import factories as f

ATTEMPTS = 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_reissues_for_one_person_leave_exactly_one_live_code():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only meaningful on PostgreSQL")
    person = f.InsuredPersonFactory()
    barrier = threading.Barrier(ATTEMPTS)
    errors: list[str] = []

    def attempt(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            if n % 2:
                reg.insured_code_replace(person=person, created_by=None)
            else:
                try:
                    reg.insured_code_issue(person=person, created_by=None)
                except reg.LiveCodeExists:
                    pass
        except Exception as exc:  # anything else is a failure of the guarantee
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert RegistrationCode.objects.count() >= ATTEMPTS // 2
    assert RegistrationCode.objects.filter(revoked_at__isnull=True).count() == 1
