from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from simulations.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(kind: str | None, payload: object | str) -> tuple[int, dict]:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    out = io.StringIO()
    status = main([] if kind is None else [kind], io.StringIO(text), out)
    return status, json.loads(out.getvalue())


PERSON = {
    "year": 2025,
    "birth_date": "1963-04-10",
    "sex": "M",
    "annual_salary": "50000",
    "savings_capital": "200000",
}


def test_it_computes_the_coordinated_salary():
    assert run("coordinated-salary", {"year": 2025, "annual_salary": "50000"}) == (
        0,
        {"insured": True, "coordinated_salary": "23540.00"},
    )


def test_it_projects_with_rows_for_charts():
    status, out = run("projection", PERSON)
    assert status == 0
    assert out["capital_at_retirement"] == "220465.30"
    assert out["conversion_rate"] == "0.068"
    assert out["annual_pension"] == "14991.64"
    assert out["lump_sum"] == "0.00"
    assert out["years"][1] == {
        "year": 2026,
        "age": 63,
        "credit": "4237.20",
        "interest": "2584.22",
        "capital": "213558.62",
    }
    assert out["bvg_minimum_applied"] is False


def test_it_takes_the_optional_projection_fields():
    status, out = run(
        "projection",
        PERSON
        | {
            "interest_rate": "0.02",
            "retirement_age": 64,
            "lump_sum_share": "0.5",
            "conversion_rate": "0.066",
            "insured_salary": "23540",
        },
    )
    # 200,000 x 1.02 + 4,237.20 = 208,237.20; x 1.02 + 4,237.20 = 216,639.144
    assert status == 0
    assert out["capital_at_retirement"] == "216639.14"
    assert out["lump_sum"] == "108319.57"  # 216,639.144 / 2 = 108,319.572
    assert out["annual_pension"] == "7149.09"  # 108,319.572 x 6.6 % = 7,149.091752
    assert len(out["years"]) == 2


def test_it_computes_a_buy_in():
    status, out = run(
        "buy-in",
        {
            "year": 2025,
            "birth_date": "1995-07-01",
            "annual_salary": "50000",
            "savings_capital": "5000",
            "amount": "4000",
            "marginal_tax_rate": "0.25",
            "date": "2025-06-30",
            "wef_repayable": True,
            "pillar3a_balance": 0,
        },
    )
    assert status == 0
    assert out == {
        "max_capital": "8447.57",
        "max_buy_in": "3447.57",
        "annual_cap": None,
        "blocked_reason": None,
        "tax_saving": "861.89",  # 3,447.57 x 25 %
        "reasons": ["exceeds_maximum"],
        "capital_locked_until": "2028-06-30",
        "pillar3a_max": "43170.15",
    }


def test_it_reports_a_blocked_buy_in():
    status, out = run(
        "buy-in",
        {
            "year": 2025,
            "birth_date": "1970-01-01",
            "annual_salary": "90000",
            "savings_capital": "100000",
            "wef_outstanding": "50000",
            "first_swiss_affiliation_year": 2024,
        },
    )
    assert status == 0
    assert (out["max_buy_in"], out["blocked_reason"], out["annual_cap"]) == (
        "0.00",
        "wef_outstanding",
        "12708.00",
    )  # 20 % x (90,000 - 26,460 = 63,540)


def test_it_checks_a_wef_withdrawal():
    status, out = run(
        "wef",
        {
            "date": "2026-06-15",
            "birth_date": "1975-06-15",
            "vested_benefit": "300000",
            "requested_amount": "200000",
            "vested_benefit_at_50": "150000",
            "buy_ins": [{"date": "2025-01-01", "amount": "10000"}],
            "purpose": "ownership",
            "last_withdrawal_date": "2015-01-01",
            "reference_age": 65,
        },
    )
    # after 50: max(150,000, 300,000 / 2) = 150,000 - 10,000 bought in = 140,000
    assert status == 0
    assert out == {
        "max_withdrawal": "140000.00",
        "allowed": False,
        "reasons": ["exceeds_maximum"],
        "age": 51,
        "latest_withdrawal_date": "2037-06-15",
    }


def test_the_wef_cut_off_takes_a_reference_age_in_months():
    # Woman born 15.3.1962, reference age 64 y 6 m = 774 months; cut-off 3 years before:
    # 61 y 6 m -> 15.9.2023 is the last possible day, 16.9.2023 the first refused one.
    base = {
        "birth_date": "1962-03-15",
        "vested_benefit": "300000",
        "requested_amount": "50000",
        "vested_benefit_at_50": "200000",
        "reference_age_months": 774,
    }
    status, out = run("wef", base | {"date": "2023-09-15"})
    assert (status, out["allowed"], out["latest_withdrawal_date"]) == (0, True, "2023-09-15")
    status, out = run("wef", base | {"date": "2023-09-16"})
    assert (status, out["reasons"]) == (0, ["too_close_to_retirement"])


def test_the_wef_reference_age_is_given_once():
    status, out = run(
        "wef",
        {
            "date": "2023-09-15",
            "birth_date": "1962-03-15",
            "vested_benefit": "300000",
            "requested_amount": "50000",
            "vested_benefit_at_50": "200000",
            "reference_age": 64,
            "reference_age_months": 774,
        },
    )
    assert (status, out) == (
        2,
        {"errors": {"reference_age_months": ["give reference_age or this field, not both"]}},
    )


def test_a_buy_in_paid_after_the_simulated_year_locks_from_its_payment_date():
    status, out = run(
        "buy-in",
        {
            "year": 2025,
            "birth_date": "1995-07-01",
            "annual_salary": "50000",
            "savings_capital": "5000",
            "amount": "1000",
            "date": "2026-02-10",
        },
    )
    assert (status, out["capital_locked_until"]) == (0, "2029-02-10")


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("756 1234 5678 97", {"valid": True, "normalized": "756.1234.5678.97"}),
        ("756.1234.5678.98", {"valid": False, "normalized": None}),
    ],
)
def test_it_checks_an_ahv_number(number, expected):
    assert run("ahv", {"number": number}) == (0, expected)


def test_it_accepts_json_numbers_for_money_exactly():
    # 50,000.05 as a JSON number is read as the exact decimal, never as a binary float.
    assert (
        run("coordinated-salary", {"year": 2025, "annual_salary": 50000})[1]["coordinated_salary"]
        == "23540.00"
    )
    status, out = run("coordinated-salary", '{"year": 2025, "annual_salary": 50000.05}')
    assert (status, out["coordinated_salary"]) == (0, "23540.05")


@pytest.mark.parametrize(
    ("kind", "payload", "errors"),
    [
        ("projection", "", {"input": ["is empty; expected one JSON object"]}),
        ("projection", "  \n", {"input": ["is empty; expected one JSON object"]}),
        ("projection", "[1, 2]", {"input": ["must be a JSON object"]}),
        ("projection", '"text"', {"input": ["must be a JSON object"]}),
        ("ahv", '{"number": NaN}', None),
        ("ahv", "{", None),
        ("ahv", "[" * 100000, None),
        (
            None,
            "{}",
            {
                "kind": [
                    "expected one of coordinated-salary, projection, buy-in, wef, ahv; got nothing"
                ]
            },
        ),
        (
            "pension",
            "{}",
            {
                "kind": [
                    "expected one of coordinated-salary, projection, buy-in, wef, ahv; got pension"
                ]
            },
        ),
        (
            "coordinated-salary",
            {},
            {"year": ["this field is required"], "annual_salary": ["this field is required"]},
        ),
        (
            "coordinated-salary",
            {"year": "2025", "annual_salary": "50'000"},
            {
                "year": ["must be an integer"],
                "annual_salary": ['must be a decimal number as a string, e.g. "1234.50"'],
            },
        ),
        (
            "coordinated-salary",
            {"year": 2025, "annual_salary": True},
            {"annual_salary": ['must be a number, e.g. "1234.50", not true/false']},
        ),
        (
            "coordinated-salary",
            {"year": 2025, "annual_salary": "-1"},
            {"annual_salary": ["must not be negative"]},
        ),
        (
            "coordinated-salary",
            {"year": 2025, "annual_salary": "1e3"},
            {"annual_salary": ['must be a decimal number as a string, e.g. "1234.50"']},
        ),
        (
            "coordinated-salary",
            {"year": 2027, "annual_salary": "1"},
            {"year": ["no BVG parameters for 2027; known years: 2021-2026"]},
        ),
        (
            "coordinated-salary",
            {"year": 2025, "annual_salary": "1", "bonus": 1},
            {"bonus": ["unknown field"]},
        ),
        (
            "projection",
            PERSON | {"birth_date": "1963-02-30", "sex": "m", "retirement_age": 65.0},
            {
                "birth_date": ["is not a valid date"],
                "sex": ["must be one of: M, F"],
                "retirement_age": ["must be an integer"],
            },
        ),
        (
            "projection",
            PERSON | {"birth_date": "10.04.1963", "interest_rate": []},
            {
                "birth_date": ['must be a date as "YYYY-MM-DD"'],
                "interest_rate": ['must be a decimal number as a string, e.g. "0.0125"'],
            },
        ),
        (
            "projection",
            PERSON | {"retirement_age": 57},
            {"retirement_age": ["must be between 58 and 70 under this plan"]},
        ),
        (
            "projection",
            PERSON | {"retirement_age": 71, "lump_sum_share": "1.5"},
            {
                "retirement_age": ["must be between 58 and 70 under this plan"],
                "lump_sum_share": ["must be between 0 and 1"],
            },
        ),
        (
            "buy-in",
            {
                "year": 2025,
                "birth_date": "1995-07-01",
                "annual_salary": "1",
                "savings_capital": "1",
                "wef_repayable": "yes",
            },
            {"wef_repayable": ["must be true or false"]},
        ),
        (
            "wef",
            {
                "date": "2025-01-01",
                "birth_date": "1975-06-15",
                "vested_benefit": "1",
                "requested_amount": "1",
                "buy_ins": {"date": "2024-01-01"},
            },
            {"buy_ins": ['must be a list of {"date": ..., "amount": ...}']},
        ),
        (
            "wef",
            {
                "date": "2025-01-01",
                "birth_date": "1975-06-15",
                "vested_benefit": "1",
                "requested_amount": "1",
                "buy_ins": [3, {"date": "2024-01-01"}],
            },
            {
                "buy_ins[0]": ["must be a JSON object"],
                "buy_ins[1].amount": ["this field is required"],
            },
        ),
        (
            "wef",
            {
                "date": "2025-01-01",
                "birth_date": "1975-06-15",
                "vested_benefit": "1",
                "requested_amount": "1",
                "buy_ins": [{"date": "2026-01-01", "amount": "1"}],
            },
            {"buy_ins[0].date": ["must not be after the withdrawal date"]},
        ),
        ("ahv", {"number": 7561234567897}, {"number": ["must be a string"]}),
        ("ahv", {"number": None}, {"number": ["this field is required"]}),
    ],
)
def test_it_answers_bad_input_with_exit_2_and_errors_by_field(kind, payload, errors):
    status, out = run(kind, payload)
    assert status == 2
    if errors is None:
        assert list(out["errors"]) == ["input"]
        assert out["errors"]["input"][0].startswith("is not valid JSON")
    else:
        assert out == {"errors": errors}


def test_it_refuses_a_huge_input():
    status, out = run("ahv", " " * 1_000_001)
    assert (status, out) == (2, {"errors": {"input": ["is larger than 1000000 characters"]}})


def test_it_refuses_input_that_is_not_utf8():
    stdin = io.TextIOWrapper(io.BytesIO(b'{"number": "\xff"}'), encoding="utf-8")
    out = io.StringIO()
    assert main(["ahv"], stdin, out) == 2
    assert json.loads(out.getvalue()) == {"errors": {"input": ["must be UTF-8 text"]}}


def test_a_bug_exits_1_with_json_and_no_traceback_on_stdout(monkeypatch, capsys):
    def broken(_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setitem(
        sys.modules["simulations.cli"].KINDS, "ahv", ({"number": (str, True)}, broken)
    )
    out = io.StringIO()
    assert main(["ahv"], io.StringIO('{"number": "1"}'), out) == 1
    assert json.loads(out.getvalue()) == {"errors": {"__all__": ["internal error"]}}
    assert "RuntimeError: boom" in capsys.readouterr().err


def python_m(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulations", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_it_runs_as_python_m_simulations():
    done = python_m("coordinated-salary", stdin='{"year": 2025, "annual_salary": "50000"}')
    assert done.returncode == 0
    assert json.loads(done.stdout) == {"insured": True, "coordinated_salary": "23540.00"}
    assert done.stderr == ""


@pytest.mark.parametrize(
    ("args", "stdin"),
    [(("wef",), "not json"), (("ahv",), ""), (("nope",), "{}"), (("projection", "x"), "{}")],
)
def test_python_m_simulations_fails_with_exit_2_and_json(args, stdin):
    done = python_m(*args, stdin=stdin)
    assert done.returncode == 2
    assert "errors" in json.loads(done.stdout)
    assert "Traceback" not in done.stdout + done.stderr


def test_the_engine_and_the_cli_do_not_import_django():
    code = (
        "import sys, simulations.engine, simulations.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "[]"
