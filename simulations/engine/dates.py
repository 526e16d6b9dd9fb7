"""Calendar helpers: periods are added as in art. 77 OR (a day the target month does not have
becomes its last day: 29 February -> 28 February, 31 August + 6 months -> 28/29 February)."""

from __future__ import annotations

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: date, years: int) -> date:
    return add_months(day, 12 * years)


def completed_years(birth_date: date, on: date) -> int:
    """Age in completed years on a day (the birthday itself counts as completed)."""
    years = on.year - birth_date.year
    if add_years(birth_date, years) > on:
        years -= 1
    return years
