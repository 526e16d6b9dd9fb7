"""BVG parameters by year, kept as data (one row per year, add rows as the BSV publishes them).

Sources: BVG art. 2, 7, 8, 15, 16; BVV 2 art. 5, 12; BVV 3 art. 7; BSV "BVG-Mitteilungen".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .errors import UnknownYearError

D = Decimal


@dataclass(frozen=True, slots=True)
class BvgParameters:
    year: int
    max_ahv_pension: Decimal
    entry_threshold: Decimal
    coordination_deduction: Decimal
    upper_limit: Decimal
    min_coordinated: Decimal
    max_coordinated: Decimal
    min_interest: Decimal
    pillar3a_max: Decimal


def _row(
    year: int,
    r: str,
    threshold: str,
    deduction: str,
    upper: str,
    min_coord: str,
    max_coord: str,
    interest: str,
    pillar3a: str,
) -> BvgParameters:
    return BvgParameters(
        year,
        D(r),
        D(threshold),
        D(deduction),
        D(upper),
        D(min_coord),
        D(max_coord),
        D(interest),
        D(pillar3a),
    )


# The derived amounts are written out (not computed from R) so the table reads like the
# published one; a test checks they equal 3/4 R, 7/8 R, 3 R, 1/8 R and 3 R - 7/8 R.
_TABLE: dict[int, BvgParameters] = {
    row.year: row
    for row in (
        _row(2021, "28680", "21510", "25095", "86040", "3585", "60945", "0.01", "6883"),
        _row(2022, "28680", "21510", "25095", "86040", "3585", "60945", "0.01", "6883"),
        _row(2023, "29400", "22050", "25725", "88200", "3675", "62475", "0.01", "7056"),
        _row(2024, "29400", "22050", "25725", "88200", "3675", "62475", "0.0125", "7056"),
        _row(2025, "30240", "22680", "26460", "90720", "3780", "64260", "0.0125", "7258"),
        _row(2026, "30240", "22680", "26460", "90720", "3780", "64260", "0.0125", "7258"),
    )
}
KNOWN_YEARS: tuple[int, ...] = tuple(sorted(_TABLE))

# Before the table: only what the default 3a maximum balance (art. 60a para. 2 BVV 2) needs,
# i.e. the yearly 3a maximum for employees with a pension fund (8 % of the BVG upper limit,
# BVV 3 art. 7 para. 1 a) and the BVG minimum interest. The 3a started in 1987. Checked
# against the BSV table "grösstmögliches 3a-Guthaben nach Jahrgang" (31.12.2011, born 1962
# or earlier: 201,663).
_HISTORY: dict[int, tuple[Decimal, Decimal]] = {}


def _history(first: int, last: int, pillar3a: str, interest: str) -> None:
    for year in range(first, last + 1):
        _HISTORY[year] = (D(pillar3a), D(interest))


_history(1987, 1987, "4147", "0.04")
_history(1988, 1989, "4320", "0.04")
_history(1990, 1991, "4608", "0.04")
_history(1992, 1992, "5184", "0.04")
_history(1993, 1994, "5414", "0.04")
_history(1995, 1996, "5587", "0.04")
_history(1997, 1998, "5731", "0.04")
_history(1999, 2000, "5789", "0.04")
_history(2001, 2002, "5933", "0.04")
_history(2003, 2003, "6077", "0.0325")
_history(2004, 2004, "6077", "0.0225")
_history(2005, 2006, "6192", "0.025")
_history(2007, 2007, "6365", "0.025")
_history(2008, 2008, "6365", "0.0275")
_history(2009, 2010, "6566", "0.02")
_history(2011, 2011, "6682", "0.02")
_history(2012, 2012, "6682", "0.015")
_history(2013, 2013, "6739", "0.015")
_history(2014, 2014, "6739", "0.0175")
_history(2015, 2015, "6768", "0.0175")
_history(2016, 2016, "6768", "0.0125")
_history(2017, 2018, "6768", "0.01")
_history(2019, 2020, "6826", "0.01")
for _p in _TABLE.values():
    _HISTORY[_p.year] = (_p.pillar3a_max, _p.min_interest)
PILLAR3A_FIRST_YEAR = 1987


def bvg_parameters(year: int, field: str = "year") -> BvgParameters:
    """The year's parameters; an unknown year is a domain error, never a silent fallback."""
    try:
        return _TABLE[year]
    except (KeyError, TypeError):
        raise UnknownYearError(year, KNOWN_YEARS, field) from None


def pillar3a_history(year: int) -> tuple[Decimal, Decimal]:
    """(3a maximum, BVG minimum interest) of a year from 1987 up to the last known year."""
    try:
        return _HISTORY[year]
    except KeyError:
        raise UnknownYearError(year, (PILLAR3A_FIRST_YEAR, KNOWN_YEARS[-1])) from None


def reference_age_months(birth_date: date, sex: str) -> int:
    """Reference age in months (AHV 21): 65 for men; for women 64 up to the 1960 cohort, then
    64 y 3/6/9 m for 1961/62/63, 65 from 1964."""
    if sex == "F":
        year = birth_date.year
        if year <= 1960:
            return 64 * 12
        if year <= 1963:
            return 64 * 12 + 3 * (year - 1960)
    return 65 * 12
