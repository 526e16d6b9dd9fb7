"""Small filters for the insured portal: values stored as JSON strings back to dates/amounts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django import template

from policies import swiss

register = template.Library()


@register.filter
def isodate(value):
    """'2026-12-31' -> date, so |date:"d.m.Y" can format it."""
    if isinstance(value, date) or not value:
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


@register.filter
def dec(value):
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


@register.filter
def pct(value, digits=1):
    """A share as stored ("0.30") -> "30.0 %"; rates like 0.068 -> "6.80 %" with digits=2."""
    return swiss.percent(value, digits)


@register.filter
def index(sequence, position):
    try:
        return sequence[int(position)]
    except (IndexError, TypeError, ValueError, KeyError):
        return None
