"""Policy numbers as people type them all lead to the stored form (one function)."""

from __future__ import annotations

import pytest

from policies.selectors import policy_number_normalize


@pytest.mark.parametrize("typed,stored", [
    ("P-700001", "P-700001"),
    ("p-700001", "P-700001"),
    ("P700001", "P-700001"),
    ("p 700 001", "P-700001"),
    ("  P.700.001 ", "P-700001"),
    ("P/700/001", "P-700001"),
    ("P’700’001", "P-700001"),
    ("700001", "P-700001"),
    ("700 001", "P-700001"),
    ("LV-123456", "LV-123456"),
])
def test_it_accepts_a_number_with_or_without_separators(typed, stored):
    assert policy_number_normalize(typed) == stored


@pytest.mark.parametrize("typed", [
    "", None, "P-", "abc", "P-12", "P-70000A", "PPPP-700001", "' OR 1=1 --",
    "<script>", "P-7000010000000", "1" * 10_000, "P-700001; DROP TABLE", "\x00700001",
])
def test_it_refuses_what_cannot_be_a_policy_number(typed):
    assert policy_number_normalize(typed) is None
