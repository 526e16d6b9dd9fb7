"""Personas and objects of the broker portal tests.

Agency "Courtage Test Sàrl" (fixture `agency`): `broker` (tests/conftest.py) holds the mandate on
`policy` (client Valérie Vermeil); `colleague_broker` is a broker of the same agency with a
policy of their own; `agency_admin` sees the whole agency. `broker2` works for another agency with
its own client. `ended_broker` held `policy` for a former agency until 31.12.2023: the client moved
to the test agency on 1.1.2024.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from policies.models import Beneficiary, Document, Mandate, PolicyValue, Premium
from policies.services import commission_statements_compute
from tests import factories as f
from tests.conftest import _make


def broker_user(email: str, agency, *, role: str = "broker", first_name: str = "Test",
                last_name: str = "User"):
    user = f.UserFactory(email=email, first_name=first_name, last_name=last_name)
    f.MembershipFactory(user=user, kind="broker", role=role, agency=agency)
    return _make(user)


def policy_under(agency, broker, *, number: str, first_name: str, last_name: str,
                 start: date = date(2020, 1, 1), product: str = "Alpina Épargne 3a", **extra):
    holder = f.PolicyHolderFactory(first_name=first_name, last_name=last_name)
    policy = f.PolicyFactory(number=number, holder=holder, product=product, start_date=start,
                             **extra)
    Mandate.objects.create(agency=agency, policy=policy, broker=broker, start_date=start)
    return policy


@pytest.fixture
def agency(db):
    return f.AgencyFactory(
        name="Courtage Test Sàrl", account_manager="Yves Morel",
        account_manager_phone="+41 21 555 66 97", account_manager_email="y.morel@example.ch",
    )


@pytest.fixture
def other_agency(db):
    return f.AgencyFactory(name="Autre Courtage SA")


@pytest.fixture
def former_agency(db):
    return f.AgencyFactory(name="Ancien Courtage SA")


@pytest.fixture
def colleague_broker(terms, agency):
    return broker_user("collegue@example.ch", agency, first_name="Carla", last_name="Collègue")


@pytest.fixture
def agency_admin(terms, agency):
    return broker_user("agence@example.ch", agency, role="agency_admin", first_name="Anne",
                       last_name="Admin")


@pytest.fixture
def broker2(terms, other_agency):
    return broker_user("broker2@example.ch", other_agency, first_name="Bruno", last_name="Deux")


@pytest.fixture
def ended_broker(terms, former_agency):
    return broker_user("ancien@example.ch", former_agency, first_name="Eric", last_name="Ancien")


@pytest.fixture
def policy(agency, broker, former_agency, ended_broker):
    policy = policy_under(agency, broker, number="P-810001", first_name="Valérie",
                          last_name="Vermeil", start=date(2019, 6, 1),
                          sum_insured=Decimal("150000.00"), premium=Decimal("250.00"))
    # The client came from the former agency: that mandate ended on 31.12.2023.
    Mandate.objects.filter(policy=policy, agency=agency).update(start_date=date(2024, 1, 1))
    Mandate.objects.create(agency=former_agency, policy=policy, broker=ended_broker,
                           start_date=date(2019, 6, 1), end_date=date(2023, 12, 31))
    for year, value in ((2021, "4100.00"), (2022, "7050.00"), (2023, "9875.50"),
                        (2024, "12780.25")):
        PolicyValue.objects.create(policy=policy, date=date(year, 12, 31),
                                   surrender_value=Decimal(value))
    Beneficiary.objects.create(policy=policy, rank=1, name="Marc Vermeil",
                               relationship="Conjoint", share=Decimal("100"))
    today = timezone.localdate()
    Premium.objects.create(policy=policy, due_date=today - timedelta(days=95),
                           amount=Decimal("250.00"), paid_date=today - timedelta(days=90),
                           status="paid")
    Premium.objects.create(policy=policy, due_date=today - timedelta(days=40),
                           amount=Decimal("250.00"), status="overdue", dunning_level=2)
    Premium.objects.create(policy=policy, due_date=today + timedelta(days=20),
                           amount=Decimal("250.00"), status="due")
    return policy


@pytest.fixture
def client_holder(policy):
    return policy.holder


@pytest.fixture
def document(policy):
    doc = Document(category="letter", title="Courrier de bienvenue", year=2024, policy=policy,
                   published=True, published_at=timezone.now())
    doc.file.save("bienvenue.pdf", ContentFile(b"%PDF-1.4 lettre"), save=False)
    doc.save()
    return doc


@pytest.fixture
def commission_rule(db):
    return f.CommissionRuleFactory(product="Alpina Épargne 3a")


@pytest.fixture
def statement(policy, commission_rule, agency):
    statements = commission_statements_compute(agency=agency, period_kind="year",
                                               day=timezone.localdate() - timedelta(days=90))
    return next(s for s in statements if s.broker_id == policy.mandates.get(agency=agency)
                .broker_id)


@pytest.fixture
def colleague_policy(agency, colleague_broker):
    return policy_under(agency, colleague_broker, number="P-810002", first_name="Carl",
                        last_name="Voisin")


@pytest.fixture
def broker2_policy(other_agency, broker2):
    return policy_under(other_agency, broker2, number="P-820001", first_name="Otto",
                        last_name="Etranger")
