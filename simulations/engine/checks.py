"""Input checks shared by the engine's input dataclasses (they run in ``__post_init__``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from .errors import ErrorCollector, SimulationError
from .params import BvgParameters, bvg_parameters

ZERO = Decimal(0)
ONE = Decimal(1)
# Far above any pension capital; keeps Decimal arithmetic exact to the cent (28 digits).
MAX_MONEY = Decimal("1000000000000")
MAX_RATE = Decimal("0.2")
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)


def money(errors: ErrorCollector, field: str, value: Decimal | None) -> None:
    if value is None:
        return
    if not value.is_finite():
        errors.add(field, "must be a finite amount")
    elif value < ZERO:
        errors.add(field, "must not be negative")
    elif value > MAX_MONEY:
        errors.add(field, f"must be at most {MAX_MONEY}.00")


def rate(
    errors: ErrorCollector, field: str, value: Decimal | None, high: Decimal = MAX_RATE
) -> None:
    if value is None:
        return
    if not value.is_finite() or not ZERO <= value <= high:
        errors.add(field, f"must be between 0 and {high}")


def day(errors: ErrorCollector, field: str, value: date | None) -> None:
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        errors.add(field, f"must be between {EARLIEST_DATE} and {LATEST_DATE}")


def year(errors: ErrorCollector, value: int, field: str = "year") -> BvgParameters | None:
    try:
        return bvg_parameters(value, field)
    except SimulationError as exc:
        for message in exc.errors[field]:
            errors.add(field, message)
        return None
