"""BVG/LPP simulation engine: pure Python, ``Decimal`` in and out, no Django.

Reported figures are rounded half-up to 0.01; intermediate values never are.
"""

from __future__ import annotations

from .ahv import ahv_compact, ahv_format, ahv_is_valid, ahv_normalize
from .buyin import (
    EXCEEDS_MAXIMUM,
    WEF_OUTSTANDING,
    BuyInInput,
    BuyInResult,
    buy_in,
    pillar3a_max_balance,
    regulatory_max_capital,
)
from .errors import NON_FIELD, SimulationError, UnknownYearError
from .params import KNOWN_YEARS, BvgParameters, bvg_parameters, reference_age_months
from .plan import BVG_MINIMUM, BVG_SAVINGS_CREDITS, CreditBand, Plan
from .projection import (
    ProjectionInput,
    ProjectionResult,
    ProjectionYear,
    RetirementOption,
    compare_retirement_ages,
    project,
)
from .salary import CoordinatedSalary, coordinated_salary
from .wef import (
    BELOW_MINIMUM,
    COOPERATIVE,
    FIVE_YEAR_RULE,
    OWNERSHIP,
    TOO_CLOSE_TO_RETIREMENT,
    BuyInPayment,
    WefInput,
    WefResult,
    after_50_limit_applies,
    wef,
)

__all__ = [
    "BELOW_MINIMUM",
    "BVG_MINIMUM",
    "BVG_SAVINGS_CREDITS",
    "COOPERATIVE",
    "EXCEEDS_MAXIMUM",
    "FIVE_YEAR_RULE",
    "KNOWN_YEARS",
    "NON_FIELD",
    "OWNERSHIP",
    "TOO_CLOSE_TO_RETIREMENT",
    "WEF_OUTSTANDING",
    "BuyInInput",
    "BuyInPayment",
    "BuyInResult",
    "BvgParameters",
    "CoordinatedSalary",
    "CreditBand",
    "Plan",
    "ProjectionInput",
    "ProjectionResult",
    "ProjectionYear",
    "RetirementOption",
    "SimulationError",
    "UnknownYearError",
    "WefInput",
    "WefResult",
    "after_50_limit_applies",
    "ahv_compact",
    "ahv_format",
    "ahv_is_valid",
    "ahv_normalize",
    "buy_in",
    "bvg_parameters",
    "compare_retirement_ages",
    "coordinated_salary",
    "pillar3a_max_balance",
    "project",
    "reference_age_months",
    "regulatory_max_capital",
    "wef",
]
