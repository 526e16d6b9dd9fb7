from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from simulations.engine import BuyInPayment, Plan, SimulationError, WefInput, wef

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


@pytest.mark.parametrize(
    ("on", "age"),
    [
        (date(2025, 6, 15), 50),  # 50th birthday
        (date(2025, 6, 16), 50),  # 50 + 1 day: still 50 completed years (BVG.md rule)
        (date(2026, 6, 14), 50),  # the day before the 51st birthday
    ],
)
def test_up_to_50_completed_years_the_whole_benefit_can_be_withdrawn(on, age):
    result = wef(request(date=on))
    assert result.age == age
    assert result.max_withdrawal == D("300000.00")


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
    assert wef(request(date=on, last_withdrawal_date=date(2021, 6, 1))).reasons == reasons


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


def test_it_deducts_buy_ins_of_the_last_three_years():
    on = date(2026, 6, 14)
    buy_ins = (
        BuyInPayment(date(2023, 6, 15), D(10000)),  # locked until 15.6.2026: counts
        BuyInPayment(date(2023, 6, 14), D(20000)),  # lock ended on 14.6.2026: free
        BuyInPayment(date(2025, 1, 1), D(30000)),
    )
    result = wef(request(date=on, buy_ins=buy_ins))
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
        ({"birth_date": date(2025, 1, 2)}, {"birth_date"}),
        ({"date": date(2200, 1, 1), "vested_benefit_at_50": D(0)}, {"date"}),
    ],
)
def test_it_rejects_bad_input_naming_each_field(kwargs, fields):
    with pytest.raises(SimulationError) as exc:
        request(**kwargs)
    assert set(exc.value.errors) == fields
