"""Issue item 4: support (and superusers) deleted audit events in the admin. Nobody deletes or
changes them through the application; PostgreSQL refuses it below the application too."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import DatabaseError, connection, transaction

from accounts.models import SecurityEvent
from accounts.services import security_event_record
from tests.conftest import login_verified

pytestmark = pytest.mark.django_db

EVENTS = "/admin/accounts/securityevent/"


@pytest.fixture
def event(insured):
    return security_event_record(user=insured, kind=SecurityEvent.Kind.LOGIN_FAILURE)


@pytest.mark.parametrize("persona", ["support", "superuser"])
def test_nobody_deletes_an_audit_event_in_the_admin(client, request, event, persona):
    user = request.getfixturevalue(persona)
    # As in the issue: support held the delete permission; it must not matter.
    user.user_permissions.add(*Permission.objects.filter(
        codename__in=["delete_securityevent", "change_securityevent"]))
    login_verified(client, user)
    assert client.get(f"{EVENTS}{event.pk}/delete/").status_code == 403
    assert client.post(f"{EVENTS}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    client.post(EVENTS, {"action": "delete_selected", "post": "yes",
                         "_selected_action": [event.pk]})
    assert SecurityEvent.objects.filter(pk=event.pk).exists()
    page = client.get(EVENTS).content.decode()
    assert "delete_selected" not in page
    response = client.post(f"{EVENTS}{event.pk}/change/", {"kind": "login_success"})
    assert response.status_code == 403
    assert SecurityEvent.objects.get(pk=event.pk).kind == "login_failure"


@pytest.mark.postgres
def test_postgresql_refuses_to_delete_or_change_an_audit_event(event, insured):
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    with pytest.raises(DatabaseError), transaction.atomic():
        SecurityEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        SecurityEvent.objects.filter(pk=event.pk).update(kind="login_success")
    with pytest.raises(DatabaseError), transaction.atomic():
        event.delete()
    assert SecurityEvent.objects.get(pk=event.pk).kind == "login_failure"
    # Deleting an account may still clear the audit rows' user column.
    insured.delete()
    assert SecurityEvent.objects.get(pk=event.pk).user_id is None
