"""The admin index shows each colleague the work queues of their duties: how many items are
open and how many have waited more than 5 working days, with links to the filtered lists."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts.services import factor_reset_request
from policies import services
from policies.models import ChangeRequest, Mutation
from policies.services import change_request_submit, change_request_validate
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def work(employer, hr_admin, pensioner, agent, account_manager):
    person = f.InsuredPersonFactory(contract=f.ContractFactory(employer=employer))
    for days in (0, 1, 30):
        mutation = services.mutation_submit(
            employer=employer, kind="salary", effective_date=date(2026, 1, 1),
            data={"annual_salary": "90000"}, person=person, submitted_by=hr_admin)
        Mutation.objects.filter(pk=mutation.pk).update(
            created_at=timezone.now() - timedelta(days=days))
    bank = change_request_submit(person=pensioner.insured_person, kind="bank_account",
                                 data={"iban": "CH9300762011623852957"},
                                 effective_date=date(2026, 12, 1), submitted_by=pensioner)
    change_request_validate(change=bank, by=account_manager)
    ChangeRequest.objects.filter(pk=bank.pk).update(created_at=timezone.now() - timedelta(days=3))
    factor_reset_request(user=hr_admin, by=agent, reason="Téléphone perdu.")


def _queues(client) -> dict[str, tuple[str, str]]:
    page = client.get("/admin/").content.decode()
    block = re.search(r'id="work-queues-module".*?</table>', page, re.S)
    if block is None:
        return {}
    rows = re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a></th>\s*'
                      r'<td data-count="(\d+)">.*?</td>\s*<td data-overdue="(\d+)">',
                      block.group(0), re.S)
    return {label: (count, overdue) for label, count, overdue in rows}


def test_an_agent_has_no_work_queue(as_user, agent, work):
    assert _queues(as_user(agent)) == {}


def test_an_account_manager_sees_mutations_change_and_simulation_requests(as_user,
                                                                          account_manager, work):
    assert _queues(as_user(account_manager)) == {
        "Mutations des employeurs": ("3", "1"),
        "Demandes de modification (assurés)": ("1", "0"),
        "Demandes issues des simulations": ("0", "0"),
    }


def test_a_supervisor_also_sees_the_four_eyes_approvals(as_user, supervisor, work):
    queues = _queues(as_user(supervisor))
    assert queues["Comptes bancaires à approuver (superviseur·e)"] == ("1", "0")
    assert queues["Réinitialisations du deuxième facteur à approuver"] == ("1", "0")
    assert queues["Mutations des employeurs"] == ("3", "1")


def test_the_links_lead_to_the_filtered_queues(as_user, account_manager, work):
    client = as_user(account_manager)
    page = client.get("/admin/").content.decode()
    assert 'href="/admin/policies/mutation/?age=5"' in page
    overdue = client.get("/admin/policies/mutation/?age=5")
    assert len(overdue.context["cl"].result_list) == 1
