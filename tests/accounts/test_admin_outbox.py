"""The outbox in the admin ("SMS not received"): delivery status, provider id and error per
message, recipients masked, the text never shown, filtered or searched; a resend within the
limits that never sends an expired code again."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import AdminAudit, OutboxMessage
from accounts.outbox import REDACTED, RESEND_MAX, message_resend
from accounts.services import sms_code_send
from tests.conftest import login_verified

pytestmark = pytest.mark.django_db

OUTBOX = "/admin/accounts/outboxmessage/"
NUMBER = "+41791234567"
CODE = "447683"


@pytest.fixture
def staff(request):
    return request.getfixturevalue(request.param)


def _sms(user=None, *, minutes_left=5, age_minutes=0, **extra) -> OutboxMessage:
    message = OutboxMessage.objects.create(
        channel="sms", recipient=NUMBER, user=user, body=f"Votre code: {CODE}",
        expires_at=timezone.now() + timedelta(minutes=minutes_left), **extra)
    if age_minutes:
        OutboxMessage.objects.filter(pk=message.pk).update(
            created_at=timezone.now() - timedelta(minutes=age_minutes))
        message.refresh_from_db()
    return message


@pytest.fixture
def resend(django_capture_on_commit_callbacks):
    """Post the resend action; the copies are delivered as after the commit (eager tasks)."""

    def _post(client, *messages):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(OUTBOX, {"action": "resend_messages",
                                        "_selected_action": [m.pk for m in messages]},
                               follow=True)

    return _post


@pytest.mark.parametrize("staff", ["agent", "account_manager", "supervisor"], indirect=True)
def test_support_sees_delivery_but_never_the_text(staff, insured):
    message = _sms(insured, status="failed", provider_id="SM123", error="twilio 400 (21614)",
                   attempts=1)
    client = login_verified(Client(), staff)
    pages = [client.get(OUTBOX).content.decode(),
             client.get(f"{OUTBOX}{message.pk}/change/").content.decode(),
             client.get(OUTBOX, {"q": CODE}).content.decode(),
             client.get(OUTBOX, {"q": NUMBER}).content.decode()]
    # The search box shows back what was typed; nothing else may show the text or the number.
    pages = [re.sub(r'value="[^"]*" id="searchbar"|q=[^"&]*', "", page) for page in pages]
    assert "0 résultat" in pages[2]
    for page in pages:
        assert CODE not in page
        assert NUMBER not in page and "079 123 45 67" not in page
    assert "+41 79 *** ** 67" in pages[0] and "SM123" in pages[0] and "21614" in pages[0]
    assert "+41 79 *** ** 67" in pages[3]  # found by its full number
    assert "+41 79 *** ** 67" not in pages[2]  # not by the text
    for lookup in ("body__contains", "body__startswith", "body", "recipient__startswith"):
        assert client.get(OUTBOX, {lookup: "Votre"}).status_code == 400, lookup


def test_a_number_typed_as_heard_finds_its_messages(as_user, agent):
    _sms()
    page = as_user(agent).get(OUTBOX, {"q": "079 123 45 67"}).content.decode()
    assert "+41 79 *** ** 67" in page


def test_the_person_page_links_to_one_accounts_messages(as_user, agent, insured, other_insured):
    _sms(insured)
    OutboxMessage.objects.create(channel="email", recipient=other_insured.email,
                                 user=other_insured, subject="Sujet", body="x")
    client = as_user(agent)
    page = client.get(OUTBOX, {"user": insured.pk}).content.decode()
    assert "+41 79 *** ** 67" in page and "o•••@example.ch" not in page
    assert insured.email in page  # the filter names the account it shows
    for value in ("abc", "999999", "-1"):
        response = client.get(OUTBOX, {"user": value})
        assert response.status_code == 200 and "+41 79 *** ** 67" not in response.content.decode()


def test_the_declared_filters_answer(as_user, agent):
    _sms()
    client = as_user(agent)
    today = timezone.localdate()
    for params in ({"status__exact": "pending"}, {"channel__exact": "sms"},
                   {"created_at__gte": f"{today} 00:00:00+01:00",
                    "created_at__lt": f"{today + timedelta(1)} 00:00:00+01:00"},
                   {"created_at__year": str(today.year)}):
        assert client.get(OUTBOX, params).status_code == 200, params


# --- resend -------------------------------------------------------------------------------------


@pytest.mark.parametrize("staff", ["agent", "account_manager", "supervisor"], indirect=True)
def test_a_failed_sms_whose_code_is_still_valid_is_sent_again(staff, insured, resend):
    original = _sms(insured, status="failed", error="twilio 400", attempts=1)
    response = resend(login_verified(Client(), staff), original)
    assert "1 message(s) renvoyé(s)" in response.content.decode()
    copy = OutboxMessage.objects.get(resent_from=original)
    assert (copy.recipient, copy.user, copy.expires_at) == (NUMBER, insured, original.expires_at)
    assert copy.status == "sent"  # delivered by the (eager) task through the console gateway
    original.refresh_from_db()
    assert original.status == "failed"
    row = AdminAudit.objects.get(action="action", name="resend_messages")
    assert row.actor == staff and row.detail["selected"] == [str(original.pk)]


def test_an_expired_code_is_never_sent_again(as_user, agent, insured, resend):
    expired = _sms(insured, minutes_left=-1, status="sent")
    page = resend(as_user(agent), expired).content.decode()
    assert "Un code expiré n&#x27;est jamais renvoyé" in page
    assert "Demander un nouveau code" in page
    assert OutboxMessage.objects.count() == 1


def test_an_erased_text_cannot_be_sent_again(as_user, agent, insured, resend):
    erased = _sms(insured, status="sent")
    OutboxMessage.objects.filter(pk=erased.pk).update(body=REDACTED)
    assert "son texte a été effacé" in resend(as_user(agent), erased).content.decode()
    assert OutboxMessage.objects.count() == 1


def test_a_message_still_on_its_way_is_not_doubled(as_user, agent, insured, resend):
    fresh = _sms(insured)
    assert "en cours d&#x27;envoi" in resend(as_user(agent), fresh).content.decode()
    assert OutboxMessage.objects.count() == 1


def test_a_stuck_message_is_replaced_and_never_sent_twice(as_user, agent, insured, resend):
    stuck = _sms(insured, attempts=3, error="twilio 429", age_minutes=3)
    resend(as_user(agent), stuck)
    stuck.refresh_from_db()
    assert stuck.status == "failed" and stuck.error == "replaced by a resend"
    from accounts.outbox import DeliveryOutcome, message_deliver

    assert message_deliver(message_id=stuck.pk) is DeliveryOutcome.SKIPPED  # a late retry
    assert OutboxMessage.objects.get(resent_from=stuck).status == "sent"


def test_resends_count_against_the_sms_limits(as_user, agent, insured, resend):
    first = sms_code_send(number=NUMBER, code=CODE, user=insured, ttl=timedelta(minutes=5))
    for _ in range(2):
        sms_code_send(number=NUMBER, code="123456", user=insured, ttl=timedelta(minutes=5))
    OutboxMessage.objects.update(status="sent")  # delivered, as the person says, but not read
    page = resend(as_user(agent), first).content.decode()
    assert "limite d&#x27;envoi atteinte" in page and "Trois codes ont déjà été envoyés" in page
    assert OutboxMessage.objects.count() == 3


def test_one_message_is_resent_a_few_times_at_most(insured):
    original = OutboxMessage.objects.create(channel="email", recipient="claire@example.ch",
                                            user=insured, subject="Document", body="Bonjour",
                                            status="sent")
    for _ in range(RESEND_MAX):
        message_resend(message_id=original.pk)
    from accounts.outbox import ResendRefused

    with pytest.raises(ResendRefused) as refused:
        message_resend(message_id=original.pk)
    assert refused.value.reason == "too_many"


def test_staff_without_the_duty_cannot_resend(as_user, support, insured, resend):
    # The older generic "Support" group reads the outbox but holds no resend duty.
    message = _sms(insured, status="failed", attempts=1)
    client = as_user(support)
    assert "resend_messages" not in client.get(OUTBOX).content.decode()
    resend(client, message)
    assert OutboxMessage.objects.count() == 1
    assert not AdminAudit.objects.filter(name="resend_messages").exists()


def test_a_mass_resend_is_refused(as_user, agent, insured, monkeypatch, resend):
    from accounts import admin_outbox

    monkeypatch.setattr(admin_outbox, "RESEND_PER_REQUEST", 1)
    messages = [_sms(insured, status="failed", attempts=1) for _ in range(2)]
    page = resend(as_user(agent), *messages).content.decode()
    assert "Au plus 1 messages à la fois" in page
    assert OutboxMessage.objects.count() == 2
