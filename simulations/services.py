"""Bridge between the database and the pure engine: engine inputs from a person, a certificate
and a plan. The engine itself never sees a model."""

from __future__ import annotations

import random
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from policies.models import Certificate, InsuredPerson
from policies.models import Plan as PlanModel

from . import engine

CENT = Decimal("0.01")


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def engine_plan(plan: PlanModel | None) -> engine.Plan:
    """The plan's rules (data in the database) as an engine Plan; BVG minimum when absent."""
    if plan is None or not plan.savings_credits:
        bands = engine.BVG_SAVINGS_CREDITS
    else:
        starts = sorted((int(age), Decimal(str(rate))) for age, rate in plan.savings_credits)
        bands = tuple(
            engine.CreditBand(
                age, (starts[i + 1][0] - 1) if i + 1 < len(starts) else 65, rate
            )
            for i, (age, rate) in enumerate(starts)
        )
    if plan is None:
        return engine.BVG_MINIMUM
    return engine.Plan(
        name=plan.name,
        savings_credits=bands,
        projection_interest=plan.projection_interest,
        conversion_rate_at_reference=plan.conversion_rate,
        conversion_rate_step_early=plan.conversion_step,
        conversion_rate_step_late=plan.conversion_step,
        reference_age=plan.reference_age,
        earliest_retirement_age=plan.earliest_retirement_age,
        latest_retirement_age=plan.latest_retirement_age,
        max_lump_sum_share=plan.max_lump_sum_share,
        wef_cutoff_years=plan.wef_cutoff_years,
    )


def projection_input_for(
    person: InsuredPerson, certificate: Certificate, *, year: int | None = None, **overrides
) -> engine.ProjectionInput:
    return engine.ProjectionInput(
        year=year or certificate.year,
        birth_date=person.birth_date,
        sex=person.sex,
        annual_salary=certificate.annual_salary,
        savings_capital=certificate.savings_capital,
        insured_salary=certificate.insured_salary,
        plan=engine_plan(person.contract.plan),
        **overrides,
    )


def buy_in_input_for(
    person: InsuredPerson, certificate: Certificate, **overrides
) -> engine.BuyInInput:
    return engine.BuyInInput(
        year=certificate.year,
        birth_date=person.birth_date,
        annual_salary=certificate.annual_salary,
        savings_capital=certificate.savings_capital,
        insured_salary=certificate.insured_salary,
        plan=engine_plan(person.contract.plan),
        **overrides,
    )


def certificate_figures_for(
    *,
    birth_date: date,
    annual_salary: Decimal,
    year: int,
    rng: random.Random,
    plan: PlanModel | None = None,
) -> dict[str, Decimal]:
    """Plausible certificate figures for demo data: the savings capital is a random share of
    the regulatory maximum, everything else comes from the engine."""
    eplan = engine_plan(plan)
    coordinated = engine.coordinated_salary(year, annual_salary).coordinated_salary
    age = year - birth_date.year
    base = engine.BuyInInput(
        year=year, birth_date=birth_date, annual_salary=annual_salary,
        savings_capital=Decimal(0), plan=eplan,
    )
    regulatory = engine.regulatory_max_capital(base)
    capital = _money(regulatory * Decimal(rng.randint(55, 100)) / 100)
    retirement_age = max(age, 65)
    projection = engine.project(
        engine.ProjectionInput(
            year=year, birth_date=birth_date, sex="M", annual_salary=annual_salary,
            savings_capital=capital, retirement_age=min(retirement_age, eplan.latest_retirement_age),
            plan=eplan,
        )
    )
    max_buy_in = _money(max(Decimal(0), regulatory - capital))
    wef_available = capital if age <= 50 else _money(capital / 2)
    return {
        "insured_salary": coordinated,
        "savings_capital": capital,
        "projected_capital_65": projection.capital_at_retirement,
        "projected_pension_65": projection.annual_pension,
        "disability_pension": _money(coordinated * Decimal("0.40")),
        "spouse_pension": _money(coordinated * Decimal("0.24")),
        "death_capital": Decimal("0.00"),
        "max_buy_in": max_buy_in,
        "wef_available": wef_available,
        "employee_contribution": _money(coordinated * eplan.credit_rate(age) / 2),
        "employer_contribution": _money(coordinated * eplan.credit_rate(age) / 2),
    }
