"""Swiss formats in templates: the functions of policies.swiss, the one Django-free module the
PDFs and charts use too.

    {{ amount|chf }} CHF 1'234.50   {{ share|percent:1 }} 6.8 %   {{ count|thousands }} 1'880
    {{ day|swiss_date }} 31.12.2026   {{ ahv|ahv_masked }} 756.****.****.97
    {{ mobile|phone }} +41 79 123 45 67   {{ mobile|phone_masked }} +41 79 *** ** 67
"""

from __future__ import annotations

from django import template

from policies import swiss

register = template.Library()

chf = register.filter("chf", swiss.chf)
percent = register.filter("percent", swiss.percent)
thousands = register.filter("thousands", swiss.thousands)
swiss_date = register.filter("swiss_date", swiss.day)
ahv_masked = register.filter("ahv_masked", swiss.ahv_masked)
phone = register.filter("phone", swiss.phone)
phone_masked = register.filter("phone_masked", swiss.phone_masked)
number = register.filter("number", swiss.number)


@register.filter
def amount(value) -> str:
    """1234.5 -> 1'234.50, in a column already headed CHF; – for nothing."""
    return swiss.amount(value) or swiss.DASH
