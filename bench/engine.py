"""Engine timings: one 40-year projection, and a batch of generated insured persons.

    .venv/bin/python bench/engine.py [--n 100000] [--calls 20000] [--seed 4]

Prints figures; asserts nothing (targets: one projection <= 100 us, 100,000 in <= 10 s).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulations.engine import (  # noqa: E402
    BuyInInput,
    ProjectionInput,
    WefInput,
    buy_in,
    compare_retirement_ages,
    project,
    wef,
)


def timings_ns(fn: Callable[[], object], calls: int) -> tuple[float, float]:
    """(median, best) of ``calls`` timed calls; the best shows the figure without noise from
    other processes on the machine."""
    for _ in range(min(calls, 1000)):  # warm-up
        fn()
    samples = []
    clock = time.perf_counter_ns
    for _ in range(calls):
        start = clock()
        fn()
        samples.append(clock() - start)
    return statistics.median(samples), min(samples)


def persons(n: int, seed: int) -> list[ProjectionInput]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        age = rng.randint(20, 64)
        salary = Decimal(rng.randrange(18_000_00, 250_000_00)) / 100
        capital = Decimal(rng.randrange(0, max(1, (age - 20) * 12_000_00))) / 100
        out.append(
            ProjectionInput(
                year=2025,
                birth_date=date(2025 - age, rng.randint(1, 12), rng.randint(1, 28)),
                sex=rng.choice("MF"),
                annual_salary=salary,
                savings_capital=capital,
                # A third project at their own rate, so the BVG shadow account runs too.
                interest_rate=Decimal("0.02") if rng.random() < 1 / 3 else None,
                retirement_age=rng.randint(max(58, age), 70),
                lump_sum_share=Decimal(rng.choice(["0", "0.25", "0.5"])),
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="persons in the batch")
    parser.add_argument("--calls", type=int, default=20_000, help="calls per median")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()

    forty = ProjectionInput(
        year=2025,
        birth_date=date(2000, 5, 31),
        sex="M",
        annual_salary=Decimal("85000"),
        savings_capital=Decimal("12000"),
    )
    assert len(project(forty).years) == 40
    shadow = ProjectionInput(
        year=2025,
        birth_date=date(2000, 5, 31),
        sex="M",
        annual_salary=Decimal("85000"),
        savings_capital=Decimal("12000"),
        interest_rate=Decimal("0.02"),
    )
    buy = BuyInInput(
        year=2025,
        birth_date=date(1975, 3, 1),
        annual_salary=Decimal("120000"),
        savings_capital=Decimal("250000"),
        pillar3a_balance=Decimal("60000"),
        amount=Decimal("20000"),
        marginal_tax_rate=Decimal("0.3"),
    )
    withdrawal = WefInput(
        date=date(2025, 6, 1),
        birth_date=date(1972, 3, 1),
        vested_benefit=Decimal("400000"),
        requested_amount=Decimal("100000"),
        vested_benefit_at_50=Decimal("300000"),
    )
    print(f"Python {sys.version.split()[0]}, median of {args.calls} calls each")
    for label, fn in [
        ("project, 40 years (BVG minimum plan)", lambda: project(forty)),
        ("project, 40 years (own rate: shadow account too)", lambda: project(shadow)),
        (
            "ProjectionInput(...) construction + checks",
            lambda: ProjectionInput(
                2025, date(2000, 5, 31), "M", Decimal("85000"), Decimal("12000")
            ),
        ),
        ("compare_retirement_ages, 58..70 from age 25", lambda: compare_retirement_ages(forty)),
        ("buy_in, age 50 (default 3a maximum)", lambda: buy_in(buy)),
        ("wef, age 53", lambda: wef(withdrawal)),
    ]:
        median, best = timings_ns(fn, args.calls)
        print(f"  {label:<52} {median / 1000:8.1f} us  (best {best / 1000:6.1f} us)")

    start = time.perf_counter()
    batch = persons(args.n, args.seed)
    built = time.perf_counter() - start
    start = time.perf_counter()
    total = Decimal(0)
    for person in batch:
        total += project(person).annual_pension
    projected = time.perf_counter() - start
    years = sum(p.retirement_age - (p.year - p.birth_date.year) for p in batch)
    print(f"batch of {args.n} persons (seed {args.seed}, {years} projected years):")
    print(f"  generate inputs {built:6.2f} s")
    print(f"  project         {projected:6.2f} s  ({projected / args.n * 1e6:.1f} us/person)")
    print(f"  checksum: sum of annual pensions = {total}")


if __name__ == "__main__":
    main()
