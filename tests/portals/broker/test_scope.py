"""What each broker membership sees: the mandates in force today of its own agency, the broker's
own only, or the whole agency for a membership with the agency-wide capability."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from policies import selectors as ps
from policies.models import Mandate
from tests import factories as f
from tests.portals.broker.conftest import policy_under

pytestmark = pytest.mark.django_db


def _membership(user) -> Membership:
    return user.memberships.get(kind="broker")


def _numbers(queryset) -> set[str]:
    return set(queryset.values_list("number", flat=True))


def test_a_broker_sees_only_the_policies_of_their_own_current_mandates(
        broker, colleague_broker, policy, colleague_policy, broker2_policy, agency):
    agency_own = policy_under(agency, None, number="P-810003", first_name="Ada",
                              last_name="Agence")
    assert _numbers(ps.policies_for_broker(_membership(broker))) == {"P-810001"}
    assert _numbers(ps.policies_for_broker(_membership(colleague_broker))) == {"P-810002"}
    assert agency_own.number not in _numbers(ps.policies_for_broker(_membership(broker)))


def test_the_agency_wide_scope_covers_every_mandate_of_the_agency_and_no_other(
        agency_admin, policy, colleague_policy, broker2_policy, agency):
    policy_under(agency, None, number="P-810003", first_name="Ada", last_name="Agence")
    scope = ps.policies_for_broker(_membership(agency_admin), agency_wide=True)
    assert _numbers(scope) == {"P-810001", "P-810002", "P-810003"}


def test_an_ended_or_future_mandate_shows_nothing(broker, agency, ended_broker, policy):
    today = timezone.localdate()
    ended = policy_under(agency, broker, number="P-810004", first_name="Eve", last_name="Fin")
    Mandate.objects.filter(policy=ended).update(end_date=today - timedelta(days=1))
    future = policy_under(agency, broker, number="P-810005", first_name="Fay", last_name="Futur")
    Mandate.objects.filter(policy=future).update(start_date=today + timedelta(days=1))
    assert _numbers(ps.policies_for_broker(_membership(broker))) == {"P-810001"}
    # The broker of the former agency no longer sees the client who moved.
    assert _numbers(ps.policies_for_broker(_membership(ended_broker))) == set()


def test_a_mandate_ending_today_is_still_in_force(broker, agency):
    policy = policy_under(agency, broker, number="P-810006", first_name="Tim", last_name="Jour")
    Mandate.objects.filter(policy=policy).update(end_date=timezone.localdate())
    assert "P-810006" in _numbers(ps.policies_for_broker(_membership(broker)))


def test_a_policy_held_by_two_agencies_over_time_is_listed_once(agency_admin, policy):
    assert list(ps.policies_for_broker(_membership(agency_admin), agency_wide=True)
                .values_list("number", flat=True)) == ["P-810001"]


def test_selectors_refuse_a_membership_of_another_portal(hr_admin):
    with pytest.raises(Http404):
        ps.policies_for_broker(hr_admin.memberships.get())


def test_a_broker_in_two_agencies_sees_the_active_one_only(as_user, broker, policy, other_agency,
                                                             broker2_policy):
    second = f.MembershipFactory(user=broker, kind="broker", role="broker", agency=other_agency)
    Mandate.objects.filter(policy=broker2_policy).update(broker=broker)
    client = as_user(broker)
    first = broker.memberships.exclude(pk=second.pk).get()
    client.post(reverse("portal-chooser"), {"membership": first.pk})
    page = client.get(reverse("broker:portfolio")).content.decode()
    assert "P-810001" in page and "P-820001" not in page
    assert client.get(reverse("broker:policy", args=["P-820001"])).status_code == 404
    client.post(reverse("portal-chooser"), {"membership": second.pk})
    page = client.get(reverse("broker:portfolio")).content.decode()
    assert "P-820001" in page and "P-810001" not in page
    assert client.get(reverse("broker:policy", args=["P-810001"])).status_code == 404


def test_the_agency_admin_sees_the_colleagues_clients_in_the_portfolio(
        as_user, agency_admin, policy, colleague_policy, broker2_policy):
    page = as_user(agency_admin).get(reverse("broker:portfolio")).content.decode()
    assert "P-810001" in page and "P-810002" in page and "P-820001" not in page



def test_the_lookup_by_number_answers_as_the_scope_for_every_mandate_state(
        broker, colleague_broker, agency_admin, ended_broker, agency, policy, colleague_policy,
        broker2_policy):
    """The policy pages' lookup runs a statement compiled once from the same scope: for each
    membership and number it finds exactly what the scope lists, as a whole policy with its
    values typed (dates and amounts, not text)."""
    today = timezone.localdate()
    ended = policy_under(agency, broker, number="P-810004", first_name="Eve", last_name="Fin")
    Mandate.objects.filter(policy=ended).update(end_date=today - timedelta(days=1))
    future = policy_under(agency, broker, number="P-810005", first_name="Fay", last_name="Futur")
    Mandate.objects.filter(policy=future).update(start_date=today + timedelta(days=1))
    last_day = policy_under(agency, broker, number="P-810006", first_name="Tim", last_name="Jour")
    Mandate.objects.filter(policy=last_day).update(end_date=today)
    numbers = ["P-810001", "P-810002", broker2_policy.number, "P-810004", "P-810005",
               "P-810006", "P-899999"]
    cases = [(broker, False), (colleague_broker, False), (ended_broker, False),
             (agency_admin, True), (agency_admin, False)]
    seen = 0
    for user, agency_wide in cases:
        membership = _membership(user)
        expected = _numbers(ps.policies_for_broker(membership, agency_wide=agency_wide))
        for number in numbers:
            found = ps.policy_for_broker(membership, number, agency_wide=agency_wide)
            assert (found is not None) == (number in expected), (user, agency_wide, number)
            if found is not None:
                seen += 1
                stored = ps.policies_for_broker(membership, agency_wide=agency_wide).get(
                    number=number)
                assert found == stored
                assert (found.start_date, found.premium, found.sum_insured, found.holder_id) == (
                    stored.start_date, stored.premium, stored.sum_insured, stored.holder_id)
                assert type(found.start_date) is type(stored.start_date)
                assert type(found.premium) is type(stored.premium)
    assert seen == 2 + 1 + 0 + 3 + 0  # broker 001, 006; colleague 002; agency 001, 002, 006
