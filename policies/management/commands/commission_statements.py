"""(Re)compute commission statements, e.g. from cron after each month, quarter or year end:

    manage.py commission_statements --period quarter --date 2026-09-30 [--agency F01234567]

Safe to run again: the statements of that period are recomputed in place from the data.
"""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from policies.models import Agency, CommissionStatement
from policies.services import commission_statements_compute


class Command(BaseCommand):
    help = "Compute the commission statements of the period containing --date, per agency."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--period", choices=CommissionStatement.Period.values,
                            required=True)
        parser.add_argument("--date", dest="day", required=True,
                            help="a day of the period, YYYY-MM-DD")
        parser.add_argument("--agency", help="register number of one agency (default: all)")

    def handle(self, *args, period: str, day: str, agency: str | None, **options) -> None:
        try:
            first = date.fromisoformat(day)
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from exc
        agencies = Agency.objects.order_by("pk")
        if agency:
            agencies = agencies.filter(register_number=agency)
            if not agencies:
                raise CommandError(f"no agency with register number {agency}")
        total = 0
        for one in agencies:
            statements = commission_statements_compute(agency=one, period_kind=period,
                                                       day=first)
            total += len(statements)
        self.stdout.write(f"{total} statement(s) computed for {agencies.count()} agency(ies).")
