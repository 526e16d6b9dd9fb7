from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()


def format_chf_amount(value) -> str:
    """1234.5 -> 1'234.50 (Swiss grouping with an apostrophe, always two decimals)."""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError):
        return ""
    sign = "-" if amount < 0 else ""
    whole, _, cents = f"{abs(amount):.2f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + "'".join(groups) + "." + cents


@register.filter
def chf(value) -> str:
    if value is None or value == "":
        return "–"
    formatted = format_chf_amount(value)
    return f"CHF {formatted}" if formatted else "–"


@register.filter
def amount(value) -> str:
    return format_chf_amount(value) if value not in (None, "") else "–"


@register.filter
def percent(value, digits: int = 2) -> str:
    try:
        return f"{Decimal(str(value)) * 100:.{int(digits)}f} %"
    except (InvalidOperation, ValueError, TypeError):
        return ""


@register.filter
def thousands(value) -> str:
    """1880 -> 1'880."""
    try:
        return f"{int(value):,}".replace(",", "'")
    except (TypeError, ValueError):
        return ""
