from __future__ import annotations

from celery import shared_task

from . import services
from .models import MutationBatch


@shared_task(acks_late=True)
def mutation_batch_validate(batch_id: int) -> int:
    """A file of more than 500 rows is read here; the page polls its progress. A crash ends
    the check with "could not be read" instead of a progress bar that never moves."""
    try:
        return services.batch_validate(batch_id=batch_id).valid_count
    except Exception:
        batch = MutationBatch.objects.filter(pk=batch_id,
                                             status=MutationBatch.Status.VALIDATING).first()
        if batch is not None:
            services.batch_fail(batch=batch, code="unreadable")
        raise
