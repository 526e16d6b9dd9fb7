"""The person page: everything a call needs (accesses, second factors, logins, open requests,
documents, messages, open codes) and nothing secret (no key, no full phone number, no message
text, no code); every look at it audited; only staff who may find a person see it."""

from __future__ import annotations

from datetime import date

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.plugins.phonenumber.models import PhoneDevice

from accounts import registration as reg
from accounts.models import AdminAudit, Membership, OutboxMessage
from accounts.services import backup_codes_regenerate
from policies.models import ChangeRequest, Document, Mutation
from tests import factories as f

pytestmark = pytest.mark.django_db


def page_url(user) -> str:
    return f"/admin/accounts/user/{user.pk}/person/"


@pytest.fixture
def claire(insured, employer):
    person = insured.insured_person
    PhoneDevice.objects.create(user=insured, name="backup", number="+41791234567", method="sms",
                               confirmed=True)
    backup_codes_regenerate(user=insured)
    OutboxMessage.objects.create(channel="sms", user=insured, recipient="+41791234567",
                                 body="Votre code : 774411", status="failed",
                                 provider_id="SM-PROVIDER-77", error="30003 Unreachable")
    OutboxMessage.objects.create(channel="email", user=insured, recipient=insured.email,
                                 subject="Votre code de confirmation",
                                 body="Votre code de confirmation est 998877.", status="sent",
                                 provider_id="<mail-1@alpina>")
    Document.objects.create(category="letter", title="Courrier sur le rachat", year=2026,
                            insured_person=person, published=True)
    ChangeRequest.objects.create(case_number="CR-2026-0042", person=person, kind="address",
                                 data={"city": "Lausanne"}, effective_date=date(2026, 7, 1))
    ChangeRequest.objects.create(case_number="CR-2025-0001", person=person, kind="address",
                                 data={}, effective_date=date(2025, 7, 1), status="done")
    Mutation.objects.create(case_number="MU-2026-0007", employer=employer, person=person,
                            kind="salary", effective_date=date(2026, 4, 1))
    return insured


def test_it_shows_what_a_call_needs(as_user, agent, claire):
    page = as_user(agent).get(page_url(claire)).content.decode()
    person = claire.insured_person
    assert claire.email in page
    assert person.ahv_masked in page and person.ahv_number not in page
    assert "Boulangerie Test SA" in page
    # accesses, second factors (kind and name), backup codes left
    assert "Assuré·e / rentier·ère" in page
    assert "Application d&#x27;authentification" in page and "default" in page
    assert "SMS" in page and "+41 79 *** ** 67" in page
    assert "10 restants" in page
    # open requests only, documents, messages with status, provider id and error
    assert "CR-2026-0042" in page and "CR-2025-0001" not in page
    assert "MU-2026-0007" in page
    assert "Courrier sur le rachat" in page
    assert "SM-PROVIDER-77" in page and "30003 Unreachable" in page and "Échec" in page


def test_it_shows_no_secret(as_user, agent, claire):
    page = as_user(agent).get(page_url(claire)).content.decode()
    totp = TOTPDevice.objects.get(user=claire)
    phone = PhoneDevice.objects.get(user=claire)
    assert totp.key not in page and phone.key not in page
    assert "+41791234567" not in page and "79 123 45 67" not in page
    assert "774411" not in page and "998877" not in page  # message texts
    assert 'name="password' not in page


def test_open_codes_show_their_hint_only(as_user, agent, claire):
    issued = reg.registration_code_issue(kind="insured", role="insured",
                                         insured_person=claire.insured_person, created_by=agent)
    page = as_user(agent).get(page_url(claire)).content.decode()
    assert f"…{issued.code.hint}" in page
    assert issued.plain not in page and issued.plain.replace("-", "") not in page


def test_every_look_is_audited_with_who_whom_and_where(as_user, agent, claire):
    client = as_user(agent)
    client.get(page_url(claire), REMOTE_ADDR="10.9.8.7")
    client.get(page_url(claire), REMOTE_ADDR="10.9.8.7")
    rows = AdminAudit.objects.filter(action="view", name="person_page")
    assert rows.count() == 2
    row = rows.first()
    assert (row.actor, row.subject, row.ip_address) == (agent, claire, "10.9.8.7")
    assert row.target_type == "accounts.user" and row.target_id == str(claire.pk)


@pytest.mark.parametrize("who", ["agent", "account_manager", "supervisor", "superuser"])
def test_each_support_group_may_open_it(as_user, claire, who, request):
    staff = request.getfixturevalue(who)
    assert as_user(staff).get(page_url(claire)).status_code == 200


def test_staff_without_the_duty_get_403_and_a_trace(as_user, claire, terms):
    from django.contrib.auth.models import Permission

    from tests.conftest import _make

    reader = _make(f.UserFactory(email="reader@example.ch", is_staff=True))
    reader.user_permissions.add(Permission.objects.get(codename="view_user"))
    response = as_user(reader).get(page_url(claire))
    assert response.status_code == 403
    assert AdminAudit.objects.filter(actor=reader, action="refused",
                                     path=page_url(claire)).exists()
    assert not AdminAudit.objects.filter(action="view").exists()


def test_an_insured_person_without_account_has_a_page_too(as_user, agent):
    person = f.InsuredPersonFactory(first_name="Nora", last_name="Sanscompte")
    issued = reg.registration_code_issue(kind="insured", role="insured", insured_person=person,
                                         created_by=agent)
    response = as_user(agent).get(f"/admin/policies/insuredperson/{person.pk}/person/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Nora Sanscompte" in page and "Pas de compte" in page
    assert f"…{issued.code.hint}" in page
    assert "/admin/accounts/registrationcode/issue/" in page
    row = AdminAudit.objects.get(action="view")
    assert row.target_type == "policies.insuredperson" and row.target_id == str(person.pk)


def test_the_insured_person_page_of_someone_with_an_account_leads_to_the_account(as_user, agent,
                                                                               claire):
    response = as_user(agent).get(
        f"/admin/policies/insuredperson/{claire.insured_person.pk}/person/")
    assert response.status_code == 302 and response["Location"] == page_url(claire)


def test_an_unknown_person_is_a_404(as_user, agent):
    client = as_user(agent)
    assert client.get("/admin/accounts/user/999999/person/").status_code == 404
    assert client.get("/admin/policies/insuredperson/999999/person/").status_code == 404


def test_it_links_every_action_the_colleague_may_take(as_user, agent, supervisor, claire):
    agent_page = as_user(agent).get(page_url(claire)).content.decode()
    base = page_url(claire)
    assert f'href="{base}reset-factor/"' in agent_page
    assert f'href="{base}unlock/"' in agent_page
    assert f'href="{base}deactivate/"' not in agent_page  # a supervisor's duty
    assert 'href="/admin/accounts/registrationcode/issue/"' in agent_page
    assert 'href="/admin/accounts/outboxmessage/?q=claire%40example.ch"' in agent_page
    assert "/admin/accounts/adminaudit/" not in agent_page
    supervisor_page = as_user(supervisor).get(page_url(claire)).content.decode()
    assert f'href="{base}deactivate/"' in supervisor_page
    assert f'href="/admin/accounts/adminaudit/?subject={claire.pk}"' in supervisor_page


def test_a_staff_account_says_only_a_superuser_acts_on_it(as_user, agent, supervisor):
    page = as_user(agent).get(page_url(supervisor)).content.decode()
    assert "seul·e un·e superutilisateur·trice" in page


def test_an_employer_user_shows_the_company_access(as_user, agent, hr_admin):
    page = as_user(agent).get(page_url(hr_admin)).content.decode()
    assert "Administrateur·trice RH" in page and "Boulangerie Test SA" in page
    assert "quatre yeux" in page  # an HR admin's reset needs a second colleague


def test_the_change_pages_of_a_person_are_audited(as_user, agent, claire):
    client = as_user(agent)
    assert client.get(f"/admin/accounts/user/{claire.pk}/change/").status_code == 200
    assert client.get(
        f"/admin/policies/insuredperson/{claire.insured_person.pk}/change/").status_code == 200
    views = AdminAudit.objects.filter(action="view", name="change_view")
    assert {(r.target_type, r.subject_id) for r in views} == {
        ("accounts.user", claire.pk), ("policies.insuredperson", claire.pk)}


def test_the_page_asks_a_bounded_number_of_queries(as_user, agent, claire,
                                                   django_assert_max_num_queries):
    client = as_user(agent)
    client.get(page_url(claire))
    for n in range(10):
        OutboxMessage.objects.create(channel="email", user=claire, recipient=claire.email,
                                     body=f"x{n}")
        Document.objects.create(category="letter", title=f"Lettre {n}", year=2026,
                                insured_person=claire.insured_person)
    with django_assert_max_num_queries(35):  # 30 today, whatever the rows
        assert client.get(page_url(claire)).status_code == 200


def test_memberships_are_listed_with_revoked_ones_marked(as_user, agent, claire, employer):
    from django.utils import timezone

    Membership.objects.create(user=claire, kind="employer", role="clerk", employer=employer,
                              revoked_at=timezone.now())
    page = as_user(agent).get(page_url(claire)).content.decode()
    assert "Collaborateur·trice RH" in page and "révoqué le" in page
