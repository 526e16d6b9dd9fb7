"""Working days as the work queues count them: Monday to Friday without the public holidays of
the fund's canton (Vaud by default)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from django.utils import timezone

from policies.working_days import (
    is_working_day,
    older_than_cutoff,
    waited,
    working_days_between,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("start,end,expected", [
    (date(2026, 3, 6), date(2026, 3, 9), 1),     # Friday -> Monday
    (date(2026, 3, 6), date(2026, 3, 7), 0),     # Friday -> Saturday
    (date(2026, 3, 9), date(2026, 3, 9), 0),     # the same day
    (date(2026, 3, 9), date(2026, 3, 6), 0),     # backwards
    (date(2026, 4, 2), date(2026, 4, 8), 2),     # Good Friday and Easter Monday (VD) skipped
    (date(2026, 12, 24), date(2027, 1, 4), 5),   # 25.12 and 1.1 skipped (2.1 is a Saturday)
    (date(2026, 9, 18), date(2026, 9, 22), 1),   # Jeûne fédéral Monday in Vaud
    # 260 weekdays after 1 January, less 7 weekday holidays (2.1, Good Friday, Easter Monday,
    # Ascension, Whit Monday, Jeûne fédéral, Christmas; 1 August is a Saturday)
    (date(2026, 1, 1), date(2026, 12, 31), 253),
])
def test_working_days_between(start, end, expected):
    assert working_days_between(start, end) == expected


def test_the_canton_decides_the_holidays(settings):
    # Vaud: Lundi du Jeûne, not St. Stephen's Day (Friday 26.12.2025); Zurich the other way.
    assert not is_working_day(date(2026, 9, 21)) and is_working_day(date(2025, 12, 26))
    settings.FUND_CANTON = "ZH"
    assert is_working_day(date(2026, 9, 21)) and not is_working_day(date(2025, 12, 26))



@pytest.mark.parametrize("today", [date(2026, 4, 8), date(2026, 4, 11), date(2027, 1, 4)])
@pytest.mark.parametrize("count", [2, 5, 10])
def test_older_than_the_cutoff_means_waited_more_than_the_count(today, count):
    """Whatever the day (a holiday week, a Saturday), the filter and the column agree."""
    cutoff = older_than_cutoff(count, today=today)
    for back in range(0, 40):
        day = date.fromordinal(today.toordinal() - back)
        created = timezone.make_aware(datetime(day.year, day.month, day.day, 12))
        assert (created < cutoff) == (waited(created, today=today) > count), (day, count)


def test_a_bad_canton_stops_start_up_naming_it():
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"DEBUG": "1", "FUND_CANTON": "XX", "DJANGO_SETTINGS_MODULE": "portals.settings"})
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "FUND_CANTON" in result.stderr.splitlines()[-1]
