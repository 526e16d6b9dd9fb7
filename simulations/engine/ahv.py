"""AHV number (AHVN13): 756 + 9 digits + EAN-13 check digit, shown as 756.1234.5678.97."""

from __future__ import annotations

from stdnum.ch import ssn
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength, ValidationError

from .errors import SimulationError


def ahv_compact(number: str) -> str:
    """Digits only, for storage and lookups (dots and spaces dropped, not validated)."""
    return ssn.compact(number)


def ahv_is_valid(number: str) -> bool:
    compact = ahv_compact(number)
    # stdnum drops a dash after its length check ("7561234567-97" passes with 12 digits).
    return len(compact) == 13 and compact.isascii() and compact.isdigit() and ssn.is_valid(compact)


def ahv_normalize(number: str) -> str | None:
    """The number as 756.1234.5678.97, or None when it is not a valid AHV number."""
    return ssn.format(number) if ahv_is_valid(number) else None


def ahv_format(number: str, field: str = "number") -> str:
    """Like :func:`ahv_normalize` but an invalid number is a domain error."""
    formatted = ahv_normalize(number)
    if formatted is None:
        try:
            ssn.validate(number)
            message = "must contain only digits, dots and spaces"
        except InvalidLength:
            message = "must have 13 digits (756.1234.5678.97)"
        except InvalidComponent:
            message = "must start with 756"
        except InvalidChecksum:
            message = "has a wrong check digit"
        except ValidationError:  # InvalidFormat
            message = "must contain only digits, dots and spaces"
        raise SimulationError.single(field, message)
    return formatted
