"""Certificates recomputed in bulk through Celery (simulations.tasks): the figures that follow
from the plan and the person's data are computed again by the engine, the declared salary and
the savings capital stay, only the asked year and contracts change, and each person's dashboard
shows the new figures at once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from policies.dashboard_cache import dashboard_version
from policies.models import Certificate
from simulations import services
from simulations.tasks import certificates_recompute_enqueue
from tests import factories as f

pytestmark = pytest.mark.django_db

STALE = Decimal("1.00")


def _stale_certificate(person, year: int = 2026):
    return f.CertificateFactory(person=person, year=year, projected_pension_65=STALE,
                                projected_capital_65=STALE, max_buy_in=STALE,
                                insured_salary=STALE)


@pytest.fixture
def contract():
    return f.ContractFactory(plan=f.PlanFactory(code="recompute"))


def test_every_chunk_recomputes_its_certificates_with_the_engine(contract):
    people = f.InsuredPersonFactory.create_batch(5, contract=contract)
    for person in people:
        _stale_certificate(person)
    result = certificates_recompute_enqueue(year=2026, chunk_size=2)
    assert len(result.results) == 3
    assert sum(r["recomputed"] for r in result.get()) == 5
    plan = services.engine_plan(contract.plan)
    for certificate in Certificate.objects.filter(person__in=people):
        expected = services.certificate_recomputed_figures(certificate.person, certificate, plan)
        assert {k: getattr(certificate, k) for k in expected} == expected
        assert certificate.projected_pension_65 > 1000
        assert certificate.annual_salary == Decimal("85000.00")
        assert certificate.savings_capital == Decimal("187650.35")


def test_only_the_asked_year_contracts_and_active_persons_change(contract):
    asked = _stale_certificate(f.InsuredPersonFactory(contract=contract))
    other_contract = _stale_certificate(f.InsuredPersonFactory())
    last_year = _stale_certificate(f.InsuredPersonFactory(contract=contract), year=2025)
    pensioner = _stale_certificate(f.InsuredPersonFactory(contract=contract, status="pensioner"))
    certificates_recompute_enqueue(year=2026, contract_ids=[contract.pk]).get()
    for certificate in (asked, other_contract, last_year, pensioner):
        certificate.refresh_from_db()
    assert asked.projected_pension_65 != STALE
    assert other_contract.projected_pension_65 == STALE
    assert last_year.projected_pension_65 == STALE
    assert pensioner.projected_pension_65 == STALE


def test_a_person_the_engine_cannot_project_keeps_the_certificate(contract):
    old = _stale_certificate(f.InsuredPersonFactory(contract=contract,
                                                    birth_date=date(1950, 1, 1)))
    counts = certificates_recompute_enqueue(year=2026).get()
    old.refresh_from_db()
    assert counts == [{"recomputed": 0, "skipped": 1}]
    assert old.projected_pension_65 == STALE


def test_the_dashboard_version_moves_for_every_recomputed_person(contract):
    person = f.InsuredPersonFactory(contract=contract)
    _stale_certificate(person)
    before = dashboard_version(person.pk)
    certificates_recompute_enqueue(year=2026).get()
    assert dashboard_version(person.pk) != before


def test_the_command_reports_counts_and_refuses_an_unknown_contract(contract, capsys):
    _stale_certificate(f.InsuredPersonFactory(contract=contract))
    call_command("recompute_certificates", year=2026, contract=[contract.number], wait=True)
    assert "1 certificate(s) recomputed, 0 skipped" in capsys.readouterr().out
    with pytest.raises(CommandError, match="C-NOPE"):
        call_command("recompute_certificates", year=2026, contract=["C-NOPE"])
