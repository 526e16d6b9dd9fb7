"""Swiss formats as a person reads them (policies.swiss: no Django, no database)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from policies import swiss

TODAY = date(2026, 3, 15)


@pytest.mark.parametrize("value,expected", [
    (1234.5, "1'234.50"), ("0", "0.00"), (Decimal("-1234567.005"), "-1'234'567.01"),
    ("999.995", "1'000.00"), (12, "12.00"), (None, ""), ("abc", ""), ("NaN", ""),
    ("Infinity", ""), (True, ""),
])
def test_amounts_are_grouped_with_apostrophes_and_two_decimals(value, expected):
    assert swiss.amount(value) == expected


def test_an_amount_can_be_shown_in_whole_francs():
    assert swiss.amount(Decimal("312500.50"), decimals=0) == "312'501"


@pytest.mark.parametrize("value,expected", [
    (1234.5, "CHF 1'234.50"), (None, "–"), ("", "–"), ("x", "–"),
])
def test_chf_names_the_currency_and_shows_a_dash_for_nothing(value, expected):
    assert swiss.chf(value) == expected


@pytest.mark.parametrize("value,expected", [
    (1880, "1'880"), (0, "0"), (-2000000, "-2'000'000"), ("x", ""), (None, ""),
])
def test_counts_have_no_decimals(value, expected):
    assert swiss.thousands(value) == expected


@pytest.mark.parametrize("share,digits,expected", [
    ("0.068", 2, "6.80 %"), (Decimal("0.3"), 0, "30 %"), (0.25, 1, "25.0 %"), ("x", 2, ""),
])
def test_shares_are_shown_as_percent(share, digits, expected):
    assert swiss.percent(share, digits) == expected


@pytest.mark.parametrize("value,expected", [
    (date(2026, 12, 31), "31.12.2026"), (datetime(2026, 1, 2, 23, 0), "02.01.2026"),
    (None, "–"), ("2026-12-31", "–"),
])
def test_dates_are_day_month_year_with_dots(value, expected):
    assert swiss.day(value) == expected


@pytest.mark.parametrize("text,past,expected", [
    ("31.12.2026", False, date(2026, 12, 31)),
    ("1.2.26", False, date(2026, 2, 1)),
    (" 1. 2. 2026 ", False, date(2026, 2, 1)),
    ("31/12/2026", False, date(2026, 12, 31)),
    ("31 12 2026", False, date(2026, 12, 31)),
    ("2026-12-31", False, date(2026, 12, 31)),
    ("1.7.30", False, date(2030, 7, 1)),   # within twenty years ahead: this century
    ("1.7.65", False, date(1965, 7, 1)),   # further ahead than twenty years: last century
    ("1.7.65", True, date(1965, 7, 1)),
    ("12.3.45", True, date(1945, 3, 12)),  # a birth date is never in the future
    ("12.3.26", True, date(2026, 3, 12)),
])
def test_dates_are_read_as_people_type_them(text, past, expected):
    assert swiss.parse_day(text, today=TODAY, past=past) == expected


@pytest.mark.parametrize("text,reason", [
    ("31.02.2026", "day"), ("0.1.2026", "day"), ("1.13.2026", "day"), ("1.1.1850", "day"),
    ("1.1.9999", "day"), ("", "format"), ("demain", "format"), ("2026", "format"),
    ("1.1.202", "format"),
])
def test_impossible_dates_are_refused_with_a_reason(text, reason):
    with pytest.raises(swiss.NotADate) as error:
        swiss.parse_day(text, today=TODAY)
    assert error.value.reason == reason


def test_ahv_numbers_get_their_dots_and_are_masked():
    assert swiss.ahv("7561234567897") == "756.1234.5678.97"
    assert swiss.ahv("not a number") == "not a number"
    assert swiss.ahv_masked("756.1234.5678.97") == "756.****.****.97"
    assert swiss.ahv_masked("") == "–"


def test_ibans_are_grouped_by_four_and_masked():
    assert swiss.iban("CH9300762011623852957") == "CH93 0076 2011 6238 5295 7"
    assert swiss.iban_masked("CH93 0076 2011 6238 5295 7") == "CH93 **** **** 2957"


@pytest.mark.parametrize("value,shown,masked", [
    ("+41791234534", "+41 79 123 45 34", "+41 79 *** ** 34"),
    ("0791234534", "+41 79 123 45 34", "+41 79 *** ** 34"),
    ("+4915123456789", "+49 1512 3456789", "+49 1512 *****89"),
    ("nope", "nope", "–"),
])
def test_phone_numbers_are_shown_internationally_and_masked(value, shown, masked):
    assert swiss.phone(value) == shown
    assert swiss.phone_masked(value) == masked
