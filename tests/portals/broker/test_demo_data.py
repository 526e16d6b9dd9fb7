"""seed_demo's broker personas: broker@demo.ch, agency@demo.ch (its agency's admin) and
broker2@demo.ch, with value histories, overdue premiums at each dunning level and two quarters
of commission statements."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum

from accounts.models import User
from policies import selectors as ps
from policies.models import CommissionStatement

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("seed_demo")


def _membership(email):
    return User.objects.get(email=email).memberships.get(kind="broker")


def test_each_broker_persona_sees_its_own_portfolio(demo):
    broker, admin, broker2 = (_membership(e) for e in
                              ("broker@demo.ch", "agency@demo.ch", "broker2@demo.ch"))
    assert ps.policies_for_broker(broker).count() == 150
    assert ps.policies_for_broker(admin, agency_wide=True).count() == 180
    assert ps.policies_for_broker(broker2).count() == 120
    assert admin.agency_id == broker.agency_id != broker2.agency_id
    assert not set(ps.policies_for_broker(broker)) & set(ps.policies_for_broker(broker2))


def test_the_broker_has_overdue_premiums_at_every_dunning_level_and_value_histories(demo):
    broker = _membership("broker@demo.ch")
    levels = set(ps.premiums_for_broker(broker).filter(status="overdue")
                 .values_list("dunning_level", flat=True))
    assert levels == {0, 1, 2, 3}
    policy = ps.policies_for_broker(broker).order_by("number").first()
    assert len(ps.policy_values_history(policy)) >= 2


def test_two_quarters_of_statements_each_equal_to_its_lines(demo):
    broker = _membership("broker@demo.ch")
    statements = list(ps.commission_statements_for_broker(broker))
    assert [(s.period_kind, s.period_start.month) for s in statements] == [("quarter", 7),
                                                                          ("quarter", 4)]
    for statement in CommissionStatement.objects.all():
        assert statement.total == statement.lines.aggregate(t=Sum("amount"))["t"]
    kinds = set(statements[0].lines.values_list("kind", flat=True))
    assert {"cancellation", "clawback"} <= kinds
    assert statements[0].total > Decimal("0")
