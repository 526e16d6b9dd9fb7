"""The status timeline of anything a person or an employer asked for (change requests,
simulation requests, mutations): the statuses in their declared order, each with the date it
was reached; the failure status (rejected) takes the place of the last step when it happens.

    steps = status_timeline(RequestStatus, status=item.status, events=item.events.all())
    {% include "common/_timeline.html" with steps=steps reason=item.reason %}
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import models


@dataclass(frozen=True)
class Step:
    status: str
    label: str
    at: datetime | None  # when the status was reached, if it was
    done: bool
    current: bool
    failed: bool


def status_timeline(statuses: type[models.TextChoices], *, status: str, events: Iterable,
                    failure: str = "rejected") -> list[Step]:
    """`events` have .status and .at (RequestEvent, MutationEvent); the latest event of a status
    gives its date."""
    reached = {event.status: event.at for event in events}
    path = [(value, label) for value, label in statuses.choices if value != failure]
    if status == failure:
        path[-1] = (failure, statuses(failure).label)
    order = [value for value, _label in path]
    current = order.index(status) if status in order else 0
    return [
        Step(status=value, label=label, at=reached.get(value), done=index <= current,
             current=index == current, failed=value == failure)
        for index, (value, label) in enumerate(path)
    ]
