from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation

from accounts.services import sms_code_send
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_sms_follows_the_account_language():
    user = f.UserFactory(language="it")
    message = sms_code_send(number="+41791234567", code="447683", user=user,
                            ttl=timedelta(minutes=2))
    assert message.body != "Votre code: 447683"
    assert "447683" in message.body


def test_sms_before_an_account_exists_follows_the_page_language():
    with translation.override("de"):
        message = sms_code_send(number="+41791234568", code="447683", user=None,
                                ttl=timedelta(minutes=2))
    assert message.body.startswith("Ihr Code")


def test_sms_carries_no_personal_data():
    user = f.UserFactory(first_name="Claire", last_name="Favre")
    message = sms_code_send(number="+41791234569", code="447683", user=user,
                            ttl=timedelta(minutes=2))
    assert message.body == "Votre code: 447683"
