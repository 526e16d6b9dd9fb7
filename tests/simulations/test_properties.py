from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulations.cli import main
from simulations.engine import (
    TOO_CLOSE_TO_RETIREMENT,
    BuyInInput,
    BuyInPayment,
    CreditBand,
    Plan,
    ProjectionInput,
    WefInput,
    buy_in,
    project,
    wef,
)
from simulations.engine.dates import add_years
from simulations.engine.rounding import money as money_round

# No example database: tests must not leave files in the work tree.
FAST = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def money(high: int = 2_000_000) -> st.SearchStrategy[Decimal]:
    return st.integers(0, high * 100).map(lambda cents: Decimal(cents) / 100)


def rate(high: str) -> st.SearchStrategy[Decimal]:
    return st.integers(0, int(Decimal(high) * 10000)).map(lambda bp: Decimal(bp) / 10000)


plans = st.builds(
    Plan,
    savings_credits=st.sampled_from(
        [
            Plan().savings_credits,
            (),
            (CreditBand(18, 70, Decimal("0.2")),),
            (CreditBand(25, 44, Decimal("0.08")), CreditBand(45, 64, Decimal("0.16"))),
        ]
    ),
    projection_interest=st.none() | rate("0.05"),
    conversion_rate_at_reference=rate("0.08"),
    max_lump_sum_share=st.sampled_from([Decimal(1), Decimal("0.5"), Decimal(0)]),
    cap_at_upper_limit=st.booleans(),
    deduction_share=rate("1"),
)


@st.composite
def projection_inputs(draw: st.DrawFn) -> ProjectionInput:
    year = draw(st.integers(2021, 2026))
    age = draw(st.integers(18, 70))
    plan = draw(plans)
    return ProjectionInput(
        year=year,
        birth_date=date(year - age, draw(st.integers(1, 12)), 1),
        sex=draw(st.sampled_from(["M", "F"])),
        annual_salary=draw(money(400_000)),
        savings_capital=draw(money()),
        interest_rate=draw(st.none() | rate("0.06")),
        retirement_age=draw(st.integers(max(58, age), 70)),
        lump_sum_share=draw(rate("1")) * plan.max_lump_sum_share,
        conversion_rate=draw(st.none() | rate("0.08")),
        insured_salary=draw(st.none() | money(400_000)),
        plan=plan,
    )


@FAST
@given(projection_inputs(), money())
def test_more_capital_never_gives_less_pension(inp, extra):
    richer = replace(inp, savings_capital=inp.savings_capital + extra)
    assert project(richer).annual_pension >= project(inp).annual_pension


@FAST
@given(projection_inputs())
def test_a_projection_never_reports_less_than_the_bvg_pension(inp):
    result = project(inp)
    assert result.annual_pension >= result.bvg_pension
    assert result.capital_at_retirement >= 0
    assert len(result.years) == inp.retirement_age - (inp.year - inp.birth_date.year)


@st.composite
def buy_in_inputs(draw: st.DrawFn) -> BuyInInput:
    year = draw(st.integers(2021, 2026))
    birth_year = year - draw(st.integers(18, 70))
    return BuyInInput(
        year=year,
        birth_date=date(birth_year, 1, 1),
        annual_salary=draw(money(400_000)),
        savings_capital=draw(money()),
        insured_salary=draw(st.none() | money(400_000)),
        interest_rate=draw(st.none() | rate("0.05")),
        max_capital=draw(st.none() | money(3_000_000)),
        pillar3a_balance=draw(money(300_000)),
        pillar3a_max=draw(st.none() | money(300_000)),
        vested_benefits_not_transferred=draw(money(200_000)),
        retirement_benefits_drawn=draw(money(200_000)),
        wef_outstanding=draw(money(200_000)),
        wef_repayable=draw(st.booleans()),
        first_swiss_affiliation_year=draw(st.none() | st.integers(birth_year, year)),
        amount=draw(st.none() | money(500_000)),
        marginal_tax_rate=draw(st.none() | rate("0.5")),
        plan=draw(plans),
    )


@FAST
@given(buy_in_inputs())
def test_the_max_buy_in_is_never_negative_nor_above_its_bounds(inp):
    result = buy_in(inp)
    assert Decimal(0) <= result.max_buy_in
    assert result.max_buy_in <= max(Decimal(0), result.max_capital - inp.savings_capital)
    if result.annual_cap is not None:
        assert result.max_buy_in <= result.annual_cap
    if result.blocked_reason is not None:
        assert result.max_buy_in == 0
    if result.tax_saving is not None:
        assert result.tax_saving <= result.max_buy_in * inp.marginal_tax_rate + Decimal("0.005")


@st.composite
def wef_inputs(draw: st.DrawFn) -> WefInput:
    birth = date(draw(st.integers(1950, 2000)), draw(st.integers(1, 12)), 1)
    on = date(
        birth.year + draw(st.integers(18, 70)), draw(st.integers(1, 12)), draw(st.integers(1, 28))
    )
    buy_ins = draw(
        st.lists(
            st.builds(
                BuyInPayment,
                date=st.integers(0, 2000).map(
                    lambda d: date.fromordinal(max(birth.toordinal(), on.toordinal() - d))
                ),
                amount=money(100_000),
            ),
            max_size=3,
        )
    )
    return WefInput(
        date=on,
        birth_date=birth,
        vested_benefit=draw(money()),
        requested_amount=draw(money()).max(Decimal("0.01")),
        vested_benefit_at_50=draw(money()),
        repaid_after_50=draw(money(100_000)),
        withdrawn_after_50=draw(money(500_000)),
        used_for_housing=draw(money(500_000)),
        purpose=draw(st.sampled_from(["ownership", "cooperative"])),
        last_withdrawal_date=draw(st.none() | st.just(birth)),
        buy_ins=tuple(buy_ins),
        reference_age=draw(st.integers(60, 70)),
        reference_age_months=draw(st.none() | st.integers(60 * 12, 70 * 12)),
    )


@FAST
@given(wef_inputs())
def test_the_wef_maximum_is_never_negative_nor_above_the_vested_benefit(inp):
    result = wef(inp)
    assert Decimal(0) <= result.max_withdrawal <= inp.vested_benefit
    assert result.allowed is (result.reasons == ())
    assert result.allowed is False or inp.requested_amount <= result.max_withdrawal


@FAST
@given(wef_inputs())
def test_the_latest_withdrawal_date_is_allowed_and_the_next_day_is_not(inp):
    latest = wef(inp).latest_withdrawal_date
    assert TOO_CLOSE_TO_RETIREMENT not in wef(replace(inp, date=latest, buy_ins=())).reasons
    refused = wef(replace(inp, date=latest + timedelta(days=1), buy_ins=()))
    assert TOO_CLOSE_TO_RETIREMENT in refused.reasons


@FAST
@given(wef_inputs())
def test_the_whole_benefit_is_available_up_to_the_50th_birthday_and_limited_after(inp):
    birthday = add_years(inp.birth_date, 50)
    on_birthday = wef(replace(inp, date=birthday, buy_ins=()))
    assert on_birthday.max_withdrawal == inp.vested_benefit
    after = wef(replace(inp, date=birthday + timedelta(days=1), buy_ins=()))
    a = inp.vested_benefit_at_50 + inp.repaid_after_50 - inp.withdrawn_after_50
    b = (inp.vested_benefit - inp.used_for_housing) / 2
    assert after.max_withdrawal == money_round(max(Decimal(0), min(inp.vested_benefit, max(a, b))))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [
    "year",
    "birth_date",
    "sex",
    "annual_salary",
    "savings_capital",
    "interest_rate",
    "retirement_age",
    "lump_sum_share",
    "conversion_rate",
    "insured_salary",
    "max_capital",
    "pillar3a_balance",
    "pillar3a_max",
    "wef_outstanding",
    "wef_repayable",
    "first_swiss_affiliation_year",
    "amount",
    "marginal_tax_rate",
    "date",
    "vested_benefit",
    "requested_amount",
    "vested_benefit_at_50",
    "purpose",
    "last_withdrawal_date",
    "buy_ins",
    "reference_age",
    "reference_age_months",
    "number",
]
plausible = (
    st.integers(-5, 3000)
    | st.sampled_from(
        [
            "2025",
            "1970-05-31",
            "2025-02-29",
            "M",
            "F",
            "0.0125",
            "-1",
            "50000.00",
            "1e9",
            "ownership",
            "756.1234.5678.97",
            "",
            True,
            False,
            None,
        ]
    )
    | st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str)
    | st.dates(min_value=date(1, 1, 1)).map(date.isoformat)
    | st.lists(
        st.fixed_dictionaries(
            {"date": st.dates().map(date.isoformat), "amount": st.integers(-10, 10**6)}
        ),
        max_size=2,
    )
)
KIND = st.sampled_from(["coordinated-salary", "projection", "buy-in", "wef", "ahv"])


def call(kind: str, text: str) -> tuple[int, object]:
    out = io.StringIO()
    status = main([kind], io.StringIO(text), out)
    return status, json.loads(out.getvalue())


@settings(max_examples=200, deadline=None, database=None)
@given(KIND, json_values)
def test_the_cli_never_crashes_on_arbitrary_json(kind, value):
    status, out = call(kind, json.dumps(value))
    assert status in {0, 2}
    assert isinstance(out, dict)
    if status == 2:
        assert set(out) == {"errors"}


@settings(max_examples=300, deadline=None, database=None)
@given(KIND, st.dictionaries(st.sampled_from(FIELDS), plausible, max_size=14))
def test_the_cli_never_crashes_on_almost_valid_input(kind, value):
    status, out = call(kind, json.dumps(value))
    assert status in {0, 2}
    assert status == 0 or all(isinstance(m, str) for msgs in out["errors"].values() for m in msgs)


@settings(max_examples=100, deadline=None, database=None)
@given(KIND, st.text(max_size=40))
def test_the_cli_never_crashes_on_arbitrary_text(kind, text):
    assert call(kind, text)[0] in {0, 2}


VALID = {
    "coordinated-salary": {"year": 2025, "annual_salary": "50000"},
    "projection": {
        "year": 2025,
        "birth_date": "1980-05-31",
        "sex": "F",
        "annual_salary": "80000",
        "savings_capital": "150000",
    },
    "buy-in": {
        "year": 2025,
        "birth_date": "1980-05-31",
        "annual_salary": "80000",
        "savings_capital": "150000",
        "amount": "10000",
        "marginal_tax_rate": "0.3",
    },
    "wef": {
        "date": "2025-06-01",
        "birth_date": "1970-05-31",
        "vested_benefit": "300000",
        "requested_amount": "50000",
        "vested_benefit_at_50": "200000",
    },
    "ahv": {"number": "756.1234.5678.97"},
}


@settings(max_examples=300, deadline=None, database=None)
@given(KIND, st.dictionaries(st.sampled_from(FIELDS), plausible, max_size=3))
def test_the_cli_answers_valid_input_changed_in_a_few_fields(kind, changes):
    status, out = call(kind, json.dumps(VALID[kind] | changes))
    assert status in {0, 2}
    assert (status == 0) is ("errors" not in out)


def test_the_valid_documents_are_valid():
    assert {kind: call(kind, json.dumps(doc))[0] for kind, doc in VALID.items()} == dict.fromkeys(
        VALID, 0
    )
