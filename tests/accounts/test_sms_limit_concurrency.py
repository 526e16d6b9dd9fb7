"""Ten requests for an SMS at the same moment: the 3-per-5-minutes limit still holds."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections

from accounts.models import OutboxMessage
from accounts.services import SmsLimitExceeded, sms_code_send

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_requests_cannot_pass_the_sms_limit():
    if connection.vendor != "postgresql":
        pytest.skip("advisory locks are only meaningful on PostgreSQL")
    barrier = threading.Barrier(10)
    outcomes: list[str] = []

    def send() -> None:
        try:
            barrier.wait()
            sms_code_send(number="+41791112233", code="123456", user=None,
                          ttl=timedelta(minutes=2))
            outcomes.append("sent")
        except SmsLimitExceeded:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["refused"] * 7 + ["sent"] * 3
    assert OutboxMessage.objects.filter(recipient="+41791112233").count() == 3
