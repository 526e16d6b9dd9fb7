"""A pension plan's rules as data. The default instance is the BVG minimum plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .checks import ONE, ZERO
from .errors import ErrorCollector

D = Decimal
MAX_AGE = 120


@dataclass(frozen=True, slots=True)
class CreditBand:
    """Savings credit in % of the insured salary for BVG ages ``from_age``..``to_age``."""

    from_age: int
    to_age: int
    rate: Decimal


# Art. 16 BVG. The last band ends at 65 (the law's "55-65"): a person who keeps working after
# the reference age gets no BVG minimum credit after 65; a plan may extend the band.
BVG_SAVINGS_CREDITS: tuple[CreditBand, ...] = (
    CreditBand(25, 34, D("0.07")),
    CreditBand(35, 44, D("0.10")),
    CreditBand(45, 54, D("0.15")),
    CreditBand(55, 65, D("0.18")),
)


@dataclass(frozen=True, slots=True)
class Plan:
    name: str = "BVG minimum"
    savings_credits: tuple[CreditBand, ...] = BVG_SAVINGS_CREDITS
    # None: the BVG minimum interest of the simulated year.
    projection_interest: Decimal | None = None
    conversion_rate_at_reference: Decimal = D("0.068")
    conversion_rate_step_early: Decimal = D("0.002")
    conversion_rate_step_late: Decimal = D("0.002")
    # None: the legal reference age by sex and birth year (AHV 21 transition for women).
    reference_age: int | None = None
    earliest_retirement_age: int = 58
    latest_retirement_age: int = 70
    max_lump_sum_share: Decimal = ONE
    # WEF possible until the birthday at (reference age - this many years), art. 5 WEFV.
    wef_cutoff_years: int = 3
    # Coordination (art. 8 BVG): cap the salary at the upper limit; share of the coordination
    # deduction applied (e.g. pro-rated for part-time, 0 for a plan without coordination).
    cap_at_upper_limit: bool = True
    deduction_share: Decimal = ONE
    # Credit rate per BVG age 0..MAX_AGE, derived once so a projection does no band search.
    credit_rates: tuple[Decimal, ...] = field(init=False, repr=False, compare=False)
    first_credit_age: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        errors = ErrorCollector()
        rates = [ZERO] * (MAX_AGE + 1)
        for band in self.savings_credits:
            if not 0 <= band.from_age <= band.to_age <= MAX_AGE or not ZERO <= band.rate <= ONE:
                errors.add("savings_credits", f"invalid band {band}")
                continue
            for age in range(band.from_age, band.to_age + 1):
                if rates[age]:
                    errors.add("savings_credits", f"age {age} is in more than one band")
                rates[age] = band.rate
        if not 0 < self.earliest_retirement_age <= self.latest_retirement_age <= MAX_AGE:
            errors.add(
                "latest_retirement_age", "retirement ages must satisfy 0 < earliest <= latest"
            )
        if not ZERO <= self.max_lump_sum_share <= ONE:
            errors.add("max_lump_sum_share", "must be between 0 and 1")
        if not ZERO <= self.deduction_share <= ONE:
            errors.add("deduction_share", "must be between 0 and 1")
        errors.raise_if_any()
        object.__setattr__(self, "credit_rates", tuple(rates))
        first = min((b.from_age for b in self.savings_credits if b.rate), default=MAX_AGE)
        object.__setattr__(self, "first_credit_age", first)

    @classmethod
    def bvg_minimum(cls) -> Plan:
        return BVG_MINIMUM

    def credit_rate(self, bvg_age: int) -> Decimal:
        return self.credit_rates[bvg_age] if 0 <= bvg_age <= MAX_AGE else ZERO

    def conversion_rate(self, retirement_age: int, reference_months: int) -> Decimal:
        """Rate at the reference age, minus/plus a step per year earlier/later. Months count
        pro rata, which matters for the women of 1961-63 (reference age 64 y 3/6/9 m)."""
        if self.reference_age is not None:
            reference_months = self.reference_age * 12
        months = retirement_age * 12 - reference_months
        step = self.conversion_rate_step_early if months < 0 else self.conversion_rate_step_late
        return max(ZERO, self.conversion_rate_at_reference + step * months / 12)


BVG_MINIMUM = Plan()
