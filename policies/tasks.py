from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def mutation_batch_validate(batch_id: int) -> int:
    """A file of more than 500 rows is read here; the page polls its progress."""
    return services.batch_validate(batch_id=batch_id).valid_count
