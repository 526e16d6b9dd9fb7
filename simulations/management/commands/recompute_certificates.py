"""manage.py recompute_certificates --year 2026 [--contract C-100201 ...] [--chunk 1000] [--wait]

Recomputes the year's certificates of the active insured persons (after a change of a plan's
rules or of the year's BVG parameters) through the Celery workers, in chunks."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from policies.models import Contract
from simulations.tasks import certificates_recompute_enqueue


class Command(BaseCommand):
    help = "Recompute the certificates of a year through the Celery workers, in chunks."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--contract", action="append", default=[],
                            help="contract number (repeatable); default: every contract")
        parser.add_argument("--chunk", type=int, default=1000, help="certificates per task")
        parser.add_argument("--wait", action="store_true", help="wait for every chunk")

    def handle(self, *args, year: int, contract: list[str], chunk: int, wait: bool,
               **options) -> None:
        if chunk < 1:
            raise CommandError("--chunk must be at least 1")
        contract_ids = None
        if contract:
            found = dict(Contract.objects.filter(number__in=contract).values_list("number", "pk"))
            missing = sorted(set(contract) - set(found))
            if missing:
                raise CommandError(f"unknown contract(s): {', '.join(missing)}")
            contract_ids = sorted(found.values())
        began = time.monotonic()
        result = certificates_recompute_enqueue(year=year, contract_ids=contract_ids,
                                                chunk_size=chunk)
        self.stdout.write(f"{len(result.results)} chunk(s) queued")
        if wait:
            counts = result.get(disable_sync_subtasks=False)
            recomputed = sum(c["recomputed"] for c in counts)
            skipped = sum(c["skipped"] for c in counts)
            self.stdout.write(f"{recomputed} certificate(s) recomputed, {skipped} skipped, "
                              f"in {time.monotonic() - began:.1f} s")
