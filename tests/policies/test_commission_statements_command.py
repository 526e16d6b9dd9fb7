from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from policies.models import CommissionStatement, Mandate, Premium
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_the_command_computes_every_agencys_statements_of_the_period(capsys):
    f.CommissionRuleFactory(product="Épargne")
    agency = f.AgencyFactory()
    policy = f.PolicyFactory(product="Épargne", start_date=date(2020, 1, 1))
    Mandate.objects.create(agency=agency, policy=policy, start_date=date(2020, 1, 1))
    Premium.objects.create(policy=policy, due_date=date(2026, 8, 1), amount=Decimal("100"),
                           paid_date=date(2026, 8, 2), status="paid")
    call_command("commission_statements", "--period", "quarter", "--date", "2026-09-30")
    statement = CommissionStatement.objects.get()
    assert (statement.period_start, statement.total) == (date(2026, 7, 1), Decimal("2.00"))
    assert "1 statement(s) computed" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["--date", "30.09.2026"], ["--date", "2026-02-30"],
                                  ["--date", "2026-09-30", "--agency", "nope"]])
def test_bad_arguments_get_a_message(args):
    with pytest.raises(CommandError):
        call_command("commission_statements", "--period", "month", *args)
