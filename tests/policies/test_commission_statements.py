"""The service that computes commission statements from the database: one statement per broker
and period, recomputed in place, always equal to the sum of its stored lines."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies.models import CommissionLine, CommissionStatement, Mandate, Premium
from policies.services import commission_statements_compute
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def rule(db):
    return f.CommissionRuleFactory(product="Épargne", first_year_rate=Decimal("0.05"),
                                   renewal_rate=Decimal("0.02"))


def _policy(agency, broker, number, *, start=date(2020, 1, 1), **extra):
    policy = f.PolicyFactory(number=number, product="Épargne", start_date=start, **extra)
    Mandate.objects.create(agency=agency, policy=policy, broker=broker, start_date=start)
    return policy


def _paid(policy, due, amount="100.00", paid=None, **extra):
    return Premium.objects.create(policy=policy, due_date=due, amount=Decimal(amount),
                                  paid_date=paid or due, status="paid", **extra)


def test_one_statement_per_broker_with_the_sum_of_its_lines(rule):
    agency = f.AgencyFactory()
    alice, bob = f.UserFactory(), f.UserFactory()
    _paid(_policy(agency, alice, "P-900001"), date(2026, 1, 5), "300.00")  # 300 x 2 % = 6.00
    _paid(_policy(agency, bob, "P-900002"), date(2026, 2, 5), "450.00")  # 450 x 2 % = 9.00
    _paid(_policy(agency, None, "P-900003"), date(2026, 3, 5), "50.00")  # 50 x 2 % = 1.00
    statements = commission_statements_compute(agency=agency, period_kind="quarter",
                                               day=date(2026, 2, 1))
    totals = {s.broker_id: s.total for s in statements}
    assert totals == {alice.pk: Decimal("6.00"), bob.pk: Decimal("9.00"), None: Decimal("1.00")}
    for s in statements:
        assert (s.period_start, s.period_end) == (date(2026, 1, 1), date(2026, 3, 31))


def test_computing_again_replaces_the_lines_of_the_same_statements(rule):
    agency = f.AgencyFactory()
    broker = f.UserFactory()
    policy = _policy(agency, broker, "P-900010")
    premium = _paid(policy, date(2026, 1, 5))
    first = commission_statements_compute(agency=agency, period_kind="month", day=date(2026, 1, 9))
    premium.cancelled_date, premium.status = date(2026, 1, 20), "cancelled"
    premium.save()
    again = commission_statements_compute(agency=agency, period_kind="month",
                                          day=date(2026, 1, 31))
    assert [s.pk for s in again] == [s.pk for s in first]
    lines = list(again[0].lines.values_list("kind", "amount"))
    assert sorted(lines) == [("cancellation", Decimal("-2.00")), ("renewal", Decimal("2.00"))]
    assert again[0].total == Decimal("0.00")
    assert CommissionLine.objects.count() == 2


def test_a_broker_with_nothing_left_loses_the_stale_statement(rule):
    agency = f.AgencyFactory()
    broker = f.UserFactory()
    premium = _paid(_policy(agency, broker, "P-900020"), date(2026, 4, 2))
    commission_statements_compute(agency=agency, period_kind="month", day=date(2026, 4, 1))
    premium.delete()
    assert commission_statements_compute(agency=agency, period_kind="month",
                                         day=date(2026, 4, 1)) == []
    assert CommissionStatement.objects.count() == 0


def test_an_unknown_period_is_refused(rule):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        commission_statements_compute(agency=f.AgencyFactory(), period_kind="week",
                                      day=date(2026, 1, 1))


_numbers = itertools.count(950000)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.tuples(
    st.sampled_from([0, 1, 2]),  # which broker (2: the agency's own)
    st.dates(date(2025, 1, 1), date(2026, 12, 31)),  # policy start
    st.lists(st.tuples(st.dates(date(2025, 1, 1), date(2026, 12, 31)),
                       st.decimals("0.05", "9999.95", places=2), st.booleans()), max_size=6),
    st.sampled_from(["active", "surrendered"]),
), min_size=1, max_size=6), st.sampled_from(["month", "quarter", "year"]),
    st.dates(date(2025, 1, 1), date(2026, 12, 31)))
def test_generated_statements_equal_the_sum_of_their_stored_lines(rule, data, kind, day):
    agency = f.AgencyFactory()
    brokers = [f.UserFactory(), f.UserFactory(), None]
    for who, start, premiums, status in data:
        policy = _policy(agency, brokers[who], f"P-{next(_numbers)}", start=start, status=status,
                         terminated_on=day if status == "surrendered" else None)
        for due, amount, cancelled in premiums:
            _paid(policy, due, str(amount), cancelled_date=due if cancelled else None)
    statements = commission_statements_compute(agency=agency, period_kind=kind, day=day)
    for statement in statements:
        stored = list(CommissionLine.objects.filter(statement=statement)
                      .values_list("amount", flat=True))
        statement.refresh_from_db()
        assert stored
        assert statement.total == sum(stored, Decimal("0.00"))
    again = commission_statements_compute(agency=agency, period_kind=kind, day=day)
    assert sorted((s.pk, s.total) for s in again) == sorted((s.pk, s.total) for s in statements)
