"""Publishing a document notifies its owner once, through the outbox, without personal data."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import OutboxMessage
from policies.models import Document
from policies.services import document_publish
from tests.conftest import login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(insured, insured_person):
    return Document.objects.create(category="letter", title="Courrier", year=2026,
                                   insured_person=insured_person)


def test_publishing_sends_one_notice_without_personal_data(draft, insured, insured_person,
                                                           django_capture_on_commit_callbacks):
    from two_factor.plugins.phonenumber.models import PhoneDevice

    PhoneDevice.objects.create(user=insured, name="sms", number="+41791234567", confirmed=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert document_publish(document=draft) is True
    draft.refresh_from_db()
    assert draft.published and draft.published_at is not None
    sent = list(OutboxMessage.objects.filter(user=insured).order_by("channel"))
    assert {m.channel for m in sent} == {"email", "sms"}
    email = next(m for m in sent if m.channel == "email")
    assert email.subject == "Un nouveau document vous attend"
    for message in sent:
        for secret in (insured_person.last_name, insured_person.ahv_number, "Courrier"):
            assert secret not in message.body
    with django_capture_on_commit_callbacks(execute=True):
        assert document_publish(document=draft) is False
    assert OutboxMessage.objects.filter(user=insured).count() == 2


def test_notice_is_in_the_users_language(draft, insured, django_capture_on_commit_callbacks):
    insured.language = "fr"
    insured.save()
    with django_capture_on_commit_callbacks(execute=True):
        document_publish(document=draft)
    assert "Un nouveau document vous attend" in OutboxMessage.objects.get(user=insured).body


def test_admin_action_and_save_publish_through_the_service(client, account_manager, draft,
                                                           insured):
    admin = login_verified(client, account_manager)
    response = admin.post(reverse("admin:policies_document_changelist"),
                          {"action": "publish", "_selected_action": [draft.pk]})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.published
    assert OutboxMessage.objects.filter(user=insured, channel="email").count() == 1


def test_checking_published_in_the_admin_form_notifies(client, account_manager, draft, insured):
    admin = login_verified(client, account_manager)
    url = reverse("admin:policies_document_change", args=[draft.pk])
    response = admin.post(url, {
        "category": "letter", "title": "Courrier", "year": 2026,
        "insured_person": draft.insured_person_id, "published": "on",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    draft.refresh_from_db()
    assert draft.published and draft.published_at is not None
    assert OutboxMessage.objects.filter(user=insured, channel="email").count() == 1
