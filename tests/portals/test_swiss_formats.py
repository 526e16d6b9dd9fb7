from __future__ import annotations

import pytest

from portals.templatetags.swiss import chf, thousands


@pytest.mark.parametrize(
    "value,expected",
    [(1234.5, "CHF 1'234.50"), ("0", "CHF 0.00"), ("-1234567.005", "CHF -1'234'567.01"),
     ("999.995", "CHF 1'000.00"), (None, "–"), ("abc", "–")],
)
def test_chf_uses_apostrophes_and_two_decimals(value, expected):
    assert chf(value) == expected


@pytest.mark.parametrize("value,expected", [(1880, "1'880"), (0, "0"), (2000000, "2'000'000")])
def test_counts_are_grouped_with_apostrophes(value, expected):
    assert thousands(value) == expected
