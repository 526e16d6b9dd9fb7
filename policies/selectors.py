"""Reads scoped to a membership: an object outside it is a 404, never a 403 that confirms it."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Membership

from .models import (
    Certificate,
    Document,
    InsuredPerson,
    Policy,
    PolicyHolder,
)


def insured_person_for(membership: Membership) -> InsuredPerson:
    if membership.kind != Membership.Kind.INSURED or membership.insured_person_id is None:
        raise Http404
    return (
        InsuredPerson.objects.select_related("contract__employer", "contract__plan")
        .get(pk=membership.insured_person_id)
    )


def certificate_latest(person: InsuredPerson) -> Certificate | None:
    return person.certificates.order_by("-year").first()


def documents_for_insured(person: InsuredPerson) -> QuerySet[Document]:
    return Document.objects.filter(insured_person=person, published=True)


def staff_for_employer(membership: Membership) -> QuerySet[InsuredPerson]:
    if membership.kind != Membership.Kind.EMPLOYER:
        raise Http404
    return InsuredPerson.objects.filter(contract__employer_id=membership.employer_id)


def staff_member_for(membership: Membership, pk: int) -> InsuredPerson:
    person = staff_for_employer(membership).filter(pk=pk).first()
    if person is None:
        raise Http404
    return person


def employer_staff_counts(membership: Membership) -> dict[str, int]:
    counts = staff_for_employer(membership).aggregate(
        active=Count("pk", filter=Q(status=InsuredPerson.Status.ACTIVE)),
        pensioners=Count("pk", filter=Q(status=InsuredPerson.Status.PENSIONER)),
        total=Count("pk"),
    )
    return counts


def policies_for_broker(membership: Membership) -> QuerySet[Policy]:
    if membership.kind != Membership.Kind.BROKER:
        raise Http404
    today = timezone.localdate()
    return Policy.objects.filter(
        Q(mandates__end_date__isnull=True) | Q(mandates__end_date__gte=today),
        mandates__agency_id=membership.agency_id,
        mandates__start_date__lte=today,
    ).distinct()


def policy_for_broker(membership: Membership, number: str) -> Policy:
    policy = policies_for_broker(membership).filter(number=number).select_related("holder").first()
    if policy is None:
        raise Http404
    return policy


def broker_counts(membership: Membership) -> dict[str, int]:
    policies = policies_for_broker(membership)
    return {
        "policies": policies.count(),
        "clients": PolicyHolder.objects.filter(policies__in=policies).distinct().count(),
    }
