"""Swiss formats in templates: thin filters over policies.swiss, the one Django-free module the
PDFs and charts use too."""

from __future__ import annotations

from django import template

from policies import swiss

register = template.Library()


@register.filter
def chf(value) -> str:
    """1234.5 -> CHF 1'234.50; – for nothing."""
    return swiss.chf(value)


@register.filter
def amount(value) -> str:
    """1234.5 -> 1'234.50 (a column headed CHF); – for nothing."""
    return swiss.amount(value) or swiss.DASH


@register.filter
def percent(value, digits: int = 2) -> str:
    """A share as stored (0.068) -> 6.80 %."""
    return swiss.percent(value, digits)


@register.filter
def thousands(value) -> str:
    """1880 -> 1'880."""
    return swiss.thousands(value)


@register.filter
def swiss_date(value) -> str:
    """31.12.2026; – for no date."""
    return swiss.day(value)


@register.filter
def ahv_masked(value) -> str:
    return swiss.ahv_masked(value)


@register.filter
def phone(value) -> str:
    return swiss.phone(value)


@register.filter
def phone_masked(value) -> str:
    return swiss.phone_masked(value)
