"""The policy pages' bodies come from the shared cache under a per-policy data version: every
write that changes what they show appears on the next request, and the cache never hands a page
to someone whose scope does not include the policy (the scope check runs on every request)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from policies.models import Beneficiary, Mandate, PolicyValue, Premium
from tests import factories as f

from .conftest import policy_under

pytestmark = pytest.mark.django_db

DETAILS = reverse("broker:policy", args=["P-810001"])
VALUES = reverse("broker:policy-values", args=["P-810001"])


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_second_visit_does_not_read_the_premiums_again(as_user, broker, policy):
    client = as_user(broker)
    client.get(DETAILS)
    with CaptureQueriesContext(connection) as queries:
        page = _page(client, DETAILS)
    assert "2e rappel" in page
    assert not any("policies_premium" in q["sql"] for q in queries.captured_queries)


def test_a_new_premium_shows_at_once(as_user, broker, policy):
    client = as_user(broker)
    assert "CHF 777.00" not in _page(client, DETAILS)
    Premium.objects.create(policy=policy, due_date=timezone.localdate() - timedelta(days=5),
                           amount=Decimal("777.00"), status="due")
    assert "777.00" in _page(client, DETAILS)


def test_a_premium_paid_shows_at_once(as_user, broker, policy):
    client = as_user(broker)
    assert "2e rappel" in _page(client, DETAILS)
    premium = policy.premiums.get(status="overdue")
    premium.status, premium.dunning_level = "paid", 0
    premium.paid_date = timezone.localdate()
    premium.save()
    assert "2e rappel" not in _page(client, DETAILS)


def test_a_deleted_premium_disappears_at_once(as_user, broker, policy):
    client = as_user(broker)
    assert "2e rappel" in _page(client, DETAILS)
    policy.premiums.get(status="overdue").delete()
    assert "2e rappel" not in _page(client, DETAILS)


def test_a_premium_moved_to_another_policy_leaves_the_first_page(as_user, broker, policy, agency):
    other = policy_under(agency, broker, number="P-810009", first_name="Otto", last_name="Autre")
    client = as_user(broker)
    assert "2e rappel" in _page(client, DETAILS)
    premium = policy.premiums.get(status="overdue")
    premium.policy = other
    premium.save()
    assert "2e rappel" not in _page(client, DETAILS)


def test_beneficiary_changes_show_at_once(as_user, broker, policy):
    client = as_user(broker)
    assert "Marc Vermeil" in _page(client, DETAILS)
    beneficiary = policy.beneficiaries.get()
    beneficiary.name = "Marco Vermeil-Rossi"
    beneficiary.save()
    assert "Marco Vermeil-Rossi" in _page(client, DETAILS)
    Beneficiary.objects.create(policy=policy, rank=2, name="Léa Vermeil", share=None)
    assert "Léa Vermeil" in _page(client, DETAILS)
    policy.beneficiaries.all().delete()
    assert "Vermeil-Rossi" not in _page(client, DETAILS)


def test_a_policy_change_shows_on_both_tabs(as_user, broker, policy):
    client = as_user(broker)
    _page(client, DETAILS), _page(client, VALUES)
    policy.product = "Alpina Mixte 3b"
    policy.save()
    assert "Alpina Mixte 3b" in _page(client, DETAILS)
    assert "Alpina Mixte 3b" in _page(client, VALUES)


def test_a_renamed_holder_shows_on_both_tabs(as_user, broker, policy):
    client = as_user(broker)
    _page(client, DETAILS), _page(client, VALUES)
    holder = policy.holder
    holder.last_name = "Vermeil-Nouveau"
    holder.save()
    assert "Vermeil-Nouveau" in _page(client, DETAILS)
    assert "Vermeil-Nouveau" in _page(client, VALUES)


def test_a_renamed_insured_person_shows_at_once(as_user, broker, policy):
    policy.insured = f.PolicyHolderFactory(first_name="Lina", last_name="Assurée")
    policy.save()
    client = as_user(broker)
    assert "Lina Assurée" in _page(client, DETAILS)
    insured = policy.insured
    insured.last_name = "Renommée"
    insured.save()
    assert "Lina Renommée" in _page(client, DETAILS)


def test_new_and_deleted_values_show_at_once(as_user, broker, policy):
    client = as_user(broker)
    assert "13&#x27;999.95" not in _page(client, VALUES)
    value = PolicyValue.objects.create(policy=policy, date=timezone.localdate(),
                                       surrender_value=Decimal("13999.95"))
    assert "13&#x27;999.95" in _page(client, VALUES)
    value.delete()
    assert "13&#x27;999.95" not in _page(client, VALUES)


def test_days_overdue_move_with_the_calendar(as_user, broker, policy, monkeypatch):
    client = as_user(broker)
    assert ">40<" in _page(client, DETAILS)
    tomorrow = timezone.localdate() + timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    assert ">41<" in _page(client, DETAILS)


def test_the_page_follows_the_language(as_user, broker, policy):
    client = as_user(broker)
    assert "Bénéficiaires" in _page(client, DETAILS)
    response = client.get(DETAILS, HTTP_ACCEPT_LANGUAGE="de")
    if response.wsgi_request.LANGUAGE_CODE != "de":
        pytest.skip("the user's own language wins over the browser's here")
    assert "Begünstigte" in response.content.decode()


def test_an_ended_mandate_ends_access_despite_the_cached_page(as_user, broker, policy, agency):
    client = as_user(broker)
    _page(client, DETAILS), _page(client, VALUES)
    Mandate.objects.filter(policy=policy, agency=agency).update(
        end_date=timezone.localdate() - timedelta(days=1))
    assert client.get(DETAILS).status_code == 404
    assert client.get(VALUES).status_code == 404


def test_a_page_cached_for_one_broker_is_not_shown_to_another(as_user, broker, policy, broker2,
                                                               colleague_broker, client):
    _page(as_user(broker), DETAILS)
    other = as_user(broker2)
    assert other.get(DETAILS).status_code == 404
    colleague = as_user(colleague_broker)
    assert colleague.get(DETAILS).status_code == 404


def test_the_agency_admin_sees_the_same_policy(as_user, broker, agency_admin, policy):
    _page(as_user(broker), DETAILS)
    page = _page(as_user(agency_admin), DETAILS)
    assert "Valérie Vermeil" in page and "2e rappel" in page


# --- the scope check runs on every request: mandate and number changes count at once ---------------

def _status(client, url: str) -> int:
    return client.get(url).status_code


def test_a_mandate_that_ends_closes_the_policy_at_once(as_user, broker, policy, agency):
    client = as_user(broker)
    assert _status(client, DETAILS) == 200
    mandate = Mandate.objects.get(policy=policy, agency=agency)
    mandate.end_date = timezone.localdate() - timedelta(days=1)
    mandate.save()
    assert _status(client, DETAILS) == 404
    assert _status(client, VALUES) == 404


def test_a_mandate_given_to_a_colleague_moves_the_policy_at_once(as_user, broker, policy,
                                                                  agency, colleague_broker):
    from django.test import Client

    from tests.conftest import login_verified

    client = as_user(broker)
    colleague = login_verified(Client(), colleague_broker)
    assert _status(client, DETAILS) == 200
    assert _status(colleague, DETAILS) == 404
    mandate = Mandate.objects.get(policy=policy, agency=agency)
    mandate.broker = colleague_broker
    mandate.save()
    assert _status(client, DETAILS) == 404
    assert _status(colleague, DETAILS) == 200


def test_a_renumbered_policy_answers_under_its_new_number_only(as_user, broker, policy):
    client = as_user(broker)
    assert _status(client, DETAILS) == 200
    assert _status(client, reverse("broker:policy", args=["P-810077"])) == 404
    policy.number = "P-810077"
    policy.save()
    assert _status(client, DETAILS) == 404
    assert _status(client, reverse("broker:policy", args=["P-810077"])) == 200


def test_a_new_mandate_opens_a_number_looked_up_before(as_user, broker, agency, policy):
    other = f.PolicyFactory(number="P-810088",
                            holder=f.PolicyHolderFactory(first_name="Nina", last_name="Neuve"))
    client = as_user(broker)
    url = reverse("broker:policy", args=["P-810088"])
    assert _status(client, url) == 404
    Mandate.objects.create(agency=agency, policy=other, broker=broker,
                           start_date=timezone.localdate())
    assert "Nina Neuve" in _page(client, url)


# --- the scope the session remembers only saves a round trip: it never widens what is seen ------

COLLEAGUE = reverse("broker:policy", args=["P-810002"])


def _hint(client, scope) -> None:
    from portals.broker.views import BrokerMixin

    session = client.session
    session[BrokerMixin.SCOPE_HINT] = scope
    session.save()


def test_an_agency_admin_made_broker_loses_the_agency_at_once(as_user, agency_admin, policy,
                                                              colleague_policy):
    client = as_user(agency_admin)
    assert "Carl Voisin" in _page(client, COLLEAGUE)  # remembered: the whole agency
    membership = agency_admin.memberships.get(kind="broker")
    membership.role = "broker"
    membership.save()
    assert _status(client, COLLEAGUE) == 404
    assert _status(client, VALUES) == 404


def test_a_scope_remembered_for_another_agency_or_broker_opens_nothing(
        as_user, broker, policy, colleague_policy, broker2_policy, other_agency):
    client = as_user(broker)
    _page(client, DETAILS)
    membership = broker.memberships.get(kind="broker")
    foreign = reverse("broker:policy", args=["P-820001"])
    for scope in ([membership.pk, other_agency.pk, None],  # another agency, all of it
                  [membership.pk, membership.agency_id, None]):  # the whole own agency
        _hint(client, scope)
        assert _status(client, foreign) == 404
        assert _status(client, COLLEAGUE) == 404
        assert "Valérie Vermeil" in _page(client, DETAILS)  # their own still opens


def test_a_former_broker_s_remembered_scope_is_forgotten_at_the_first_refusal(
        as_user, broker, policy):
    from portals.broker.views import BrokerMixin

    client = as_user(broker)
    _page(client, DETAILS)
    assert client.session[BrokerMixin.SCOPE_HINT]
    membership = broker.memberships.get(kind="broker")
    membership.revoked_at = timezone.now()
    membership.save()
    assert _status(client, DETAILS) == 403
    assert BrokerMixin.SCOPE_HINT not in client.session
    with CaptureQueriesContext(connection) as queries:  # nothing is looked up any more
        assert _status(client, DETAILS) == 403
    assert not any("policies_policy" in q["sql"] for q in queries.captured_queries)
