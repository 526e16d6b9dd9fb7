from __future__ import annotations

import pytest

from simulations.engine import (
    SimulationError,
    ahv_compact,
    ahv_format,
    ahv_is_valid,
    ahv_normalize,
)


@pytest.mark.parametrize(
    "number",
    [
        "756.1234.5678.97",
        "7561234567897",
        "756 1234 5678 97",
        " 756.1234.5678.97 ",
        "756.9217.0769.85",
    ],
)
def test_it_accepts_a_valid_number_with_or_without_dots_and_spaces(number):
    assert ahv_is_valid(number)
    assert ahv_normalize(number) == ahv_format(number)
    assert ahv_format(number).count(".") == 3


def test_it_formats_as_the_zas_shows_it():
    assert ahv_format("7561234567897") == "756.1234.5678.97"
    assert ahv_compact("756.1234.5678.97") == "7561234567897"


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("756.1234.5678.98", "has a wrong check digit"),
        ("757.1234.5678.97", "must start with 756"),
        ("756.1234.5678", "must have 13 digits (756.1234.5678.97)"),
        ("", "must have 13 digits (756.1234.5678.97)"),
        ("756.1234.5678.9x", "must contain only digits, dots and spaces"),
        # stdnum lets a dash pass (and then checks 12 digits): not an AHV number.
        ("7561234567-97", "must contain only digits, dots and spaces"),
        ("756١٢٣٤٥٦٧٨٩٧", "must contain only digits, dots and spaces"),
    ],
)
def test_it_rejects_an_invalid_number_with_a_reason(number, message):
    assert not ahv_is_valid(number)
    assert ahv_normalize(number) is None
    with pytest.raises(SimulationError) as exc:
        ahv_format(number)
    assert exc.value.errors == {"number": [message]}


def test_it_names_the_field_given():
    with pytest.raises(SimulationError) as exc:
        ahv_format("1", field="ahv_number")
    assert list(exc.value.errors) == ["ahv_number"]
