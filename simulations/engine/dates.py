"""Calendar helpers: years are added as in art. 77 OR (29 February -> 28 February)."""

from __future__ import annotations

from datetime import date


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        # Only 29 February in a non-leap target year gets here.
        return day.replace(year=day.year + years, day=28)


def completed_years(birth_date: date, on: date) -> int:
    """Age in completed years on a day (the birthday itself counts as completed)."""
    years = on.year - birth_date.year
    if add_years(birth_date, years) > on:
        years -= 1
    return years
