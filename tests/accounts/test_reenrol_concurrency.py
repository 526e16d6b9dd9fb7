"""Five browsers typing the same posted re-enrolment code at the same moment: one opens the set-up
of a new factor, the others get the answer of a used code (and no 500)."""

from __future__ import annotations

import threading

import pytest
from django.contrib.sessions.backends.base import SessionBase
from django.db import connection, connections
from django.test import RequestFactory

from accounts import registration as reg
from accounts.models import RegistrationCode
from accounts.reenrol import SESSION_KEY, reenrol_code_issue, reenrol_redeem
from accounts.services import second_factor_reset
from tests import factories as f

ATTEMPTS = 5  # 4 failures stay under the lock of 5 per account


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_redemptions_of_one_reenrol_code_open_one_set_up():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only meaningful on PostgreSQL")
    user = f.UserFactory(email="lost.phone@example.ch")
    support = f.UserFactory(email="support@example.ch", is_staff=True)
    second_factor_reset(user=user, by=support)
    issued = reenrol_code_issue(user=user, by=support)
    barrier = threading.Barrier(ATTEMPTS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        request = RequestFactory().post("/account/two_factor/reenrol/",
                                        REMOTE_ADDR=f"192.0.2.{n + 1}")
        request.session = SessionBase()
        try:
            barrier.wait(timeout=30)
            try:
                reenrol_redeem(user=user, code=issued.plain, request=request)
                outcome = "opened" if request.session.get(SESSION_KEY) == user.pk else "?"
            except reg.IdentificationFailed:
                outcome = "refused"
            except Exception as exc:  # anything else is a failure of the guarantee
                outcome = f"error: {type(exc).__name__}: {exc}"
            with lock:
                outcomes.append(outcome)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["opened"] + ["refused"] * (ATTEMPTS - 1), outcomes
    assert RegistrationCode.objects.get(pk=issued.code.pk).redeemed_by == user
