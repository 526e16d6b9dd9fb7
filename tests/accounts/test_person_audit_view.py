"""The audit view: filterable by type, colleague, person and date; a CSV export for the
data-protection officer (supervisor only, itself audited); read-only for everybody, superusers
included."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import AdminAudit
from tests.conftest import login_verified

pytestmark = pytest.mark.django_db

AUDIT = "/admin/accounts/adminaudit/"
EXPORT = "/admin/accounts/adminaudit/export/"


@pytest.fixture
def trail(agent, account_manager, insured, other_insured):
    """A few rows as the back office writes them."""
    rows = [
        AdminAudit.objects.create(actor=agent, actor_email=agent.email, action="view",
                                  name="person_page", subject=insured,
                                  target_type="accounts.user", target_id=str(insured.pk)),
        AdminAudit.objects.create(actor=agent, actor_email=agent.email, action="search",
                                  name="find_person", detail={"query": "756.****.****.62"}),
        AdminAudit.objects.create(actor=account_manager, actor_email=account_manager.email,
                                  action="action", name="person_unlock", subject=other_insured,
                                  target_repr="=HYPERLINK(\"http://evil\")"),
        AdminAudit.objects.create(actor=agent, actor_email=agent.email, action="view",
                                  name="person_page", subject=other_insured,
                                  at=timezone.now() - timedelta(days=40)),
    ]
    return rows


def _ids(response) -> set[int]:
    return {row.pk for row in response.context["cl"].result_list}


def test_the_supervisor_filters_by_type_colleague_person_and_date(as_user, supervisor, trail,
                                                                  agent, insured):
    client = as_user(supervisor)
    view, search, action, old = trail
    assert _ids(client.get(AUDIT, {"action__exact": "view"})) == {view.pk, old.pk}
    assert _ids(client.get(AUDIT, {"actor__id__exact": agent.pk})) == {view.pk, search.pk, old.pk}
    by_subject = client.get(AUDIT, {"subject": insured.pk})
    assert _ids(by_subject) == {view.pk}
    assert insured.email in by_subject.content.decode()  # the filter names the person
    recent = client.get(AUDIT, {"at__gte": (timezone.now() - timedelta(days=7)).isoformat()})
    assert old.pk not in _ids(recent) and view.pk in _ids(recent)


@pytest.mark.parametrize("params", [{"subject": "abc"}, {"subject": "999999"},
                                    {"at__gte": "not-a-date"}, {"action__exact": "x" * 500}])
def test_odd_filter_values_give_no_500(as_user, supervisor, trail, params):
    response = as_user(supervisor).get(AUDIT, params)
    assert response.status_code in (200, 302)


def test_a_filter_the_admin_does_not_declare_is_refused(as_user, supervisor, trail):
    assert as_user(supervisor).get(AUDIT, {"detail__icontains": "756"}).status_code == 400


def test_the_export_is_the_filtered_list_as_csv_and_is_audited(as_user, supervisor, trail):
    client = as_user(supervisor)
    page = client.get(AUDIT, {"action__exact": "action"}).content.decode()
    assert f'href="{EXPORT}?action__exact=action"' in page

    response = client.get(EXPORT, {"action__exact": "action"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:4] == ["date", "collaborateur·trice", "type", "action"]
    assert len(rows) == 2 and rows[1][3] == "person_unlock"
    assert rows[1][6] == "'=HYPERLINK(\"http://evil\")"  # no formula for a spreadsheet to run
    export = AdminAudit.objects.get(action="export")
    assert export.actor == supervisor and export.name == "export_audit"
    assert export.detail == {"filters": {"action__exact": "action"}, "rows": 1}


def test_the_export_without_filter_holds_every_row(as_user, supervisor, trail):
    response = as_user(supervisor).get(EXPORT)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert len(text.strip().splitlines()) == 1 + len(trail)
    assert "756.****.****.62" in text


@pytest.mark.parametrize("who", ["agent", "account_manager"])
def test_other_groups_cannot_export(as_user, trail, who, request):
    staff = request.getfixturevalue(who)
    response = as_user(staff).get(EXPORT)
    assert response.status_code == 403
    assert AdminAudit.objects.filter(actor=staff, action="refused", path=EXPORT).exists()
    assert not AdminAudit.objects.filter(action="export").exists()


def test_a_superuser_can_neither_add_change_nor_delete_a_row(superuser, trail):
    client = login_verified(Client(), superuser)
    row = trail[0]
    before = list(AdminAudit.objects.filter(pk__in=[r.pk for r in trail]).values())

    assert client.get(f"{AUDIT}add/").status_code == 403
    assert client.post(f"{AUDIT}add/", {"action": "view", "name": "forged"}).status_code == 403
    change = client.get(f"{AUDIT}{row.pk}/change/")
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
    forged = {"action": "delete", "name": "forged", "actor_email": "nobody@example.ch",
              "detail": "{}"}
    assert client.post(f"{AUDIT}{row.pk}/change/", forged).status_code == 403
    assert client.get(f"{AUDIT}{row.pk}/delete/").status_code == 403
    assert client.post(f"{AUDIT}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    client.post(AUDIT, {"action": "delete_selected", "post": "yes",
                        "_selected_action": [r.pk for r in trail]})

    after = list(AdminAudit.objects.filter(pk__in=[r.pk for r in trail]).values())
    assert after == before
    assert "delete_selected" not in client.get(AUDIT).content.decode()
