"""Reads of saved simulations and requests, scoped to the person: someone else's is a 404."""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet
from django.http import Http404

from policies.models import OPEN_REQUEST_STATUSES, ChangeRequest, Document, InsuredPerson
from policies.selectors import certificate_latest, insured_person_for

from .models import ServiceRequest, Simulation


def simulations_for(person: InsuredPerson) -> QuerySet[Simulation]:
    return Simulation.objects.filter(person=person)


def simulation_for(person: InsuredPerson, pk: int) -> Simulation:
    simulation = simulations_for(person).filter(pk=pk).first()
    if simulation is None:
        raise Http404
    return simulation


def service_requests_for(person: InsuredPerson) -> QuerySet[ServiceRequest]:
    return ServiceRequest.objects.filter(person=person)


def service_request_for(person: InsuredPerson, pk: int) -> ServiceRequest:
    request = (
        service_requests_for(person).filter(pk=pk).select_related("simulation")
        .prefetch_related("events").first()
    )
    if request is None:
        raise Http404
    return request


def service_requests_open_count(person: InsuredPerson) -> int:
    return service_requests_for(person).filter(status__in=OPEN_REQUEST_STATUSES).count()


def simulation_data(person: InsuredPerson) -> dict:
    """The simulations part of the nFADP export."""
    return {
        "simulations": [
            {"kind": s.kind, "created_at": s.created_at.isoformat(), "inputs": s.inputs,
             "result": {k: v for k, v in s.result.items() if k not in ("series", "options")}}
            for s in simulations_for(person)
        ],
        "requests": [
            {"case_number": r.case_number, "kind": r.kind, "status": r.status,
             "reason": r.reason, "created_at": r.created_at.isoformat()}
            for r in service_requests_for(person)
        ],
    }


def _dashboard_counts(person_id: int) -> tuple[int, int, int]:
    """Unread documents, open requests from simulations, open personal-data changes: three
    counts in one round trip. Plain SQL on purpose: the ORM spends more time compiling three
    correlated subqueries than PostgreSQL spends answering them (bench/load.py)."""
    doc, service, change = Document._meta, ServiceRequest._meta, ChangeRequest._meta
    q = connection.ops.quote_name
    open_statuses = [str(s) for s in OPEN_REQUEST_STATUSES]
    # Only identifiers from model metadata are formatted in; every value is a parameter.
    sql = (
        f"SELECT (SELECT COUNT(*) FROM {q(doc.db_table)} WHERE "  # noqa: S608
        f"{q(doc.get_field('insured_person').column)} = %s AND {q('published')} = %s AND "
        f"{q('first_read_at')} IS NULL), "
        f"(SELECT COUNT(*) FROM {q(service.db_table)} WHERE "
        f"{q(service.get_field('person').column)} = %s AND {q('status')} IN (%s, %s)), "
        f"(SELECT COUNT(*) FROM {q(change.db_table)} WHERE "
        f"{q(change.get_field('person').column)} = %s AND {q('status')} IN (%s, %s))"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [person_id, True, person_id, *open_statuses,
                             person_id, *open_statuses])
        unread, services, changes = cursor.fetchone()
    return int(unread), int(services), int(changes)


def insured_dashboard(membership) -> InsuredPerson:
    """The person (with contract, employer, plan), the latest certificate and the dashboard
    counts, in three short queries whatever the number of documents and requests."""
    person = insured_person_for(membership)
    person.latest_certificate = certificate_latest(person)
    unread, services, changes = _dashboard_counts(person.pk)
    person.unread_documents = unread
    person.open_requests = services + changes
    return person
