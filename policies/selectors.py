"""Reads scoped to a membership: an object outside it is a 404, never a 403 that confirms it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Membership

from .models import (
    OPEN_REQUEST_STATUSES,
    Certificate,
    ChangeRequest,
    Document,
    InsuredPerson,
    Pension,
    PensionPayment,
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


def broker_counts(membership: Membership) -> dict[str, int]:
    policies = policies_for_broker(membership)
    return {
        "policies": policies.count(),
        "clients": PolicyHolder.objects.filter(policies__in=policies).distinct().count(),
    }


# --- insured portal ------------------------------------------------------------------------------

PENSION_PAYMENT_DAY = 25


def document_for_insured(person: InsuredPerson, pk: int) -> Document:
    # A generated certificate must be this person's own, whatever support linked by mistake.
    document = (
        documents_for_insured(person).select_related("certificate")
        .filter(Q(certificate__isnull=True) | Q(certificate__person=person), pk=pk).first()
    )
    if document is None:
        raise Http404
    return document


def documents_inbox(
    person: InsuredPerson, *, category: str | None = None, year: int | None = None
) -> QuerySet[Document]:
    documents = documents_for_insured(person).only(
        "pk", "category", "title", "year", "first_read_at", "published_at", "created_at",
        "insured_person_id",
    )
    if category:
        documents = documents.filter(category=category)
    if year:
        documents = documents.filter(year=year)
    return documents


def document_facets(person: InsuredPerson) -> dict[str, list]:
    """Categories and years the person has documents in, with unread counts, in one query."""
    rows = (
        documents_for_insured(person)
        .values("category", "year")
        .annotate(n=Count("pk"), unread=Count("pk", filter=Q(first_read_at__isnull=True)))
    )
    categories: dict[str, int] = {}
    years: dict[int, int] = {}
    for row in rows:
        categories[row["category"]] = categories.get(row["category"], 0) + row["unread"]
        years[row["year"]] = years.get(row["year"], 0) + row["unread"]
    labels = dict(Document.Category.choices)
    return {
        "categories": [(c, labels.get(c, c), categories[c]) for c in labels if c in categories],
        "years": sorted(years.items(), reverse=True),
    }


def documents_unread_count(person: InsuredPerson) -> int:
    return documents_for_insured(person).filter(first_read_at__isnull=True).count()


def documents_recent(person: InsuredPerson, limit: int = 5) -> list[Document]:
    return list(documents_inbox(person)[:limit])


def pension_statement_latest(person: InsuredPerson) -> Document | None:
    return (
        documents_for_insured(person)
        .filter(category=Document.Category.PENSION_STATEMENT)
        .order_by("-year", "-created_at")
        .only("pk", "title", "year", "first_read_at")
        .first()
    )


def pensions_current(person: InsuredPerson) -> list[Pension]:
    today = timezone.localdate()
    return list(
        person.pensions.filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .order_by("start_date")
    )


def pension_next_payment_date(pension: Pension, today=None):
    """Pensions are paid on the 25th of each month."""
    today = today or timezone.localdate()
    day = today.replace(day=PENSION_PAYMENT_DAY)
    if today > day:
        day = (day.replace(day=1) + timedelta(days=32)).replace(day=PENSION_PAYMENT_DAY)
    if pension.start_date > day:
        day = pension.start_date.replace(day=PENSION_PAYMENT_DAY)
        if day < pension.start_date:
            day = (day.replace(day=1) + timedelta(days=32)).replace(day=PENSION_PAYMENT_DAY)
    if pension.end_date is not None and day > pension.end_date:
        return None
    return day


def pension_payments_recent(person: InsuredPerson, limit: int = 12) -> list[PensionPayment]:
    return list(
        PensionPayment.objects.filter(pension__person=person)
        .select_related("pension")
        .order_by("-date", "-pk")[:limit]
    )


def change_requests_for(person: InsuredPerson) -> QuerySet[ChangeRequest]:
    return ChangeRequest.objects.filter(person=person)


def change_request_for(person: InsuredPerson, pk: int) -> ChangeRequest:
    change = change_requests_for(person).filter(pk=pk).prefetch_related("events").first()
    if change is None:
        raise Http404
    return change


def change_request_open(person: InsuredPerson, kind: str) -> ChangeRequest | None:
    return change_requests_for(person).filter(kind=kind, status__in=OPEN_REQUEST_STATUSES).first()


def change_requests_open_count(person: InsuredPerson) -> int:
    return change_requests_for(person).filter(status__in=OPEN_REQUEST_STATUSES).count()


def _money(value) -> str | None:
    return None if value is None else str(value)


def _plain(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def personal_data(person: InsuredPerson, user) -> dict:
    """Everything this app holds about the person (nFADP art. 25): for the JSON/PDF export."""
    from accounts.models import SecurityEvent

    contract = person.contract
    return {
        "person": {
            "ahv_number": person.ahv_number, "first_name": person.first_name,
            "last_name": person.last_name, "birth_date": person.birth_date.isoformat(),
            "sex": person.sex, "civil_status": person.civil_status, "street": person.street,
            "postcode": person.postcode, "city": person.city, "country": person.country,
            "language": person.language, "annual_salary": _money(person.annual_salary),
            "employment_degree": _money(person.employment_degree),
            "entry_date": person.entry_date.isoformat(),
            "exit_date": person.exit_date.isoformat() if person.exit_date else None,
            "status": person.status, "iban": person.iban,
            "bank_currency": person.bank_currency,
            "bank_account_holder": person.bank_account_holder,
        },
        "employer": {"name": contract.employer.name, "uid": contract.employer.uid},
        "contract": {"number": contract.number, "plan": contract.plan.name},
        "account": {
            "email": user.email, "first_name": user.first_name, "last_name": user.last_name,
            "language": user.language, "date_joined": user.date_joined.isoformat(),
        },
        "certificates": [
            {f.name: _plain(getattr(c, f.name)) for f in Certificate._meta.concrete_fields
             if f.name not in ("id", "person")}
            for c in person.certificates.order_by("year")
        ],
        "pensions": [
            {"kind": p.kind, "monthly_amount": _money(p.monthly_amount),
             "start_date": p.start_date.isoformat(),
             "end_date": p.end_date.isoformat() if p.end_date else None,
             "payments": [{"date": pay.date.isoformat(), "amount": _money(pay.amount)}
                          for pay in p.payments.order_by("date")]}
            for p in person.pensions.prefetch_related("payments")
        ],
        "documents": [
            {"title": d.title, "category": d.category, "year": d.year,
             "published_at": d.published_at.isoformat() if d.published_at else None,
             "first_read_at": d.first_read_at.isoformat() if d.first_read_at else None}
            for d in documents_for_insured(person)
        ],
        "change_requests": [
            {"case_number": c.case_number, "kind": c.kind, "status": c.status, "data": c.data,
             "effective_date": c.effective_date.isoformat(),
             "created_at": c.created_at.isoformat()}
            for c in change_requests_for(person)
        ],
        "mutations": [
            {"case_number": m.case_number, "kind": m.kind, "status": m.status,
             "effective_date": m.effective_date.isoformat(), "data": m.data}
            for m in person.mutations.all()
        ],
        "security_events": [
            {"kind": e.kind, "at": e.created_at.isoformat(), "ip_address": e.ip_address}
            for e in SecurityEvent.objects.filter(user=user).order_by("-created_at")[:200]
        ],
    }
