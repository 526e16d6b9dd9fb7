"""Bridge between the database and the pure engine: engine inputs from a person, a certificate
and a plan. The engine itself never sees a model."""

from __future__ import annotations

import random
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policies.dashboard_cache import dashboard_touch
from policies.models import Certificate, InsuredPerson, RequestStatus
from policies.models import Plan as PlanModel
from policies.services import case_number_new, reason_clean, request_decision_notify

from . import engine
from .models import ServiceRequest, ServiceRequestEvent, Simulation

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


def reference_age_years(person: InsuredPerson, plan: engine.Plan) -> int:
    """The plan's reference age, or the legal one for this person's sex and birth year (whole
    years: the women of 1961-63 retire at 64 and some months)."""
    if plan.reference_age is not None:
        return plan.reference_age
    return engine.reference_age_months(person.birth_date, person.sex) // 12


def reference_age_months_for(person: InsuredPerson, plan: engine.Plan) -> int:
    """The plan's reference age, or the legal one in months (AHV 21: 64 y 6 m = 774 for a
    woman born 1962), for rules that count months such as the WEF cut-off."""
    if plan.reference_age is not None:
        return plan.reference_age * 12
    return engine.reference_age_months(person.birth_date, person.sex)


def projection_input_for(
    person: InsuredPerson, certificate: Certificate, *, year: int | None = None, **overrides
) -> engine.ProjectionInput:
    values = {
        "year": year or certificate.year,
        "birth_date": person.birth_date,
        "sex": person.sex,
        "annual_salary": certificate.annual_salary,
        "savings_capital": certificate.savings_capital,
        # The legal minimum pension (art. 14 BVG) is guaranteed on the BVG part of the capital
        # only. Unknown BVG part: no guarantee shown rather than one computed on the whole
        # capital, which would promise too much under a plan converting below 6.8 %.
        "bvg_savings_capital": (
            certificate.bvg_savings_capital
            if certificate.bvg_savings_capital is not None else Decimal(0)
        ),
        "insured_salary": certificate.insured_salary,
        "plan": engine_plan(person.contract.plan),
    }
    return engine.ProjectionInput(**{**values, **overrides})


def buy_in_input_for(
    person: InsuredPerson, certificate: Certificate, **overrides
) -> engine.BuyInInput:
    values = {
        "year": certificate.year,
        "birth_date": person.birth_date,
        "annual_salary": certificate.annual_salary,
        "savings_capital": certificate.savings_capital,
        "insured_salary": certificate.insured_salary,
        "plan": engine_plan(person.contract.plan),
    }
    return engine.BuyInInput(**{**values, **overrides})


# Risk benefits of the fund's plans, as shares of the insured salary.
DISABILITY_SHARE = Decimal("0.40")
SPOUSE_SHARE = Decimal("0.24")


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
        "bvg_savings_capital": capital,  # demo figures follow the BVG minimum plan
        "projected_capital_65": projection.capital_at_retirement,
        "projected_pension_65": projection.annual_pension,
        "disability_pension": _money(coordinated * DISABILITY_SHARE),
        "spouse_pension": _money(coordinated * SPOUSE_SHARE),
        "death_capital": Decimal("0.00"),
        "max_buy_in": max_buy_in,
        "wef_available": wef_available,
        "employee_contribution": _money(coordinated * eplan.credit_rate(age) / 2),
        "employer_contribution": _money(coordinated * eplan.credit_rate(age) / 2),
    }


# --- certificates recomputed (after a change of plan rules or of the year's BVG parameters) -----

RECOMPUTED_FIELDS = (
    "insured_salary", "projected_capital_65", "projected_pension_65", "disability_pension",
    "spouse_pension", "max_buy_in", "wef_available", "employee_contribution",
    "employer_contribution",
)


def certificate_recomputed_figures(person: InsuredPerson, certificate: Certificate,
                                   plan: engine.Plan) -> dict[str, Decimal]:
    """What a certificate states that follows from the plan, the BVG parameters of its year and
    the person's data. The declared salary and the savings capital (the account's balance) are
    the inputs and stay as they are. Raises engine.SimulationError for a person the engine
    cannot project (e.g. past the plan's latest retirement age)."""
    year = certificate.year
    age = year - person.birth_date.year
    coordinated = engine.coordinated_salary(year, certificate.annual_salary,
                                            plan).coordinated_salary
    capital = certificate.savings_capital
    reference = reference_age_years(person, plan)
    projection = engine.project(engine.ProjectionInput(
        year=year, birth_date=person.birth_date, sex=person.sex,
        annual_salary=certificate.annual_salary, savings_capital=capital,
        bvg_savings_capital=(certificate.bvg_savings_capital
                             if certificate.bvg_savings_capital is not None else Decimal(0)),
        insured_salary=coordinated,
        retirement_age=min(max(reference, age), plan.latest_retirement_age), plan=plan,
    ))
    regulatory = engine.regulatory_max_capital(engine.BuyInInput(
        year=year, birth_date=person.birth_date, annual_salary=certificate.annual_salary,
        savings_capital=capital, insured_salary=coordinated, plan=plan))
    half_credit = _money(coordinated * plan.credit_rate(age) / 2)
    return {
        "insured_salary": coordinated,
        "projected_capital_65": projection.capital_at_retirement,
        "projected_pension_65": projection.annual_pension,
        "disability_pension": _money(coordinated * DISABILITY_SHARE),
        "spouse_pension": _money(coordinated * SPOUSE_SHARE),
        "max_buy_in": _money(max(Decimal(0), regulatory - capital)),
        # Art. 30c BVG: after 50, at most half the capital (the capital at 50 is not kept).
        "wef_available": capital if age <= 50 else _money(capital / 2),
        "employee_contribution": half_credit,
        "employer_contribution": half_credit,
    }


def certificates_recompute(*, year: int, first_person_id: int, last_person_id: int,
                           contract_ids: list[int] | None = None) -> dict[str, int]:
    """Recomputes the `year` certificates of the active insured persons whose ids lie in
    [first_person_id, last_person_id] (one chunk of simulations.tasks): one query to read them
    with their plans, batched updates, and the dashboards of those persons move to a new
    version. A person the engine cannot project keeps the certificate as it was (counted)."""
    from policies.dashboard_cache import dashboard_touch_many

    certificates = list(
        Certificate.objects.filter(
            year=year, person_id__gte=first_person_id, person_id__lte=last_person_id,
            person__status=InsuredPerson.Status.ACTIVE,
            **({"person__contract_id__in": contract_ids} if contract_ids else {}),
        ).select_related("person__contract__plan").order_by("person_id")
    )
    plans: dict[int | None, engine.Plan] = {}
    changed, skipped = [], 0
    for certificate in certificates:
        person = certificate.person
        plan_id = person.contract.plan_id
        if plan_id not in plans:
            plans[plan_id] = engine_plan(person.contract.plan)
        try:
            figures = certificate_recomputed_figures(person, certificate, plans[plan_id])
        except engine.SimulationError:
            skipped += 1
            continue
        for field, value in figures.items():
            setattr(certificate, field, value)
        changed.append(certificate)
    with transaction.atomic():
        _certificates_update(changed)
        dashboard_touch_many(c.person_id for c in changed)
    return {"recomputed": len(changed), "skipped": skipped}


def _certificates_update(certificates: list[Certificate], batch: int = 1000) -> None:
    """Writes the recomputed fields. On PostgreSQL one UPDATE ... FROM (VALUES ...) per batch:
    Django's bulk_update builds a CASE per field and row, which costs ten times the engine's
    own work at 1,000 rows."""
    if connection.vendor != "postgresql":
        Certificate.objects.bulk_update(certificates, RECOMPUTED_FIELDS, batch_size=500)
        return
    meta = Certificate._meta
    columns = [meta.get_field(name).column for name in RECOMPUTED_FIELDS]
    assignments = ", ".join(f'"{c}" = v."{c}"' for c in columns)
    names = ", ".join(f'"{c}"' for c in columns)
    row = "(%s::bigint" + ", %s::numeric" * len(columns) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(certificates), batch):
            part = certificates[start:start + batch]
            params = [value for c in part
                      for value in (c.pk, *(getattr(c, name) for name in RECOMPUTED_FIELDS))]
            cursor.execute(
                f'UPDATE "{meta.db_table}" AS c SET {assignments} '  # noqa: S608 - model names
                f"FROM (VALUES {', '.join([row] * len(part))}) AS v(id, {names}) "
                "WHERE c.id = v.id",
                params)


def certificate_chunks(*, year: int, contract_ids: list[int] | None = None,
                       size: int = 1000) -> list[tuple[int, int]]:
    """[first, last] person ids of chunks of `size` certificates of `year` to recompute."""
    ids = list(
        Certificate.objects.filter(
            year=year, person__status=InsuredPerson.Status.ACTIVE,
            **({"person__contract_id__in": contract_ids} if contract_ids else {}),
        ).order_by("person_id").values_list("person_id", flat=True)
    )
    return [(ids[i], ids[min(i + size, len(ids)) - 1]) for i in range(0, len(ids), size)]


# --- simulations in the insured portal -----------------------------------------------------------
# Results are stored as JSON (money as strings) so a saved simulation keeps the figures of its day.

def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _series(years) -> list[list]:
    return [[row.year, row.age, str(row.capital)] for row in years]


def _projection_series(person: InsuredPerson, certificate: Certificate, capital: Decimal,
                       **overrides) -> tuple[list[list], engine.ProjectionResult]:
    plan = engine_plan(person.contract.plan)
    age = certificate.year - person.birth_date.year
    reference = reference_age_years(person, plan)
    result = engine.project(projection_input_for(
        person, certificate, savings_capital=max(capital, Decimal(0)),
        retirement_age=min(max(reference, age), plan.latest_retirement_age), **overrides,
    ))
    return _series(result.years), result


def retirement_simulate(
    *, person: InsuredPerson, certificate: Certificate, retirement_age: int,
    lump_sum_share: Decimal,
) -> dict:
    inp = projection_input_for(
        person, certificate, retirement_age=retirement_age, lump_sum_share=lump_sum_share
    )
    result = engine.project(inp)
    options = engine.compare_retirement_ages(inp)
    annuitised = result.annual_pension
    return {
        "retirement_age": result.retirement_age,
        "retirement_year": result.retirement_year,
        "lump_sum_share": str(lump_sum_share),
        "capital_at_retirement": str(result.capital_at_retirement),
        "conversion_rate": str(result.conversion_rate),
        "annual_pension": str(annuitised),
        "monthly_pension": str(_money(annuitised / 12)),
        "lump_sum": str(result.lump_sum),
        "bvg_minimum_applied": result.bvg_minimum_applied,
        "series": {"capital": _series(result.years)},
        "options": [
            {"age": o.retirement_age, "year": o.retirement_year,
             "capital": str(o.capital_at_retirement), "conversion_rate": str(o.conversion_rate),
             "annual_pension": str(o.annual_pension),
             "monthly_pension": str(_money(o.annual_pension / 12)), "lump_sum": str(o.lump_sum)}
            for o in options
        ],
    }


def buy_in_simulate(
    *, person: InsuredPerson, certificate: Certificate, amount: Decimal | None,
    pillar3a_balance: Decimal = Decimal(0), marginal_tax_rate: Decimal | None = None,
    wef_outstanding: Decimal = Decimal(0), payment_date: date | None = None,
) -> dict:
    # The 3-year capital lock runs from the day the buy-in is paid (today unless given), not
    # from the certificate's year; never before that year, whose figures the simulation uses.
    paid_on = max(payment_date or timezone.localdate(), date(certificate.year, 1, 1))
    result = engine.buy_in(buy_in_input_for(
        person, certificate, amount=amount, pillar3a_balance=pillar3a_balance,
        marginal_tax_rate=marginal_tax_rate, wef_outstanding=wef_outstanding, date=paid_on,
    ))
    paid = amount if amount is not None and amount <= result.max_buy_in else Decimal(0)
    without, base = _projection_series(person, certificate, certificate.savings_capital)
    with_buy_in, bought = _projection_series(
        person, certificate, certificate.savings_capital + paid
    )
    return {
        "amount": _s(amount),
        "max_buy_in": str(result.max_buy_in),
        "max_capital": str(result.max_capital),
        "annual_cap": _s(result.annual_cap),
        "blocked_reason": result.blocked_reason,
        "reasons": list(result.reasons),
        "tax_saving": _s(result.tax_saving),
        "capital_locked_until": (
            result.capital_locked_until.isoformat() if result.capital_locked_until else None
        ),
        "retirement_age": base.retirement_age,
        "pension_without": str(base.annual_pension),
        "pension_with": str(bought.annual_pension),
        "capital_without": str(base.capital_at_retirement),
        "capital_with": str(bought.capital_at_retirement),
        "series": {"without": without, "with": with_buy_in},
    }


def wef_simulate(
    *, person: InsuredPerson, certificate: Certificate, withdrawal_date: date,
    amount: Decimal, purpose: str, vested_benefit_at_50: Decimal | None,
    last_withdrawal_date: date | None = None,
) -> dict:
    plan = engine_plan(person.contract.plan)
    # No buy-ins are passed: the database records no buy-in payments (amount and date), so the
    # 3-year lock on them (art. 79b para. 3 BVG) cannot be applied here yet.
    result = engine.wef(engine.WefInput(
        date=withdrawal_date, birth_date=person.birth_date,
        vested_benefit=certificate.savings_capital, requested_amount=amount,
        vested_benefit_at_50=vested_benefit_at_50, purpose=purpose,
        last_withdrawal_date=last_withdrawal_date,
        reference_age_months=reference_age_months_for(person, plan), plan=plan,
    ))
    taken = min(amount, result.max_withdrawal)
    without, base = _projection_series(person, certificate, certificate.savings_capital)
    # A withdrawal reduces the BVG part and the rest of the capital in proportion: left alone,
    # the BVG minimum pension (art. 14) would show the same pension with and without it.
    remaining = certificate.savings_capital - taken
    share = remaining / certificate.savings_capital if certificate.savings_capital > 0 else 0
    bvg_part = projection_input_for(person, certificate).bvg_savings_capital
    with_wef, after = _projection_series(
        person, certificate, remaining,
        bvg_savings_capital=max(_money(bvg_part * share), Decimal(0)),
    )
    return {
        "amount": str(amount),
        "withdrawal_date": withdrawal_date.isoformat(),
        "purpose": purpose,
        "max_withdrawal": str(result.max_withdrawal),
        "allowed": result.allowed,
        "reasons": list(result.reasons),
        "latest_withdrawal_date": result.latest_withdrawal_date.isoformat(),
        "retirement_age": base.retirement_age,
        "pension_without": str(base.annual_pension),
        "pension_with": str(after.annual_pension),
        "capital_without": str(base.capital_at_retirement),
        "capital_with": str(after.capital_at_retirement),
        "series": {"without": without, "with": with_wef},
    }


def simulation_save(
    *, person: InsuredPerson, kind: str, inputs: dict, result: dict, user=None
):
    return Simulation.objects.create(
        person=person, kind=kind, inputs=_jsonable(inputs), result=result, created_by=user
    )


def _jsonable(data: dict) -> dict:
    out = {}
    for key, value in data.items():
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        out[key] = value
    return out


def service_request_from_simulation(*, simulation, user=None):
    """One click from a saved simulation to a request; clicking twice gives the same request."""
    with transaction.atomic():
        existing = (
            ServiceRequest.objects.select_for_update()
            .filter(simulation=simulation).exclude(status=RequestStatus.REJECTED).first()
        )
        if existing is not None:
            return existing
        request = ServiceRequest.objects.create(
            case_number=case_number_new(ServiceRequest, "D"), person=simulation.person,
            simulation=simulation, kind=simulation.kind, submitted_by=user,
        )
        ServiceRequestEvent.objects.create(request=request, status=RequestStatus.RECEIVED, by=user)
    return request


ALLOWED_TRANSITIONS = {
    "received": {"in_progress", "done", "rejected"},
    "in_progress": {"done", "rejected"},
    "done": set(),
    "rejected": set(),
}


class ServiceRequestClosed(ValidationError):
    """Decided meanwhile (by a colleague): nothing is done twice."""


def service_request_transition(*, request, status: str, by=None, reason: str = ""):
    """Support moves a request on its timeline (received -> in progress -> done | rejected,
    with a reason). The row lock makes two colleagues deciding at once decide it once; the
    person is told of the decision (done or rejected) by e-mail, in their language."""
    if status not in {s for targets in ALLOWED_TRANSITIONS.values() for s in targets}:
        raise ValidationError(_("Ce changement de statut n'est pas possible."))
    reason = reason_clean(reason) if status == RequestStatus.REJECTED else ""
    with transaction.atomic():
        locked = ServiceRequest.objects.select_for_update().get(pk=request.pk)
        if status not in ALLOWED_TRANSITIONS.get(locked.status, set()):
            if locked.status in (RequestStatus.DONE, RequestStatus.REJECTED):
                raise ServiceRequestClosed(
                    _("Cette demande est déjà clôturée (%(status)s).")
                    % {"status": locked.get_status_display()})
            raise ValidationError(_("Ce changement de statut n'est pas possible."))
        locked.status, locked.reason = status, reason
        locked.save(update_fields=["status", "reason"])
        ServiceRequestEvent.objects.create(request=locked, status=status, by=by, note=reason)
        dashboard_touch(locked.person_id)
        if status in (RequestStatus.DONE, RequestStatus.REJECTED):
            request_decision_notify(item=locked,
                                    path=reverse("insured:request-detail", args=[locked.pk]))
    request.status, request.reason = locked.status, locked.reason
    return locked
