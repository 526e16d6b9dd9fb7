"""Reads scoped to a membership: an object outside it is a 404, never a 403 that confirms it."""

from __future__ import annotations

import functools
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db import connection, connections
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from accounts.models import Membership

from .broker_cache import versioned, versioned_many
from .dashboard_cache import DASHBOARD_CACHE_SECONDS, dashboard_version_keys
from .models import (
    OPEN_REQUEST_STATUSES,
    Agency,
    Beneficiary,
    Certificate,
    ChangeRequest,
    CommissionLine,
    CommissionStatement,
    Contract,
    ContributionInvoice,
    ContributionLine,
    Document,
    Employer,
    InsuredPerson,
    Mandate,
    Mutation,
    MutationBatch,
    Pension,
    PensionPayment,
    Policy,
    PolicyHolder,
    PolicyValue,
    Premium,
    SalaryDeclaration,
    SalaryDeclarationLine,
    SalaryRecord,
)


def insured_person_for(membership: Membership) -> InsuredPerson:
    if membership.kind != Membership.Kind.INSURED or membership.insured_person_id is None:
        raise Http404
    return (
        InsuredPerson.objects.select_related("contract__employer", "contract__plan")
        .get(pk=membership.insured_person_id)
    )


def _pensioner_key(person_id: int) -> str:
    return f"insured-pensioner:v2:{person_id}"


def _pensioner_query(person_id: int):
    return lambda: InsuredPerson.objects.filter(
        pk=person_id, status=InsuredPerson.Status.PENSIONER).exists()


def person_is_pensioner(person_id: int) -> bool:
    """Every insured page's navigation asks; the answer lives in the shared cache under the
    person's dashboard versions, which every write to the person moves (one round trip)."""
    return versioned(_pensioner_key(person_id), dashboard_version_keys(person_id),
                     _pensioner_query(person_id), DASHBOARD_CACHE_SECONDS)


def dashboard_cache_keys(person_id: int, key: str) -> list[str]:
    """Every shared-cache key `dashboard_cached` reads, for a caller that reads them sooner
    (with the portal gate's round trip)."""
    return [key, _pensioner_key(person_id), *dashboard_version_keys(person_id)]


def dashboard_cached(person_id: int, key: str, build, found: dict | None = None
                     ) -> tuple[str, bool]:
    """The dashboard body cached under `key` (else `build()`) and whether the person is a
    pensioner, both under the person's dashboard versions and in one cache round trip (none
    when `found` holds what was read of `dashboard_cache_keys`)."""
    values = versioned_many({key: build, _pensioner_key(person_id): _pensioner_query(person_id)},
                            dashboard_version_keys(person_id), DASHBOARD_CACHE_SECONDS,
                            found=found)
    return values[key], values[_pensioner_key(person_id)]


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


# --- broker portal (issue 11) --------------------------------------------------------------------
# Everything a broker sees comes through the mandates in force today of the active membership's
# agency: the broker's own mandates, or the whole agency's when the membership may see it (the
# view passes agency_wide from its capabilities, never from a role name).

POLICY_PREFIX = "P"
_POLICY_SEPARATORS = re.compile(r"[\s\-./_'’]+")
_POLICY_COMPACT = re.compile(r"([A-Z]{1,3})?(\d{3,12})")
NEW_DOCUMENT_DAYS = 30


def policy_number_normalize(text: str | None) -> str | None:
    """The policy number as stored ("P-700001") from what a person types: "p 700 001",
    "P700001", "P.700.001", "700001"; None when it cannot be a policy number at all."""
    if not text or len(text) > 40:
        return None
    compact = _POLICY_SEPARATORS.sub("", text).upper()
    match = _POLICY_COMPACT.fullmatch(compact)
    if match is None:
        return None
    return f"{match.group(1) or POLICY_PREFIX}-{match.group(2)}"


def _broker_membership(membership: Membership) -> Membership:
    if membership.kind != Membership.Kind.BROKER or membership.agency_id is None:
        raise Http404
    return membership


AGENCY_CACHE_SECONDS = 5 * 60


def agency_cache_key(agency_id: int) -> str:
    return f"agency:v1:{agency_id}"


def agency_for(membership: Membership, *, cached: Agency | None = None) -> Agency:
    """The membership's agency (name, account manager) for every broker page, from the shared
    cache (or `cached`, read from it with something else); a save of the agency drops it
    (policies.signals)."""
    membership = _broker_membership(membership)
    key = agency_cache_key(membership.agency_id)
    agency = cached if cached is not None else cache.get(key)
    if agency is None:
        agency = Agency.objects.get(pk=membership.agency_id)
        cache.set(key, agency, AGENCY_CACHE_SECONDS)
    return agency


def mandates_for_broker(membership: Membership, *, agency_wide: bool = False,
                        today: date | None = None) -> QuerySet[Mandate]:
    """The mandates in force today: the agency's (agency_wide) or the broker's own."""
    membership = _broker_membership(membership)
    today = today or timezone.localdate()
    mandates = Mandate.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today),
        agency_id=membership.agency_id, start_date__lte=today,
    )
    if not agency_wide:
        mandates = mandates.filter(broker_id=membership.user_id)
    return mandates


def _mandate_filter(membership: Membership, agency_wide: bool, prefix: str) -> Q:
    """The same scope as a filter through `prefix` ("mandates__", "policy__mandates__"): one
    join on the (agency, policy) unique index, so a policy is never listed twice."""
    membership = _broker_membership(membership)
    return _mandate_scope(membership.agency_id, None if agency_wide else membership.user_id,
                          timezone.localdate(), prefix)


def _mandate_scope(agency_id, broker_id, today, prefix: str) -> Q:
    """The mandates in force on `today` of the agency (of the broker, unless None)."""
    scope = Q(**{f"{prefix}agency_id": agency_id, f"{prefix}start_date__lte": today}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": today}))
    if broker_id is not None:
        scope &= Q(**{f"{prefix}broker_id": broker_id})
    return scope


def policies_for_broker(membership: Membership, *, agency_wide: bool = False) -> QuerySet[Policy]:
    return Policy.objects.filter(_mandate_filter(membership, agency_wide, "mandates__"))


# Stand-ins the policy lookup's statement is compiled with, one per parameter; each is a value no
# real parameter takes, so each placeholder of the compiled SQL is told by its value.
_AGENCY, _BROKER, _TODAY, _NUMBER = -7_000_001, -7_000_002, date(1901, 2, 3), "<number>"
# The columns it selects, in this order, for Policy.from_db: every field of the policy.
_POLICY_FIELDS = tuple(field.attname for field in Policy._meta.concrete_fields)


@functools.cache
def _policy_lookup_statement(alias: str, vendor: str, agency_wide: bool):
    """The policy lookup's SQL, compiled by the ORM from the same scope as every other broker
    query (`_mandate_scope`), once per process, database and shape; the name of each
    parameter in order; and the ORM's converters of the selected columns (dates and amounts
    come back as text on SQLite). The lookup runs on every request of the policy pages:
    building and compiling its queryset cost about twice the database's own work."""
    queryset = Policy.objects.using(alias).filter(
        _mandate_scope(_AGENCY, None if agency_wide else _BROKER, _TODAY, "mandates__"),
        number=_NUMBER,
    ).order_by().values_list(*_POLICY_FIELDS)[:1]
    compiler = queryset.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    converters = compiler.get_converters([column for column, _, _ in compiler.select])
    # Dates are parameters as the backend adapts them (text on SQLite).
    names = {_AGENCY: "agency", _BROKER: "broker", _NUMBER: "number",
             connections[alias].ops.adapt_datefield_value(_TODAY): "today"}
    return sql, tuple(names[param] for param in params), converters


def _overdue() -> Exists:
    return Exists(Premium.objects.filter(policy=OuterRef("pk"), status=Premium.Status.OVERDUE))


def broker_portfolio(membership: Membership, *, agency_wide: bool = False,
                     with_overdue: bool = True) -> QuerySet[Policy]:
    """The portfolio's rows: the policy and its holder, and whether a premium is overdue.

    A list page asks `with_overdue=False` and then `policies_mark_overdue` for its one page of
    rows: as an annotation, PostgreSQL hashes every overdue premium of the fund to sort the
    agency's 5,000 rows, for the 25 it shows."""
    policies = policies_for_broker(membership, agency_wide=agency_wide).select_related("holder")
    return policies.annotate(has_overdue=_overdue()) if with_overdue else policies


def policies_with_overdue(policies: QuerySet[Policy], overdue: bool) -> QuerySet[Policy]:
    """Only the policies with (or without) an overdue premium."""
    return policies.filter(_overdue()) if overdue else policies.exclude(_overdue())


def policies_mark_overdue(policies: list[Policy]) -> list[Policy]:
    """Sets has_overdue on these policies (one page of a list), in one query."""
    late = set(Premium.objects.filter(
        policy_id__in=[p.pk for p in policies], status=Premium.Status.OVERDUE,
    ).values_list("policy_id", flat=True).distinct())
    for policy in policies:
        policy.has_overdue = policy.pk in late
    return policies


PRODUCTS_CACHE_SECONDS = 10 * 60


def broker_products(membership: Membership, *, agency_wide: bool = False) -> list[str]:
    """The products in the portfolio, for its filter: kept in the shared cache for ten minutes
    (a new product shows up in the filter within that time)."""
    membership = _broker_membership(membership)
    key = (f"broker-products:v1:{membership.agency_id}:"
           f"{'all' if agency_wide else membership.user_id}")
    products = cache.get(key)
    if products is None:
        products = list(
            policies_for_broker(membership, agency_wide=agency_wide)
            .order_by("product").values_list("product", flat=True).distinct()
        )
        cache.set(key, products, PRODUCTS_CACHE_SECONDS)
    return products


def policy_for_broker(membership: Membership, number: str | None, *,
                      agency_wide: bool = False) -> Policy | None:
    """The policy with this number if the membership may see it, else None: a number under
    another agency's (or another broker's, or an ended) mandate answers exactly like one that
    does not exist, with the same single query. Holder and insured person load when used (the
    policy pages read them only to build the cached body): a join less to compile and plan on
    every lookup. Numbers are unique and a policy has one mandate per agency, so no order is
    needed to take the one row."""
    membership = _broker_membership(membership)
    return policy_in_scope(membership.agency_id, None if agency_wide else membership.user_id,
                           number)


def policy_in_scope(agency_id: int, broker_id: int | None, number: str | None) -> Policy | None:
    """`policy_for_broker` by the scope's own terms: the agency's mandates in force today, the
    broker's own unless `broker_id` is None. For a caller that holds these before it holds the
    membership (and checks afterwards that they are the membership's)."""
    number = policy_number_normalize(number)
    if number is None:
        return None
    sql, names, converters = _policy_lookup_statement(connection.alias, connection.vendor,
                                                      broker_id is None)
    values = {"agency": agency_id, "broker": broker_id,
              "today": connection.ops.adapt_datefield_value(timezone.localdate()),
              "number": number}
    with connection.cursor() as cursor:
        cursor.execute(sql, [values[name] for name in names])
        row = cursor.fetchone()
    if row is None:
        return None
    row = list(row)
    for index, (functions, expression) in converters.items():
        for function in functions:
            row[index] = function(row[index], expression, connection)
    return Policy.from_db(connection.alias, _POLICY_FIELDS, row)


def policy_values_history(policy: Policy) -> list[PolicyValue]:
    return list(policy.values.order_by("date"))


def policy_beneficiaries(policy: Policy) -> list[Beneficiary]:
    return list(policy.beneficiaries.order_by("rank", "pk"))


def clients_for_broker(membership: Membership, *,
                       agency_wide: bool = False) -> QuerySet[PolicyHolder]:
    return PolicyHolder.objects.filter(
        Exists(policies_for_broker(membership, agency_wide=agency_wide)
               .filter(holder_id=OuterRef("pk")))
    )


def client_for_broker(membership: Membership, pk: int, *,
                      agency_wide: bool = False) -> PolicyHolder:
    client = clients_for_broker(membership, agency_wide=agency_wide).filter(pk=pk).first()
    if client is None:
        raise Http404
    return client


def client_policies(membership: Membership, client: PolicyHolder, *,
                    agency_wide: bool = False) -> list[Policy]:
    return list(
        broker_portfolio(membership, agency_wide=agency_wide).filter(holder=client)
        .order_by("number")
    )


def premiums_for_broker(membership: Membership, *,
                        agency_wide: bool = False) -> QuerySet[Premium]:
    return Premium.objects.filter(
        _mandate_filter(membership, agency_wide, "policy__mandates__")
    ).select_related("policy__holder")


def premium_days_overdue(premium: Premium, today: date | None = None) -> int:
    """Days since the due date of a premium still unpaid; 0 when paid, cancelled or not due."""
    today = today or timezone.localdate()
    if premium.status in (Premium.Status.PAID, Premium.Status.CANCELLED):
        return 0
    return max((today - premium.due_date).days, 0)


def premium_totals(premiums: QuerySet[Premium]) -> dict[str, Decimal | int]:
    """Counts and sums per status of these premiums, in one query."""
    figures: dict[str, Any] = {}
    for status in (Premium.Status.DUE, Premium.Status.PAID, Premium.Status.OVERDUE):
        figures[f"{status}_count"] = Count("pk", filter=Q(status=status))
        figures[f"{status}_amount"] = Sum("amount", filter=Q(status=status))
    totals = premiums.order_by().aggregate(**figures)
    return {key: (value if value is not None else Decimal("0.00"))
            for key, value in totals.items()}


def documents_for_broker(membership: Membership, *,
                         agency_wide: bool = False) -> QuerySet[Document]:
    return Document.objects.filter(
        _mandate_filter(membership, agency_wide, "policy__mandates__"), published=True,
    ).select_related("policy__holder")


def document_for_broker(membership: Membership, pk: int, *,
                        agency_wide: bool = False) -> Document:
    document = documents_for_broker(membership, agency_wide=agency_wide).filter(pk=pk).first()
    if document is None:
        raise Http404
    return document


def commission_statements_for_broker(membership: Membership, *,
                                     agency_wide: bool = False) -> QuerySet[CommissionStatement]:
    """The agency's statements (agency_wide) or the broker's own."""
    membership = _broker_membership(membership)
    statements = CommissionStatement.objects.filter(agency_id=membership.agency_id)
    if not agency_wide:
        statements = statements.filter(broker_id=membership.user_id)
    return statements.select_related("broker")


def commission_statement_for_broker(membership: Membership, pk: int, *,
                                    agency_wide: bool = False) -> CommissionStatement:
    statement = (commission_statements_for_broker(membership, agency_wide=agency_wide)
                 .filter(pk=pk).first())
    if statement is None:
        raise Http404
    return statement


def commission_lines(statement: CommissionStatement) -> QuerySet[CommissionLine]:
    return statement.lines.select_related("policy__holder")


def broker_counts(membership: Membership, *, agency_wide: bool = False) -> dict[str, Any]:
    """The dashboard tiles' figures, a few aggregate queries whatever the portfolio's size."""
    policies = policies_for_broker(membership, agency_wide=agency_wide)
    since = timezone.now() - timedelta(days=NEW_DOCUMENT_DAYS)
    overdue = premiums_for_broker(membership, agency_wide=agency_wide).filter(
        status=Premium.Status.OVERDUE).order_by().aggregate(n=Count("pk"), amount=Sum("amount"))
    return {
        "policies": policies.count(),
        "clients": policies.order_by().values("holder_id").distinct().count(),
        "overdue_count": overdue["n"],
        "overdue_amount": overdue["amount"] or Decimal("0.00"),
        "new_documents": documents_for_broker(membership, agency_wide=agency_wide)
        .filter(published_at__gte=since).count(),
        "last_statement": commission_statements_for_broker(
            membership, agency_wide=agency_wide).order_by("-period_end", "-pk").first(),
    }


# --- employer portal ------------------------------------------------------------------------------
# Every read takes the active membership: another company's object is a 404.

def _employer_id(membership: Membership) -> int:
    if membership.kind != Membership.Kind.EMPLOYER or membership.employer_id is None:
        raise Http404
    return membership.employer_id


EMPLOYER_CACHE_SECONDS = 5 * 60


def employer_cache_key(employer_id: int) -> str:
    return f"employer:v1:{employer_id}"


def employer_for(membership: Membership, *, cached: Employer | None = None) -> Employer:
    """The membership's company (the header names it on every employer page), from the shared
    cache (or `cached`, read from it with something else); a save or delete of the employer
    drops it (policies.signals)."""
    key = employer_cache_key(_employer_id(membership))
    employer = cached if cached is not None else cache.get(key)
    if employer is None:
        employer = Employer.objects.get(pk=membership.employer_id)
        cache.set(key, employer, EMPLOYER_CACHE_SECONDS)
    return employer


def _or_404(queryset: QuerySet, pk):
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


# The person fields an employer may read (never capital, buy-in, WEF, pensions, IBAN, health).
EMPLOYER_PERSON_FIELDS = (
    "pk", "contract_id", "ahv_number", "first_name", "last_name", "birth_date", "sex",
    "civil_status", "street", "postcode", "city", "country", "language", "annual_salary",
    "employment_degree", "entry_date", "exit_date", "status", "personnel_number",
    "contract__number",
)


def staff_list_for(membership: Membership) -> QuerySet[InsuredPerson]:
    """The staff overview: only the fields an employer may see, and the contract number,
    in one query whatever the company's size."""
    contract_ids = list(Contract.objects.filter(employer_id=_employer_id(membership))
                        .values_list("pk", flat=True))
    # contract_id IN (ids), not a join on the employer: PostgreSQL then reads a page in name
    # order straight from person_contract_name_idx (0.2 ms instead of 20 at 20,000 staff).
    return InsuredPerson.objects.filter(contract_id__in=contract_ids).select_related(
        "contract").only(*EMPLOYER_PERSON_FIELDS)


AHV_DIGITS = re.compile(r"^756\d{0,10}$")


def staff_search(queryset: QuerySet[InsuredPerson], query: str) -> QuerySet[InsuredPerson]:
    """Each word: a name (part), a personnel number, or an AHV number typed with or without
    dots (whole or its beginning)."""
    for word in query.split()[:6]:
        digits = re.sub(r"[.\s]", "", word)
        if AHV_DIGITS.match(digits):
            if len(digits) == 13:
                formatted = f"{digits[:3]}.{digits[3:7]}.{digits[7:11]}.{digits[11:]}"
                queryset = queryset.filter(ahv_number=formatted)
            else:
                dotted = ".".join(filter(None, (digits[:3], digits[3:7], digits[7:11],
                                                digits[11:])))
                queryset = queryset.filter(ahv_number__startswith=dotted)
            continue
        queryset = queryset.filter(
            Q(last_name__icontains=word) | Q(first_name__icontains=word)
            | Q(personnel_number__iexact=word)
        )
    return queryset


def staff_names(employer_id: int, person_ids: list[int]) -> dict[int, str]:
    """Names of the company's persons a file names (the preview of its rows), one query."""
    return {
        pk: f"{last} {first}"
        for pk, last, first in InsuredPerson.objects.filter(
            contract__employer_id=employer_id, pk__in=person_ids,
        ).values_list("pk", "last_name", "first_name")
    }


def staff_member_for(membership: Membership, pk) -> InsuredPerson:
    return _or_404(staff_list_for(membership), pk)


def contracts_for_employer(membership: Membership) -> QuerySet[Contract]:
    return Contract.objects.filter(employer_id=_employer_id(membership)).select_related("plan")


def salary_history_for(membership: Membership, person: InsuredPerson) -> QuerySet[SalaryRecord]:
    return SalaryRecord.objects.filter(employer_id=_employer_id(membership), person=person)


def mutations_for_employer(membership: Membership) -> QuerySet[Mutation]:
    return Mutation.objects.filter(employer_id=_employer_id(membership)).select_related(
        "person").only(
        "pk", "case_number", "kind", "status", "effective_date", "created_at", "decided_at",
        "data", "reason", "batch_id", "employer_id", "person_id", "person__first_name",
        "person__last_name", "person__ahv_number")


def mutation_for(membership: Membership, pk) -> Mutation:
    return _or_404(
        Mutation.objects.filter(employer_id=_employer_id(membership))
        .select_related("person", "submitted_by").prefetch_related("events"), pk)


def mutations_open_for(membership: Membership) -> QuerySet[Mutation]:
    return mutations_for_employer(membership).filter(status__in=Mutation.OPEN_STATUSES)


def mutations_of_person(membership: Membership, person: InsuredPerson) -> QuerySet[Mutation]:
    return Mutation.objects.filter(employer_id=_employer_id(membership), person=person)


def batch_for(membership: Membership, pk) -> MutationBatch:
    return _or_404(MutationBatch.objects.filter(employer_id=_employer_id(membership)), pk)


def invoices_for(membership: Membership) -> QuerySet[ContributionInvoice]:
    return ContributionInvoice.objects.filter(
        employer_id=_employer_id(membership)).select_related("contract")


def invoice_for(membership: Membership, pk) -> ContributionInvoice:
    return _or_404(invoices_for(membership), pk)


def invoice_lines(invoice: ContributionInvoice) -> QuerySet[ContributionLine]:
    return invoice.lines.select_related("person").only(
        "pk", "invoice_id", "salary_basis", "employee_share", "employer_share",
        "person__first_name", "person__last_name", "person__ahv_number",
        "person__personnel_number")


def invoice_next_for(membership: Membership) -> ContributionInvoice | None:
    return invoices_for(membership).filter(
        status=ContributionInvoice.Status.OPEN, kind=ContributionInvoice.Kind.INVOICE,
    ).order_by("due_on", "pk").first()


def documents_for_employer(membership: Membership) -> QuerySet[Document]:
    return Document.objects.filter(employer_id=_employer_id(membership), published=True)


def document_for_employer(membership: Membership, pk) -> Document:
    return _or_404(documents_for_employer(membership), pk)


def declaration_for(membership: Membership, year: int) -> SalaryDeclaration | None:
    return SalaryDeclaration.objects.filter(employer_id=_employer_id(membership),
                                            year=year).first()


def declaration_lines_for(declaration: SalaryDeclaration) -> QuerySet[SalaryDeclarationLine]:
    return declaration.lines.select_related("person").only(
        "pk", "declaration_id", "previous_salary", "previous_degree", "annual_salary",
        "employment_degree", "changed", "person__first_name", "person__last_name",
        "person__ahv_number", "person__personnel_number",
    ).order_by("person__last_name", "person__first_name", "pk")


def employer_home_figures(membership: Membership) -> dict:
    """What the home page shows, in a handful of queries."""
    employer_id = _employer_id(membership)
    counts = employer_staff_counts(membership)
    open_mutations = Mutation.objects.filter(employer_id=employer_id,
                                             status__in=Mutation.OPEN_STATUSES)
    return {
        "counts": counts,
        "open_mutations": list(open_mutations.order_by("created_at").only(
            "pk", "case_number", "kind", "status", "created_at")[:5]),
        "open_mutations_count": open_mutations.count(),
        "unread_documents": Document.objects.filter(
            employer_id=employer_id, published=True, first_read_at__isnull=True).count(),
        "next_invoice": invoice_next_for(membership),
    }
