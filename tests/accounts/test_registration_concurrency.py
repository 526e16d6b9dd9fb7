"""50 people finishing the wizard with one code at the same moment: exactly one account."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection, connections

from accounts import registration as reg
from accounts.models import Membership, RegistrationCode, User
from tests import factories as f

ATTEMPTS = 50


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_redemptions_of_one_code_create_exactly_one_account():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only meaningful on PostgreSQL")
    f.TermsFactory(version=1)
    person = f.InsuredPersonFactory()
    issued = reg.registration_code_issue(kind="insured", role="insured", insured_person=person,
                                         created_by=None)
    password_hash = make_password("Velo-Rouge-2024!")
    barrier = threading.Barrier(ATTEMPTS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        try:
            registration = reg.Registration(
                code_id=issued.code.pk, email=f"racer{n}@example.ch",
                password_hash=password_hash, factor="totp", factor_key=reg.factor_key_new(),
                terms_version=1,
            )
            barrier.wait(timeout=30)
            try:
                reg.registration_complete(registration=registration)
                outcome = "created"
            except reg.CodeUnavailable:
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
        thread.join(timeout=120)

    assert sorted(set(outcomes)) == ["created", "refused"], outcomes
    assert outcomes.count("created") == 1
    assert outcomes.count("refused") == ATTEMPTS - 1
    assert User.objects.count() == 1
    assert Membership.objects.count() == 1
    user = User.objects.get()
    assert user.insured_person == person
    code = RegistrationCode.objects.get()
    assert code.redeemed_by == user
