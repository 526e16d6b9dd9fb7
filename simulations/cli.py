"""JSON command line of the simulation engine: ``python -m simulations KIND``.

One JSON object in on stdin, one JSON object out on stdout; KIND is one of
``coordinated-salary``, ``projection``, ``buy-in``, ``wef``, ``ahv`` (fields in shared/BVG.md).

Choices:
- Money and rates may be given as JSON strings ("33540.00", "0.0125"), JSON integers, or JSON
  numbers with a fraction. The JSON text is parsed with ``Decimal``, so ``1234.55`` keeps its
  exact digits: no binary float is ever created. Strings must be plain decimals (digits, an
  optional sign and point; no exponent, no separators). NaN and Infinity are invalid JSON.
- Integers (year, ages) must be JSON integers; dates are ISO strings "YYYY-MM-DD"; booleans
  must be JSON true/false. ``null`` for an optional field means "use the default".
- Unknown fields are rejected, so a misspelt option never silently falls back to a default.
- Output: money as strings with 2 decimals, rates as plain decimal strings ("0.068"), dates
  ISO; beyond the contract, projection adds ``bvg_capital_at_retirement``, ``bvg_pension``,
  ``bvg_minimum_applied`` (art. 14 shadow check); buy-in adds ``reasons`` (codes, e.g.
  "exceeds_maximum" when ``amount`` is above the maximum: it is reported, never clipped),
  ``capital_locked_until``, ``pillar3a_max``; wef adds ``age`` and ``latest_withdrawal_date``;
  buy-in accepts an optional ``date`` of payment (default 31 December of ``year``; not before
  ``year``), from which the 3-year capital lock runs; wef accepts ``reference_age_months``
  instead of ``reference_age`` for a reference age with months (AHV 21: 774 = 64 y 6 m for a
  woman born 1962), as the cut-off counts months; giving both is an error.
- Exit 0 on success; exit 2 with ``{"errors": {"field": ["message", ...]}}`` on bad input
  ("input" for the document itself, "kind" for the command line, nested fields as
  ``buy_ins[0].date``). An invalid AHV number is a result (``valid: false``), not bad input.
  A bug exits 1 with ``{"errors": {"__all__": ["internal error"]}}`` and the traceback on stderr.
"""

from __future__ import annotations

import json
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, TextIO

from simulations import engine

MAX_INPUT_CHARS = 1_000_000
_DECIMAL = re.compile(r"[+-]?[0-9]{1,20}(\.[0-9]{1,20})?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class _Invalid(Exception):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class _BadInput(Exception):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


Parser = Callable[[Any], Any]


def _decimal(value: Any, example: str) -> Decimal:
    if isinstance(value, bool):
        raise _Invalid(f'must be a number, e.g. "{example}", not true/false')
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        return Decimal(value)
    raise _Invalid(f'must be a decimal number as a string, e.g. "{example}"')


def _money(value: Any) -> Decimal:
    return _decimal(value, "1234.50")


def _rate(value: Any) -> Decimal:
    return _decimal(value, "0.0125")


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid("must be an integer")
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid("must be true or false")
    return value


def _date(value: Any) -> date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise _Invalid('must be a date as "YYYY-MM-DD"')
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _Invalid("is not a valid date") from None


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid("must be a string")
    return value


def _choice(*choices: str) -> Parser:
    def parse(value: Any) -> str:
        if not isinstance(value, str) or value not in choices:
            raise _Invalid(f"must be one of: {', '.join(choices)}")
        return value

    return parse


def _buy_ins(value: Any) -> tuple[engine.BuyInPayment, ...]:
    if not isinstance(value, list):
        raise _Invalid('must be a list of {"date": ..., "amount": ...}')
    errors: dict[str, list[str]] = {}
    payments = []
    for index, item in enumerate(value):
        kwargs = _parse(
            item,
            {"date": (_date, True), "amount": (_money, True)},
            errors,
            prefix=f"buy_ins[{index}].",
        )
        if kwargs is not None:
            payments.append(engine.BuyInPayment(**kwargs))
    if errors:
        raise _BadInput(errors)
    return tuple(payments)


Spec = dict[str, tuple[Parser, bool]]


def _parse(
    data: Any, spec: Spec, errors: dict[str, list[str]], prefix: str = ""
) -> dict[str, Any] | None:
    """Keyword arguments for an engine input, or None with ``errors`` filled in."""
    if not isinstance(data, dict):
        errors.setdefault(prefix.rstrip(".") or "input", []).append("must be a JSON object")
        return None
    before = len(errors)
    kwargs: dict[str, Any] = {}
    for key in data:
        if key not in spec:
            errors.setdefault(prefix + key, []).append("unknown field")
    for name, (parser, required) in spec.items():
        value = data.get(name)
        if value is None:
            if required:
                errors.setdefault(prefix + name, []).append("this field is required")
            continue
        try:
            kwargs[name] = parser(value)
        except _Invalid as exc:
            errors.setdefault(prefix + name, []).append(exc.message)
        except _BadInput as exc:
            for field, messages in exc.errors.items():
                errors.setdefault(field, []).extend(messages)
    return kwargs if len(errors) == before else None


def _money_out(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _rate_out(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _date_out(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _coordinated_salary(kwargs: dict[str, Any]) -> dict[str, Any]:
    result = engine.coordinated_salary(kwargs["year"], kwargs["annual_salary"])
    return {"insured": result.insured, "coordinated_salary": str(result.coordinated_salary)}


def _projection(kwargs: dict[str, Any]) -> dict[str, Any]:
    result = engine.project(engine.ProjectionInput(**kwargs))
    return {
        "capital_at_retirement": str(result.capital_at_retirement),
        "conversion_rate": _rate_out(result.conversion_rate),
        "annual_pension": str(result.annual_pension),
        "lump_sum": str(result.lump_sum),
        "years": [
            {
                "year": row.year,
                "age": row.age,
                "credit": str(row.credit),
                "interest": str(row.interest),
                "capital": str(row.capital),
            }
            for row in result.years
        ],
        "bvg_capital_at_retirement": str(result.bvg_capital_at_retirement),
        "bvg_pension": str(result.bvg_pension),
        "bvg_minimum_applied": result.bvg_minimum_applied,
    }


def _buy_in(kwargs: dict[str, Any]) -> dict[str, Any]:
    result = engine.buy_in(engine.BuyInInput(**kwargs))
    return {
        "max_capital": str(result.max_capital),
        "max_buy_in": str(result.max_buy_in),
        "annual_cap": _money_out(result.annual_cap),
        "blocked_reason": result.blocked_reason,
        "tax_saving": _money_out(result.tax_saving),
        "reasons": list(result.reasons),
        "capital_locked_until": _date_out(result.capital_locked_until),
        "pillar3a_max": str(result.pillar3a_max),
    }


def _wef(kwargs: dict[str, Any]) -> dict[str, Any]:
    if "reference_age" in kwargs and "reference_age_months" in kwargs:
        raise _BadInput({"reference_age_months": ["give reference_age or this field, not both"]})
    result = engine.wef(engine.WefInput(**kwargs))
    return {
        "max_withdrawal": str(result.max_withdrawal),
        "allowed": result.allowed,
        "reasons": list(result.reasons),
        "age": result.age,
        "latest_withdrawal_date": result.latest_withdrawal_date.isoformat(),
    }


def _ahv(kwargs: dict[str, Any]) -> dict[str, Any]:
    normalized = engine.ahv_normalize(kwargs["number"])
    return {"valid": normalized is not None, "normalized": normalized}


KINDS: dict[str, tuple[Spec, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    "coordinated-salary": (
        {"year": (_integer, True), "annual_salary": (_money, True)},
        _coordinated_salary,
    ),
    "projection": (
        {
            "year": (_integer, True),
            "birth_date": (_date, True),
            "sex": (_choice("M", "F"), True),
            "annual_salary": (_money, True),
            "savings_capital": (_money, True),
            "interest_rate": (_rate, False),
            "retirement_age": (_integer, False),
            "lump_sum_share": (_rate, False),
            "conversion_rate": (_rate, False),
            "insured_salary": (_money, False),
        },
        _projection,
    ),
    "buy-in": (
        {
            "year": (_integer, True),
            "birth_date": (_date, True),
            "annual_salary": (_money, True),
            "savings_capital": (_money, True),
            "insured_salary": (_money, False),
            "interest_rate": (_rate, False),
            "max_capital": (_money, False),
            "pillar3a_balance": (_money, False),
            "pillar3a_max": (_money, False),
            "vested_benefits_not_transferred": (_money, False),
            "retirement_benefits_drawn": (_money, False),
            "wef_outstanding": (_money, False),
            "wef_repayable": (_boolean, False),
            "first_swiss_affiliation_year": (_integer, False),
            "amount": (_money, False),
            "marginal_tax_rate": (_rate, False),
            "date": (_date, False),
        },
        _buy_in,
    ),
    "wef": (
        {
            "date": (_date, True),
            "birth_date": (_date, True),
            "vested_benefit": (_money, True),
            "requested_amount": (_money, True),
            "vested_benefit_at_50": (_money, False),
            "repaid_after_50": (_money, False),
            "withdrawn_after_50": (_money, False),
            "used_for_housing": (_money, False),
            "purpose": (_choice(engine.OWNERSHIP, engine.COOPERATIVE), False),
            "last_withdrawal_date": (_date, False),
            "buy_ins": (_buy_ins, False),
            "reference_age": (_integer, False),
            "reference_age_months": (_integer, False),
        },
        _wef,
    ),
    "ahv": ({"number": (_string, True)}, _ahv),
}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _read(stdin: TextIO) -> Any:
    try:
        text = stdin.read(MAX_INPUT_CHARS + 1)
    except UnicodeDecodeError:
        raise _Invalid("must be UTF-8 text") from None
    if len(text) > MAX_INPUT_CHARS:
        raise _Invalid(f"is larger than {MAX_INPUT_CHARS} characters")
    if not text.strip():
        raise _Invalid("is empty; expected one JSON object")
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise _Invalid(f"is not valid JSON ({exc})") from None


def _run(argv: Sequence[str], stdin: TextIO) -> dict[str, Any]:
    if len(argv) != 1 or argv[0] not in KINDS:
        given = " ".join(argv) or "nothing"
        raise _BadInput({"kind": [f"expected one of {', '.join(KINDS)}; got {given}"]})
    spec, handler = KINDS[argv[0]]
    try:
        data = _read(stdin)
    except _Invalid as exc:
        raise _BadInput({"input": [exc.message]}) from None
    errors: dict[str, list[str]] = {}
    kwargs = _parse(data, spec, errors)
    if kwargs is None:
        raise _BadInput(errors)
    try:
        return handler(kwargs)
    except engine.SimulationError as exc:
        raise _BadInput(exc.errors) from None


def main(
    argv: Sequence[str] | None = None, stdin: TextIO | None = None, stdout: TextIO | None = None
) -> int:
    argv = sys.argv[1:] if argv is None else argv
    stdin = sys.stdin if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    try:
        payload, status = _run(argv, stdin), 0
    except _BadInput as exc:
        payload, status = {"errors": exc.errors}, 2
    except Exception:
        traceback.print_exc(file=sys.stderr)
        payload, status = {"errors": {engine.NON_FIELD: ["internal error"]}}, 1
    stdout.write(json.dumps(payload) + "\n")
    return status
