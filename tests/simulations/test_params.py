from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from simulations.engine import (
    KNOWN_YEARS,
    SimulationError,
    UnknownYearError,
    bvg_parameters,
    pillar3a_max_balance,
    reference_age_months,
)
from simulations.engine.params import pillar3a_history

D = Decimal

# Straight from the table in shared/BVG.md.
PUBLISHED = {
    2021: ("28680", "21510", "25095", "86040", "3585", "60945", "0.01", "6883"),
    2022: ("28680", "21510", "25095", "86040", "3585", "60945", "0.01", "6883"),
    2023: ("29400", "22050", "25725", "88200", "3675", "62475", "0.01", "7056"),
    2024: ("29400", "22050", "25725", "88200", "3675", "62475", "0.0125", "7056"),
    2025: ("30240", "22680", "26460", "90720", "3780", "64260", "0.0125", "7258"),
    2026: ("30240", "22680", "26460", "90720", "3780", "64260", "0.0125", "7258"),
}


def test_it_knows_the_years_2021_to_2026():
    assert KNOWN_YEARS == (2021, 2022, 2023, 2024, 2025, 2026)


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_it_holds_the_published_parameters(year):
    p = bvg_parameters(year)
    assert (
        p.max_ahv_pension,
        p.entry_threshold,
        p.coordination_deduction,
        p.upper_limit,
        p.min_coordinated,
        p.max_coordinated,
        p.min_interest,
        p.pillar3a_max,
    ) == tuple(D(v) for v in PUBLISHED[year])


@pytest.mark.parametrize("year", KNOWN_YEARS)
def test_its_amounts_derive_from_the_max_ahv_pension(year):
    # Art. 2, 7, 8 BVG: threshold 3/4 R, deduction 7/8 R, upper limit 3 R, min coordinated
    # 1/8 R, max coordinated 3 R - 7/8 R; 3a max = 8 % of the upper limit, to the franc.
    p = bvg_parameters(year)
    r = p.max_ahv_pension
    assert p.entry_threshold == r * 3 / 4
    assert p.coordination_deduction == r * 7 / 8
    assert p.upper_limit == r * 3
    assert p.min_coordinated == r / 8
    assert p.max_coordinated == p.upper_limit - p.coordination_deduction
    assert p.pillar3a_max == (p.upper_limit * D("0.08")).quantize(D(1), rounding="ROUND_HALF_UP")


@pytest.mark.parametrize("year", [2020, 2027, 1985])
def test_it_rejects_an_unknown_year(year):
    with pytest.raises(UnknownYearError) as exc:
        bvg_parameters(year)
    assert exc.value.year == year
    assert exc.value.errors == {"year": [f"no BVG parameters for {year}; known years: 2021-2026"]}
    assert isinstance(exc.value, SimulationError)
    assert "year: no BVG parameters" in str(exc.value)


def test_it_rejects_a_year_that_is_not_a_number():
    with pytest.raises(UnknownYearError):
        bvg_parameters("2025")  # type: ignore[arg-type]


def test_it_names_another_field_for_an_unknown_year_when_asked():
    with pytest.raises(UnknownYearError) as exc:
        bvg_parameters(2030, field="valid_from")
    assert list(exc.value.errors) == ["valid_from"]


@pytest.mark.parametrize("year", [1986, 2027])
def test_it_has_no_3a_history_outside_1987_to_the_last_known_year(year):
    with pytest.raises(UnknownYearError):
        pillar3a_history(year)


@pytest.mark.parametrize(
    ("birth_year", "year", "bsv_balance"),
    [
        # BSV table "grösstmögliches 3a-Guthaben nach Jahrgang", balance at 31 December.
        (1962, 2011, 201663),  # 1962 and earlier: from 1987
        (1966, 2011, 165068),
        (1985, 2011, 13379),  # 6,566 x 1.02 + 6,682 = 13,379.32
        (1986, 2011, 6682),
        (1962, 2013, 221280),
        (1975, 2013, 101212),
        (1988, 2013, 6739),
    ],
)
def test_its_default_3a_maximum_matches_the_bsv_table(birth_year, year, bsv_balance):
    assert round(pillar3a_max_balance(birth_year, year)) == bsv_balance


def test_its_default_3a_maximum_is_nil_before_bvg_age_25():
    assert pillar3a_max_balance(2001, 2025) == 0


@pytest.mark.parametrize(
    ("birth_date", "sex", "months"),
    [
        (date(1960, 12, 31), "M", 780),
        (date(1990, 1, 1), "M", 780),
        (date(1960, 12, 31), "F", 768),  # 64
        (date(1961, 1, 1), "F", 771),  # 64 y 3 m
        (date(1962, 6, 1), "F", 774),  # 64 y 6 m
        (date(1963, 6, 1), "F", 777),  # 64 y 9 m
        (date(1964, 1, 1), "F", 780),  # 65
    ],
)
def test_it_knows_the_reference_age_of_each_cohort(birth_date, sex, months):
    assert reference_age_months(birth_date, sex) == months
