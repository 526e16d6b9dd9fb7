from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from simulations.engine import (
    BuyInPayment,
    Plan,
    SimulationError,
    WefInput,
    reference_age_months,
    wef,
)

D = Decimal
BIRTH = date(1975, 6, 15)  # 50 on 15.6.2025, 51 on 15.6.2026, 62 on 15.6.2037


def request(**kwargs) -> WefInput:
    values = {
        "date": date(2025, 1, 1),
        "birth_date": BIRTH,
        "vested_benefit": D(300000),
        "requested_amount": D(50000),
    }
    values.update(kwargs)
    return WefInput(**values)


def test_it_allows_a_withdrawal_within_the_rules():
    result = wef(request())
    assert result.max_withdrawal == D("300000.00")
    assert result.allowed is True
    assert result.reasons == ()
    assert result.age == 49
    assert result.latest_withdrawal_date == date(2037, 6, 15)


# Rule changed (issue "one house", BVG.md): the art. 5 WEFV limit applies from the day after the
# 50th birthday (aged 50 years and 1 day), no longer only from the 51st birthday.
# Day after: a = 120,000 (at 50), b = 300,000 / 2 = 150,000 -> max(a, b) = 150,000.
@pytest.mark.parametrize(
    ("on", "age", "maximum"),
    [
        (date(2025, 6, 14), 49, "300000.00"),  # the day before the 50th birthday: all of it
        (date(2025, 6, 15), 50, "300000.00"),  # the 50th birthday itself: still all of it
        (date(2025, 6, 16), 50, "150000.00"),  # 50 years and 1 day: max(a, b)
        (date(2026, 6, 14), 50, "150000.00"),  # the day before the 51st birthday: max(a, b)
    ],
)
def test_the_whole_benefit_until_the_50th_birthday_then_the_wefv_limit(on, age, maximum):
    result = wef(request(date=on, vested_benefit_at_50=D(120000)))
    assert result.age == age
    assert result.max_withdrawal == D(maximum)


def test_the_benefit_at_50_is_needed_from_the_day_after_the_50th_birthday():
    assert wef(request(date=date(2025, 6, 15))).max_withdrawal == D("300000.00")
    with pytest.raises(SimulationError) as exc:
        request(date=date(2025, 6, 16))
    assert exc.value.errors == {"vested_benefit_at_50": ["is required after age 50"]}


@pytest.mark.parametrize(
    ("on", "maximum"),
    [
        (date(2026, 2, 28), "300000.00"),  # 50th birthday (art. 77 OR: 29.2. -> 28.2.)
        (date(2026, 3, 1), "150000.00"),  # the day after: max(120,000, 300,000 / 2)
    ],
)
def test_someone_born_on_29_february_is_limited_from_1_march_of_the_50th_year(on, maximum):
    result = wef(
        request(birth_date=date(1976, 2, 29), date=on, vested_benefit_at_50=D(120000))
    )
    assert result.max_withdrawal == D(maximum)


@pytest.mark.parametrize(
    ("kwargs", "maximum"),
    [
        # a = at 50 + repaid - withdrawn after 50; b = (current - used for housing) / 2
        (
            {
                "vested_benefit_at_50": D(150000),
                "repaid_after_50": D(10000),
                "withdrawn_after_50": D(20000),
            },
            "150000.00",
        ),  # a = 140,000 < b = 150,000
        (
            {
                "vested_benefit_at_50": D(200000),
                "repaid_after_50": D(10000),
                "withdrawn_after_50": D(20000),
            },
            "190000.00",
        ),  # a = 190,000 > b
        ({"vested_benefit_at_50": D(400000)}, "300000.00"),  # never above the current benefit
        (
            {"vested_benefit_at_50": D(140000), "used_for_housing": D(100000)},
            "140000.00",
        ),  # b = 100,000
        (
            {"vested_benefit_at_50": D(0), "used_for_housing": D(100001)},
            "99999.50",
        ),  # b = 199,999 / 2
    ],
)
def test_after_50_it_applies_the_wefv_limit(kwargs, maximum):
    result = wef(request(date=date(2026, 6, 15), **kwargs))  # 51st birthday
    assert result.age == 51
    assert result.max_withdrawal == D(maximum)


def test_the_limit_after_50_is_never_negative():
    result = wef(
        request(
            date=date(2026, 6, 15),
            vested_benefit_at_50=D(0),
            withdrawn_after_50=D(10000),
            used_for_housing=D(400000),
        )
    )
    assert result.max_withdrawal == D("0.00")


def test_it_needs_the_benefit_at_50_after_50():
    with pytest.raises(SimulationError) as exc:
        request(date=date(2026, 6, 15))
    assert exc.value.errors == {"vested_benefit_at_50": ["is required after age 50"]}


@pytest.mark.parametrize(
    ("amount", "purpose", "reasons"),
    [
        (D("19999.99"), "ownership", ("below_minimum",)),
        (D("20000"), "ownership", ()),
        (D("5000"), "cooperative", ()),  # no minimum for cooperative shares
    ],
)
def test_it_requires_at_least_20000_except_for_cooperative_shares(amount, purpose, reasons):
    assert wef(request(requested_amount=amount, purpose=purpose)).reasons == reasons


@pytest.mark.parametrize(
    ("on", "reasons"),
    [
        (date(2026, 5, 31), ("five_year_rule",)),
        (date(2026, 6, 1), ()),  # five years after 1.6.2021
    ],
)
def test_it_allows_one_withdrawal_every_five_years(on, reasons):
    # After the 50th birthday the benefit at 50 is an input (here the whole current one).
    result = wef(
        request(date=on, last_withdrawal_date=date(2021, 6, 1), vested_benefit_at_50=D(300000))
    )
    assert result.reasons == reasons


@pytest.mark.parametrize(
    ("on", "reference_age", "plan", "reasons"),
    [
        (date(2037, 6, 15), 65, Plan(), ()),  # the 62nd birthday itself
        (date(2037, 6, 16), 65, Plan(), ("too_close_to_retirement",)),
        (date(2036, 6, 16), 64, Plan(), ("too_close_to_retirement",)),
        (date(2040, 6, 15), 65, Plan(wef_cutoff_years=0), ()),  # the plan's cut-off
    ],
)
def test_it_stops_three_years_before_the_reference_age(on, reference_age, plan, reasons):
    result = wef(
        request(date=on, reference_age=reference_age, plan=plan, vested_benefit_at_50=D(300000))
    )
    assert result.reasons == reasons
    assert result.allowed is (reasons == ())


# Cut-off counted in months (AHV 21): reference age - 3 years. All born on 15 March.
#   woman 1962: 64 y 6 m = 774 months - 36 = 738 = 61 y 6 m -> 15.3.1962 + 61 y 6 m = 15.9.2023
#   man 1962: 65 y = 780 - 36 = 744 = 62 y -> 15.3.2024
#   woman 1964: 65 y = 780 - 36 = 744 = 62 y -> 15.3.2026
#   woman 1961: 64 y 3 m = 771 - 36 = 735 = 61 y 3 m -> 15.6.2022
#   woman 1963: 64 y 9 m = 777 - 36 = 741 = 61 y 9 m -> 15.12.2024
#   woman 1960: 64 y = 768 - 36 = 732 = 61 y -> 15.3.2021
@pytest.mark.parametrize(
    ("sex", "born", "latest"),
    [
        ("F", date(1962, 3, 15), date(2023, 9, 15)),
        ("M", date(1962, 3, 15), date(2024, 3, 15)),
        ("F", date(1964, 3, 15), date(2026, 3, 15)),
        ("F", date(1961, 3, 15), date(2022, 6, 15)),
        ("F", date(1963, 3, 15), date(2024, 12, 15)),
        ("F", date(1960, 3, 15), date(2021, 3, 15)),
    ],
)
def test_the_cut_off_counts_the_reference_age_in_months(sex, born, latest):
    months = reference_age_months(born, sex)

    def on(day: date):
        return wef(
            request(
                date=day,
                birth_date=born,
                reference_age_months=months,
                vested_benefit_at_50=D(300000),
            )
        )

    last = on(latest)
    assert last.latest_withdrawal_date == latest
    assert last.reasons == ()  # the last possible day
    refused = on(latest + timedelta(days=1))
    assert refused.reasons == ("too_close_to_retirement",)  # the first refused day
    assert refused.allowed is False


@pytest.mark.parametrize(
    ("born", "months", "latest"),
    [
        # 31.5.1963 + 61 y 9 m -> "31.2.2025" -> 28.2.2025 (art. 77 OR: last day of the month)
        (date(1963, 5, 31), 777, date(2025, 2, 28)),
        # 31.8.1962 + 61 y 6 m -> "31.2.2024" -> 29.2.2024 (leap year)
        (date(1962, 8, 31), 774, date(2024, 2, 29)),
    ],
)
def test_a_cut_off_on_a_day_the_month_lacks_is_its_last_day(born, months, latest):
    result = wef(
        request(
            date=date(2020, 1, 1),
            birth_date=born,
            reference_age_months=months,
            vested_benefit_at_50=D(300000),
        )
    )
    assert result.latest_withdrawal_date == latest


def test_the_reference_age_in_months_overrides_the_one_in_years():
    # 64 y 6 m with a 3-year cut-off: 15.6.1975 + 61 y 6 m = 15.12.2036 (not 15.6.2037 at 65)
    result = wef(request(reference_age=65, reference_age_months=774))
    assert result.latest_withdrawal_date == date(2036, 12, 15)


def test_it_deducts_buy_ins_of_the_last_three_years():
    on = date(2026, 6, 14)
    buy_ins = (
        BuyInPayment(date(2023, 6, 15), D(10000)),  # locked until 15.6.2026: counts
        BuyInPayment(date(2023, 6, 14), D(20000)),  # lock ended on 14.6.2026: free
        BuyInPayment(date(2025, 1, 1), D(30000)),
    )
    # Aged 50 years and 364 days: limited, but a = 300,000 (at 50) keeps the whole benefit.
    result = wef(request(date=on, buy_ins=buy_ins, vested_benefit_at_50=D(300000)))
    assert result.recent_buy_ins == D("40000.00")
    assert result.max_withdrawal == D("260000.00")  # 300,000 - 40,000


def test_it_says_when_the_request_exceeds_the_maximum():
    result = wef(request(requested_amount=D("300000.01")))
    assert result.reasons == ("exceeds_maximum",)
    assert result.allowed is False


def test_recent_buy_ins_larger_than_the_benefit_leave_nothing():
    result = wef(request(buy_ins=(BuyInPayment(date(2024, 1, 1), D(400000)),)))
    assert result.max_withdrawal == D("0.00")


def test_it_lists_every_reason_at_once():
    result = wef(
        request(
            date=date(2038, 1, 1),
            last_withdrawal_date=date(2037, 1, 1),
            requested_amount=D(10000),
            vested_benefit=D(5000),
            vested_benefit_at_50=D(0),
        )
    )
    assert result.reasons == (
        "too_close_to_retirement",
        "five_year_rule",
        "below_minimum",
        "exceeds_maximum",
    )


def test_someone_born_on_29_february_turns_50_on_28_february():
    result = wef(
        request(
            birth_date=date(1976, 2, 29), date=date(2027, 2, 28), vested_benefit_at_50=D(100000)
        )
    )
    assert result.age == 51


@pytest.mark.parametrize(
    ("kwargs", "fields"),
    [
        ({"requested_amount": D(0)}, {"requested_amount"}),
        ({"vested_benefit": D(-1)}, {"vested_benefit"}),
        ({"purpose": "holiday"}, {"purpose"}),
        ({"last_withdrawal_date": date(2025, 1, 2)}, {"last_withdrawal_date"}),
        (
            {"buy_ins": (BuyInPayment(date(2025, 1, 2), D(-1)),)},
            {"buy_ins[0].date", "buy_ins[0].amount"},
        ),
        ({"reference_age": 49}, {"reference_age"}),
        ({"reference_age_months": 599}, {"reference_age_months"}),
        ({"reference_age_months": 841}, {"reference_age_months"}),
        ({"birth_date": date(2025, 1, 2)}, {"birth_date"}),
        ({"date": date(2200, 1, 1), "vested_benefit_at_50": D(0)}, {"date"}),
    ],
)
def test_it_rejects_bad_input_naming_each_field(kwargs, fields):
    with pytest.raises(SimulationError) as exc:
        request(**kwargs)
    assert set(exc.value.errors) == fields
