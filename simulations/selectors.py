"""Reads of saved simulations and requests, scoped to the person: someone else's is a 404."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from policies.models import OPEN_REQUEST_STATUSES, InsuredPerson
from policies.selectors import (
    certificate_latest,
    change_requests_open_count,
    documents_unread_count,
    insured_person_for,
)

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


def insured_dashboard(membership) -> InsuredPerson:
    """The person (with contract, employer, plan), the latest certificate and the dashboard
    counts, in a fixed number of queries whatever the number of documents and requests. Only
    run when the cached dashboard body is out of date (portals/insured/views.HomeView)."""
    person = insured_person_for(membership)
    person.latest_certificate = certificate_latest(person)
    person.unread_documents = documents_unread_count(person)
    person.open_requests = (
        service_requests_open_count(person) + change_requests_open_count(person)
    )
    return person
