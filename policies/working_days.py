"""Working days of the fund: Monday to Friday, without the public holidays of its canton
(settings.FUND_CANTON, from the `holidays` package). The support's work queues measure how long
an item has waited in these days ("older than 5 working days")."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays
from django.conf import settings
from django.utils import timezone


@lru_cache(maxsize=64)
def _holidays(canton: str, year: int) -> frozenset[date]:
    """The canton's public holidays of the year that fall on a weekday."""
    return frozenset(day for day in holidays.Switzerland(subdiv=canton, years=year)
                     if day.weekday() < 5)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(settings.FUND_CANTON, day.year)


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end`: an item received on Friday has
    waited 1 working day on Monday, 0 on Saturday."""
    if end <= start:
        return 0
    weeks, rest = divmod((end - start).days, 7)
    tail_start = start + timedelta(days=weeks * 7)
    count = weeks * 5 + sum(1 for n in range(1, rest + 1)
                            if (tail_start + timedelta(days=n)).weekday() < 5)
    for year in range(start.year, end.year + 1):
        count -= sum(1 for day in _holidays(settings.FUND_CANTON, year) if start < day <= end)
    return count


def older_than_cutoff(count: int, *, today: date | None = None) -> datetime:
    """An item created before this moment has waited more than `count` working days (as
    `waited` counts them): the start, local time, of the day after the last such creation day."""
    today = today or timezone.localdate()
    day = today
    while working_days_between(day, today) <= count:
        day -= timedelta(days=1)
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def waited(created_at: datetime, *, today: date | None = None) -> int:
    """Working days an item created at `created_at` has waited until today."""
    today = today or timezone.localdate()
    return working_days_between(timezone.localdate(created_at), today)
