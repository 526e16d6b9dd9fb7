"""Swiss formats a person reads (STYLE.md 14), in plain Python: no Django, so the PDFs, the SVG
charts, the template filters (portals/templatetags/swiss.py) and the form fields
(portals/common/fields.py) all spell a number, a date or an AHV number the same way.

Formatting never raises: a value that cannot be shown gives "" (or "–" where a cell must not
look empty).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum.ch import ssn

DASH = "–"  # an empty cell in a table or a letter


def _decimal(value) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def group(whole: str) -> str:
    """'1234567' -> "1'234'567"."""
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return "'".join(groups)


def amount(value, *, decimals: int = 2) -> str:
    """1234.5 -> "1'234.50" (apostrophe grouping, rounded half up); "" if not a number."""
    number = _decimal(value)
    if number is None:
        return ""
    quantum = Decimal(1).scaleb(-decimals)
    number = number.quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if number < 0 else ""
    whole, _, cents = f"{abs(number):.{decimals}f}".partition(".")
    return sign + group(whole) + ("." + cents if cents else "")


def chf(value) -> str:
    """1234.5 -> "CHF 1'234.50"; "–" for nothing or not a number."""
    formatted = amount(value)
    return f"CHF {formatted}" if formatted else DASH


def thousands(value) -> str:
    """1880 -> "1'880" (counts, years of service): no decimals."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return ""
    return ("-" if number < 0 else "") + group(str(abs(number)))


def percent(share, digits: int = 2) -> str:
    """A share as stored (0.068) -> "6.80 %"; "" if not a number."""
    number = _decimal(share)
    if number is None:
        return ""
    try:
        digits = int(digits)
    except (TypeError, ValueError):
        digits = 2
    return f"{number * 100:.{digits}f} %"


def number(value) -> str:
    """A typed figure without trailing zeros: Decimal("25.0") -> "25", 12.50 -> "12.5"."""
    figure = _decimal(value)
    if figure is None:
        return ""
    text = f"{figure:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def day(value: date | datetime | None) -> str:
    """31.12.2026; "–" for no date."""
    if not isinstance(value, date):
        return DASH
    return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"


_DATE = re.compile(r"\s*(\d{1,2})\s*[./\s-]\s*(\d{1,2})\s*[./\s-]\s*(\d{2}|\d{4})\s*")
_ISO = re.compile(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*")
EARLIEST_YEAR, LATEST_YEAR = 1900, 2199  # beyond: a typing error, and date arithmetic overflows


class NotADate(ValueError):
    """The text is not a date at all (reason "format") or names a day that does not exist
    (reason "day"), such as 31.02.2026."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_day(text: str, *, today: date, past: bool = False) -> date:
    """A date as people type it: 31.12.2026, 1.2.26, 31/12/2026, 31 12 2026 or 2026-12-31.

    A two-digit year is read in the century that makes sense: for a date in the past (a birth
    date, past=True) the latest such year not after today; otherwise the nearest one within
    twenty years ahead (so 1.7.65 is 1965 and 1.7.30 is 2030).
    """
    match = _DATE.fullmatch(text or "")
    if match:
        d, m, y = (int(part) for part in match.groups())
        if len(match.group(3)) == 2:
            y += 2000
            if y > today.year + (0 if past else 20):
                y -= 100
    else:
        match = _ISO.fullmatch(text or "")
        if not match:
            raise NotADate("format")
        y, m, d = (int(part) for part in match.groups())
    if not EARLIEST_YEAR <= y <= LATEST_YEAR:
        raise NotADate("day")
    try:
        return date(y, m, d)
    except ValueError:
        raise NotADate("day") from None


def ahv(value: str) -> str:
    """Any spelling of a valid AHV number -> 756.1234.5678.97; the text unchanged otherwise."""
    try:
        return ssn.format(ssn.validate(value or ""))
    except Exception:
        return value or ""


def ahv_masked(value: str) -> str:
    """756.****.****.97: enough to recognise one's own number, not to use someone else's."""
    digits = re.sub(r"\D", "", value or "")
    return f"756.****.****.{digits[-2:]}" if len(digits) == 13 else DASH


def iban(value: str) -> str:
    """CH9300762011623852957 -> "CH93 0076 2011 6238 5295 7"."""
    return stdnum_iban.format(value or "")


def iban_masked(value: str) -> str:
    """CH93 **** **** 2957: the bank account recognisable but not readable on a shared
    screen."""
    compact = stdnum_iban.compact(value or "")
    return f"{compact[:4]} **** **** {compact[-4:]}" if len(compact) > 8 else DASH


def _phone(value: str) -> phonenumbers.PhoneNumber | None:
    try:
        parsed = phonenumbers.parse(str(value or ""), "CH")
    except phonenumbers.NumberParseException:
        return None
    return parsed if phonenumbers.is_possible_number(parsed) else None


def phone(value: str) -> str:
    """+41791234567 -> "+41 79 123 45 67"; the text unchanged if it is no phone number."""
    parsed = _phone(value)
    if parsed is None:
        return str(value or "")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_masked(value: str) -> str:
    """+41791234567 -> "+41 79 *** ** 67": the country, the network and the last two digits,
    so a person recognises their own number and nobody else learns it."""
    parsed = _phone(value)
    if parsed is None:
        return DASH
    groups = phone(value).split(" ")
    if len(groups) < 3:
        return DASH
    hidden = [re.sub(r"\d", "*", g) for g in groups[2:]]
    hidden[-1] = hidden[-1][:-2] + groups[-1][-2:]
    return " ".join(groups[:2] + hidden)
