"""Domain errors of the engine, keyed by input field so a form or the CLI can show them."""

from __future__ import annotations

from collections.abc import Mapping

NON_FIELD = "__all__"


class SimulationError(ValueError):
    """Invalid input for a simulation: ``errors`` maps each field name to its messages."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        self.errors: dict[str, list[str]] = {field: list(msgs) for field, msgs in errors.items()}
        super().__init__(
            "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in self.errors.items())
        )

    @classmethod
    def single(cls, field: str, message: str) -> SimulationError:
        return cls({field: [message]})


class UnknownYearError(SimulationError):
    """The parameter table has no row for the year (not yet published, or before 2021)."""

    def __init__(self, year: int, known: tuple[int, ...], field: str = "year") -> None:
        self.year = year
        super().__init__(
            {field: [f"no BVG parameters for {year}; known years: {known[0]}-{known[-1]}"]}
        )


class ErrorCollector:
    """Collects every problem of an input before raising, so the user sees them all at once."""

    __slots__ = ("errors",)

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise SimulationError(self.errors)
