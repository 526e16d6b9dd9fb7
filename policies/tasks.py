from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.db.models import Q
from django.utils import timezone

from . import services
from .models import MutationBatch, PolicyLookup

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def mutation_batch_validate(batch_id: int) -> int:
    """A file of more than 500 rows is read here; the page polls its progress. A crash ends
    the check with "could not be read" instead of a progress bar that never moves; a lost
    database connection leaves the batch to `mutation_batches_resume`, which runs the check
    again (so does a worker that died)."""
    try:
        return services.batch_validate(batch_id=batch_id).valid_count
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        batch = MutationBatch.objects.filter(pk=batch_id,
                                             status=MutationBatch.Status.VALIDATING).first()
        if batch is not None:
            services.batch_fail(batch=batch, code="unreadable")
        raise


# A check that showed no progress for this long lost its worker (or was never queued: Redis was
# down); progress is written at least every 2 % of the rows, after the file was read.
BATCH_STALLED_AFTER = timedelta(minutes=3)


@shared_task(ignore_result=True)
def mutation_batches_resume() -> int:
    """Periodic (Celery beat): run again the checks that stopped moving. A check is
    restartable (services.batch_validate), so the worst case is one check run twice."""
    from accounts.publish import publish

    stalled_before = timezone.now() - BATCH_STALLED_AFTER
    stalled = list(MutationBatch.objects.filter(
        status=MutationBatch.Status.VALIDATING,
    ).filter(
        Q(progress_at__lte=stalled_before)
        | Q(progress_at__isnull=True, created_at__lte=stalled_before)
    ).values_list("pk", flat=True)[:100])
    resumed = 0
    for pk in stalled:
        # Counted as progress, so a check waiting in a long queue is not queued every minute.
        MutationBatch.objects.filter(pk=pk).update(progress_at=timezone.now())
        resumed += publish(mutation_batch_validate, pk)
    return resumed


UNCONFIRMED_FILE_DAYS = 7  # a checked file nobody confirmed: its rows (names, AHV, salaries) go
POLICY_LOOKUP_DAYS = 90  # who looked up which policy number, for support; the limit needs 1 hour


@shared_task
def housekeeping() -> dict[str, int]:
    """Daily (Celery beat): personal data and codes nobody needs any more."""
    now = timezone.now()
    files = MutationBatch.objects.filter(
        confirmed_at__isnull=True, created_at__lt=now - timedelta(days=UNCONFIRMED_FILE_DAYS)
    ).exclude(status=MutationBatch.Status.CONFIRMED)
    for batch in files.exclude(file=""):
        batch.file.delete(save=False)
    from accounts import bulk_letters

    from .document_batches import batch_fail
    from .models import DocumentBatch

    # A document batch whose worker died midway: its uploads and partial files go.
    stuck = list(DocumentBatch.objects.filter(
        status=DocumentBatch.Status.PROCESSING, created_at__lt=now - timedelta(days=1)))
    for document_batch in stuck:
        batch_fail(batch=document_batch)
    return {
        "stuck_document_batches_failed": len(stuck),
        "unconfirmed_files_deleted": files.delete()[0],
        "policy_lookups_deleted": PolicyLookup.objects.filter(
            at__lt=now - timedelta(days=POLICY_LOOKUP_DAYS)).delete()[0],
        # Bulk registration letters nobody downloaded within 7 days: the PDF (plain codes) goes
        # and its codes are revoked.
        **bulk_letters.housekeeping(now),
    }


@shared_task(acks_late=True)
def document_batch_process(batch_id: int) -> int:
    """A batch of more than a few files is checked and matched here; the admin's batch page
    shows the progress. A crash leaves no document and no file (the batch says "refused")."""
    from .document_batches import batch_process

    try:
        return batch_process(batch_id=batch_id).matched_count
    except Exception:
        logger.exception("document batch %s failed", batch_id)
        return 0
