"""Celery tasks of the simulations app: certificates recomputed in bulk.

`certificates_recompute_enqueue` splits the year's certificates into chunks of person ids and
queues one `certificates_recompute_chunk` per chunk, so the work spreads over every worker
process; each chunk is one read, batched updates and one cache round trip for the dashboards.
A chunk that fails is retried on its own (acks_late: a worker that dies mid-chunk leaves it
queued), and recomputing a chunk twice gives the same figures.
"""

from __future__ import annotations

from celery import group, shared_task

from . import services


@shared_task(acks_late=True)
def certificates_recompute_chunk(year: int, first_person_id: int, last_person_id: int,
                                 contract_ids: list[int] | None = None) -> dict[str, int]:
    return services.certificates_recompute(
        year=year, first_person_id=first_person_id, last_person_id=last_person_id,
        contract_ids=contract_ids)


def certificates_recompute_enqueue(*, year: int, contract_ids: list[int] | None = None,
                                   chunk_size: int = 1000):
    """Queues the recomputation of the `year` certificates (of these contracts, or all); returns
    Celery's GroupResult (`.get()` waits for every chunk and gives their counts)."""
    chunks = services.certificate_chunks(year=year, contract_ids=contract_ids, size=chunk_size)
    return group(certificates_recompute_chunk.s(year, first, last, contract_ids)
                 for first, last in chunks).apply_async()
