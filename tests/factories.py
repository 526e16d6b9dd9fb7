from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import factory
from django.utils import timezone
from stdnum import ean

from accounts.models import Membership, Terms, User
from policies import models as pm

_ahv_counter = itertools.count(100000000)


def next_ahv() -> str:
    body = "756" + str(next(_ahv_counter))
    number = body + ean.calc_check_digit(body)
    return f"{number[:3]}.{number[3:7]}.{number[7:11]}.{number[11:]}"


_uid_counter = itertools.count(10000000)


def next_uid() -> str:
    from stdnum.ch import uid

    while True:
        digits = str(next(_uid_counter))
        check = uid.calc_check_digit(digits)
        if len(check) == 1:  # mod 11 gives "10" for numbers that are never issued
            return uid.format("CHE" + digits + check)


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.Plan
        django_get_or_create = ("code",)

    code = "bvg-minimum"
    name = "Plan LPP minimum"
    savings_credits = [[25, "0.07"], [35, "0.10"], [45, "0.15"], [55, "0.18"]]


class EmployerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.Employer

    name = factory.Sequence(lambda n: f"Entreprise {n} SA")
    uid = factory.LazyFunction(next_uid)
    city = "Lausanne"


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.Contract

    employer = factory.SubFactory(EmployerFactory)
    number = factory.Sequence(lambda n: f"C-{200000 + n}")
    plan = factory.SubFactory(PlanFactory)
    start_date = date(2015, 1, 1)


class InsuredPersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.InsuredPerson

    contract = factory.SubFactory(ContractFactory)
    ahv_number = factory.LazyFunction(next_ahv)
    first_name = "Anne"
    last_name = factory.Sequence(lambda n: f"Muster{n}")
    birth_date = date(1975, 5, 20)
    sex = "F"
    annual_salary = Decimal("85000")
    entry_date = date(2016, 1, 1)


class CertificateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.Certificate

    person = factory.SubFactory(InsuredPersonFactory)
    year = 2026
    valid_from = date(2026, 1, 1)
    annual_salary = Decimal("85000.00")
    insured_salary = Decimal("58540.00")
    savings_capital = Decimal("187650.35")
    projected_capital_65 = Decimal("512300.00")
    projected_pension_65 = Decimal("34836.40")
    disability_pension = Decimal("23416.00")
    spouse_pension = Decimal("14049.60")
    max_buy_in = Decimal("96420.10")
    wef_available = Decimal("93825.15")


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.Agency

    name = factory.Sequence(lambda n: f"Courtage {n} Sàrl")
    register_number = factory.Sequence(lambda n: f"F{10000000 + n}")


class PolicyHolderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.PolicyHolder

    first_name = "Paul"
    last_name = factory.Sequence(lambda n: f"Client{n}")
    birth_date = date(1970, 1, 1)


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.Policy

    number = factory.Sequence(lambda n: f"P-{800000 + n}")
    product = "Alpina Épargne 3a"
    holder = factory.SubFactory(PolicyHolderFactory)
    premium = Decimal("250.00")
    frequency = "monthly"
    start_date = date(2020, 1, 1)
    end_date = date(2040, 12, 31)


class MandateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.Mandate

    agency = factory.SubFactory(AgencyFactory)
    policy = factory.SubFactory(PolicyFactory)
    start_date = date(2020, 1, 1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.ch")
    first_name = "Test"
    last_name = "User"
    password = factory.PostGenerationMethodCall("set_password", "Correct-Horse-9")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)


class TermsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Terms

    version = 1
    language = "fr"
    title = "Conditions d'utilisation"
    body = "Texte des conditions."
    published_at = factory.LazyFunction(timezone.now)


class CommissionRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.CommissionRule

    product = "Alpina Épargne 3a"
    first_year_rate = Decimal("0.0500")
    renewal_rate = Decimal("0.0200")
    clawback_months = 24
    valid_from = date(2000, 1, 1)

