"""The back office's base: duty groups from code, an append-only audit trail that every admin
change, action and refusal writes to."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError, transaction

from accounts.duties import ACCOUNT_MANAGER, AGENT, DUTIES, SUPERVISOR, sync_duty_groups
from accounts.models import AdminAudit
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_the_migration_created_each_duty_group_with_exactly_its_permissions():
    for name, wanted in DUTIES.items():
        group = Group.objects.get(name=name)
        held = sorted(f"{p.content_type.app_label}.{p.codename}"
                      for p in group.permissions.select_related("content_type"))
        assert held == sorted(wanted), name


def test_a_permission_granted_by_hand_is_taken_back_by_the_next_sync():
    from django.contrib.auth.models import Permission

    group = Group.objects.get(name=AGENT)
    group.permissions.add(Permission.objects.get(codename="approve_factor_reset"))
    assert sync_duty_groups() == {}
    assert not group.permissions.filter(codename="approve_factor_reset").exists()


def test_only_the_supervisor_approves_four_eyes_and_reads_the_audit(agent, account_manager,
                                                                   supervisor):
    for user in (agent, account_manager):
        assert not user.has_perm("accounts.approve_factor_reset")
        assert not user.has_perm("accounts.view_adminaudit")
    assert supervisor.has_perm("accounts.approve_factor_reset")
    assert supervisor.has_perm("accounts.export_audit")
    assert agent.has_perm("accounts.find_person")
    assert not agent.has_perm("accounts.book_mutation")
    assert account_manager.has_perm("accounts.book_mutation")


def _row() -> AdminAudit:
    return AdminAudit.objects.create(action=AdminAudit.Action.VIEW, name="test")


def test_an_audit_row_cannot_be_changed_or_deleted_through_the_model():
    row = _row()
    row.name = "other"
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete()


@pytest.mark.postgres
def test_the_database_refuses_to_update_or_delete_audit_rows():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's (production)")
    row = _row()
    with pytest.raises(DatabaseError), transaction.atomic():
        AdminAudit.objects.filter(pk=row.pk).update(name="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        AdminAudit.objects.filter(pk=row.pk).delete()
    assert AdminAudit.objects.get(pk=row.pk).name == "test"


def test_an_admin_change_writes_who_what_and_whom(as_user, superuser):
    person = f.UserFactory(email="anna@example.ch", first_name="Anna")
    client = as_user(superuser)
    page = client.get(f"/admin/accounts/user/{person.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data.update({"first_name": "Annette", "memberships-TOTAL_FORMS": "0",
                 "memberships-INITIAL_FORMS": "0", "date_joined_0": "01.01.2026",
                 "date_joined_1": "08:00", "language": "fr", "is_active": "on"})
    data.pop("date_joined", None)
    data.pop("groups", None)
    data.pop("last_login", None)
    response = client.post(f"/admin/accounts/user/{person.pk}/change/", data,
                           REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 302, response.content[:2000]
    row = AdminAudit.objects.get(action="change")
    assert row.actor == superuser and row.subject == person
    assert row.target_type == "accounts.user" and row.target_id == str(person.pk)
    assert "Prénom" in row.detail["changes"] and "Annette" not in str(row.detail)
    assert row.ip_address == "10.1.2.3"


def test_an_admin_action_is_recorded_with_what_it_was_applied_to(as_user, superuser):
    person = f.UserFactory(email="locked@example.ch")
    client = as_user(superuser)
    client.post("/admin/accounts/user/", {"action": "unlock_login",
                                          "_selected_action": [person.pk]})
    row = AdminAudit.objects.get(action="action")
    assert row.name == "unlock_login" and row.detail["selected"] == [str(person.pk)]


@pytest.mark.parametrize("url", ["/admin/accounts/adminaudit/", "/admin/auth/group/",
                                 "/admin/accounts/user/invite/"])
def test_an_agent_on_a_page_of_another_duty_gets_403_and_leaves_a_trace(as_user, agent, url):
    response = as_user(agent).get(url)
    assert response.status_code == 403
    row = AdminAudit.objects.get(action="refused")
    assert row.actor == agent
    assert row.path == url


def test_account_manager_and_supervisor_groups_exist():
    assert Group.objects.filter(name__in=[ACCOUNT_MANAGER, SUPERVISOR]).count() == 2
