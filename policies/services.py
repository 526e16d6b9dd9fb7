"""Writes on the policies domain: documents, personal-data change requests (four eyes), data
export."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.duties import holds
from accounts.models import Membership, OutboxMessage, SecurityEvent, User
from accounts.services import message_queue, security_event_record

from . import commissions
from .dashboard_cache import dashboard_touch
from .models import (
    Agency,
    ChangeRequest,
    ChangeRequestEvent,
    CommissionLine,
    CommissionRule,
    CommissionStatement,
    Contract,
    ContributionInvoice,
    DeclarationPeriod,
    Document,
    Employer,
    InsuredPerson,
    Mandate,
    Mutation,
    MutationBatch,
    MutationEvent,
    PolicyLookup,
    Premium,
    RequestStatus,
    SalaryDeclaration,
    SalaryDeclarationLine,
    SalaryRecord,
)
from .mutations import jsonable
from .selectors import change_request_open
from .validators import normalize_payout_iban

DATA_EXPORT_LIMIT = 3
DATA_EXPORT_WINDOW = timedelta(hours=1)


def case_number_new(model: type[models.Model], prefix: str) -> str:
    """Random, unguessable and short enough to read out on the phone: D-2026-483920."""
    year = timezone.localdate().year
    while True:
        number = f"{prefix}-{year}-{secrets.randbelow(900000) + 100000}"
        if not model.objects.filter(case_number=number).exists():
            return number


# --- contacts ------------------------------------------------------------------------------------

def users_of_person(person: InsuredPerson) -> list[User]:
    return list(
        User.objects.filter(
            memberships__kind="insured", memberships__insured_person=person, is_active=True
        ).distinct()
    )


def _mobile_numbers(user: User) -> list[str]:
    from two_factor.plugins.phonenumber.models import PhoneDevice

    return [
        device.number.as_e164
        for device in PhoneDevice.objects.filter(user=user, confirmed=True)
        if device.number
    ]


def notice_send(*, user: User, subject: str, email_template: str, sms_text: str,
                context: dict[str, Any] | None = None) -> list[OutboxMessage]:
    """An e-mail (and an SMS to each confirmed mobile) with no personal data in it, in the user's
    language, queued through the outbox and Celery."""
    messages = []
    with translation.override(user.language or settings.LANGUAGE_CODE):
        body = render_to_string(email_template, {"site_url": settings.SITE_URL, **(context or {})})
        messages.append(message_queue(
            channel=OutboxMessage.Channel.EMAIL, recipient=user.email, subject=str(subject),
            body=body, user=user,
        ))
        for number in _mobile_numbers(user):
            messages.append(message_queue(
                channel=OutboxMessage.Channel.SMS, recipient=number, body=str(sms_text), user=user,
            ))
    return messages


# --- documents -----------------------------------------------------------------------------------

def document_mark_read(*, document: Document) -> None:
    if document.first_read_at is None:
        now = timezone.now()
        Document.objects.filter(pk=document.pk, first_read_at__isnull=True).update(
            first_read_at=now
        )
        document.first_read_at = now
        dashboard_touch(document.insured_person_id)


@transaction.atomic
def document_publish(*, document: Document) -> bool:
    """Publish once; the owner's users get a notice without personal data. False when it was
    already published (so saving it again sends nothing)."""
    locked = Document.objects.select_for_update().get(pk=document.pk)
    if locked.published_at is not None:
        document.published, document.published_at = True, locked.published_at
        return False
    now = timezone.now()
    Document.objects.filter(pk=document.pk).update(published=True, published_at=now)
    document.published, document.published_at = True, now
    dashboard_touch(document.insured_person_id)
    if document.insured_person_id is not None:
        for user in users_of_person(document.insured_person):
            with translation.override(user.language or settings.LANGUAGE_CODE):
                notice_send(
                    user=user,
                    subject=gettext("Un nouveau document vous attend"),
                    email_template="emails/document_published.txt",
                    sms_text=gettext(
                        "Un nouveau document vous attend dans votre espace de prévoyance."
                    ),
                )
    elif document.employer_id is not None:
        employer_document_notify(document=document)
    return True


# --- personal-data change requests ---------------------------------------------------------------

class FourEyesError(ValidationError):
    pass


def _previous_values(person: InsuredPerson, kind: str) -> dict[str, str]:
    if kind == ChangeRequest.Kind.ADDRESS:
        return {"street": person.street, "postcode": person.postcode, "city": person.city,
                "country": person.country}
    if kind == ChangeRequest.Kind.CIVIL_STATUS:
        return {"civil_status": person.civil_status}
    return {"iban": person.iban, "currency": person.bank_currency,
            "holder": person.bank_account_holder}


class ChangeRequestAlreadyOpen(ValidationError):
    def __init__(self, pending: ChangeRequest) -> None:
        super().__init__(
            _("Une demande de ce type est déjà en cours (%(case)s). Nous devons d'abord la "
              "traiter ; vous pourrez ensuite en faire une nouvelle.")
            % {"case": pending.case_number}
        )
        self.pending = pending


@transaction.atomic
def change_request_submit(
    *, person: InsuredPerson, kind: str, data: dict[str, Any], effective_date: date,
    submitted_by: User | None = None, recorded_by: User | None = None,
) -> ChangeRequest:
    """One open request of a kind at a time, whoever files it (the person, support in the admin,
    two posts at once): a second one would only race the first, and each bank-account request
    warns the old contacts. The person's row lock serialises the check and the insert."""
    InsuredPerson.objects.select_for_update().filter(pk=person.pk).first()
    pending = change_request_open(person, kind)
    if pending is not None:
        raise ChangeRequestAlreadyOpen(pending)
    change = ChangeRequest.objects.create(
        case_number=case_number_new(ChangeRequest, "M"),
        person=person, kind=kind, data=_jsonable(data), previous=_previous_values(person, kind),
        effective_date=effective_date, submitted_by=submitted_by, recorded_by=recorded_by,
    )
    ChangeRequestEvent.objects.create(
        change_request=change, status=RequestStatus.RECEIVED, by=submitted_by or recorded_by
    )
    if kind == ChangeRequest.Kind.BANK_ACCOUNT:
        # A stolen session must not move a pension silently: warn the contacts we already have.
        for user in users_of_person(person):
            with translation.override(user.language or settings.LANGUAGE_CODE):
                notice_send(
                    user=user,
                    subject=gettext("Demande de changement de compte bancaire"),
                    email_template="emails/document_bank_change.txt",
                    sms_text=gettext(
                        "Une demande de changement du compte de versement de votre rente a été "
                        "reçue. Si elle ne vient pas de vous, appelez-nous."
                    ),
                )
    return change


# Key in the request's data -> field of InsuredPerson, per kind of request.
CHANGE_FIELDS = {
    ChangeRequest.Kind.ADDRESS: {f: f for f in ("street", "postcode", "city", "country")},
    ChangeRequest.Kind.CIVIL_STATUS: {"civil_status": "civil_status"},
    ChangeRequest.Kind.BANK_ACCOUNT: {
        "iban": "iban", "currency": "bank_currency", "holder": "bank_account_holder",
    },
}
BANK_CURRENCIES = {choice for choice, _label in InsuredPerson._meta.get_field(
    "bank_currency").choices}
BANK_HOLDER_MAX = InsuredPerson._meta.get_field("bank_account_holder").max_length


def _clean_bank_account(data: dict[str, Any]) -> dict[str, Any]:
    """Also for a change recorded by support in the admin (free JSON): never a QR-IBAN or a
    typo, a currency the payments can use, a holder that fits. A new account replaces the
    whole set: a currency or holder the request does not give is cleared, not kept from the
    old account."""
    holder = str(data.get("holder") or "").strip()
    currency = str(data.get("currency") or "").strip().upper()
    if currency and currency not in BANK_CURRENCIES:
        raise ValidationError(_("La monnaie du compte doit être CHF ou EUR."))
    if len(holder) > BANK_HOLDER_MAX:
        raise ValidationError(
            _("Le nom du titulaire du compte ne peut pas dépasser %(max)s caractères.")
            % {"max": BANK_HOLDER_MAX}
        )
    return {**data, "iban": normalize_payout_iban(data.get("iban", "")), "currency": currency,
            "holder": holder}


def _refuse_own_request(change: ChangeRequest, by: User) -> None:
    """A support colleague who is insured in the fund never checks a change of his own data."""
    if by.pk == change.submitted_by_id or by.insured_person_id == change.person_id:
        raise FourEyesError(
            _("Principe des quatre yeux : vous ne pouvez pas traiter une demande qui concerne "
              "vos propres données.")
        )


@transaction.atomic
def change_request_validate(*, change: ChangeRequest, by: User, note: str = "") -> ChangeRequest:
    change = ChangeRequest.objects.select_for_update().get(pk=change.pk)
    if change.status != RequestStatus.RECEIVED:
        raise ValidationError(_("Seule une demande reçue peut être validée."))
    _refuse_own_request(change, by)
    change.status = RequestStatus.IN_PROGRESS
    change.validated_by, change.validated_at = by, timezone.now()
    change.save(update_fields=["status", "validated_by", "validated_at"])
    ChangeRequestEvent.objects.create(
        change_request=change, status=RequestStatus.IN_PROGRESS, by=by, note=note
    )
    return change


@transaction.atomic
def change_request_approve(*, change: ChangeRequest, by: User) -> ChangeRequest:
    """Second pair of eyes: applies the change. The approver is never the colleague who
    recorded or validated it."""
    change = ChangeRequest.objects.select_for_update().get(pk=change.pk)
    if change.status != RequestStatus.IN_PROGRESS or change.validated_by_id is None:
        raise FourEyesError(_("La demande doit d'abord être validée par un·e collègue."))
    if by.pk in (change.validated_by_id, change.recorded_by_id):
        raise FourEyesError(
            _("Principe des quatre yeux : une autre personne que celle qui a saisi ou validé "
              "la demande doit l'approuver.")
        )
    _refuse_own_request(change, by)
    if change.kind == ChangeRequest.Kind.BANK_ACCOUNT:
        if not holds(by, "approve_bank_change"):
            raise FourEyesError(
                _("Un changement de compte bancaire est approuvé par un·e superviseur·e "
                  "(droit « approuver un changement de coordonnées bancaires »).")
            )
        change.data = _clean_bank_account(change.data)
    person = InsuredPerson.objects.select_for_update().get(pk=change.person_id)
    # Only the fields of this kind of request: an "address" change never carries an IBAN.
    for key, field in CHANGE_FIELDS[change.kind].items():
        if key in change.data:
            setattr(person, field, change.data[key])
    person.save()
    change.status = RequestStatus.DONE
    change.approved_by, change.approved_at = by, timezone.now()
    change.save(update_fields=["status", "approved_by", "approved_at"])
    ChangeRequestEvent.objects.create(change_request=change, status=RequestStatus.DONE, by=by)
    dashboard_touch(change.person_id)
    request_decision_notify(
        item=change, path=reverse("insured:change-detail", args=[change.pk]),
        sms_text=BANK_CHANGED_SMS if change.kind == ChangeRequest.Kind.BANK_ACCOUNT else None,
    )
    return change


REASON_MAX = 2000


def reason_clean(reason: str | None) -> str:
    """A rejection's reason, shown to the person: required, at most 2000 characters."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Indiquez le motif du refus."))
    if len(reason) > REASON_MAX:
        raise ValidationError(
            _("Le motif ne peut pas dépasser %(max)s caractères.") % {"max": REASON_MAX})
    return reason


@transaction.atomic
def change_request_reject(*, change: ChangeRequest, by: User, reason: str) -> ChangeRequest:
    reason = reason_clean(reason)
    change = ChangeRequest.objects.select_for_update().get(pk=change.pk)
    if change.status in (RequestStatus.DONE, RequestStatus.REJECTED):
        raise ValidationError(_("Cette demande est déjà clôturée."))
    change.status, change.reason = RequestStatus.REJECTED, reason
    change.save(update_fields=["status", "reason"])
    ChangeRequestEvent.objects.create(
        change_request=change, status=RequestStatus.REJECTED, by=by, note=change.reason
    )
    dashboard_touch(change.person_id)
    request_decision_notify(item=change,
                            path=reverse("insured:change-detail", args=[change.pk]))
    return change


BANK_CHANGED_SMS = _("Le compte de versement de votre rente a été modifié. Si ce n'est pas vous "
                     "qui l'avez demandé, appelez-nous.")


def request_decision_notify(*, item: Any, path: str,
                            sms_text: Any = None) -> list[OutboxMessage]:
    """The person's users learn that their request (change of personal data, request from a
    simulation) was carried out or refused: an e-mail in their language with the case number
    and a link, no personal data and not the reason (support's free text; the portal shows it).
    A new bank account is also told by SMS, like its request was."""
    sent = []
    for user in users_of_person(item.person):
        with translation.override(user.language or settings.LANGUAGE_CODE):
            body = render_to_string("emails/request_decision.txt", {
                "case": item.case_number, "kind": item.get_kind_display(),
                "done": item.status == RequestStatus.DONE,
                "url": f"{settings.SITE_URL}{path}",
            })
            subject = gettext("Votre demande %(case)s : %(status)s") % {
                "case": item.case_number, "status": item.get_status_display()}
            sent.append(message_queue(channel=OutboxMessage.Channel.EMAIL,
                                      recipient=user.email, subject=subject, body=body,
                                      user=user))
            if sms_text:
                for number in _mobile_numbers(user):
                    sent.append(message_queue(channel=OutboxMessage.Channel.SMS,
                                              recipient=number, body=str(sms_text), user=user))
    return sent


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in data.items():
        if isinstance(value, date | Decimal):
            value = value.isoformat() if isinstance(value, date) else str(value)
        out[key] = value
    return out


# --- my data (nFADP art. 25/28) ------------------------------------------------------------------

def data_export_allowed(*, user: User) -> bool:
    """Counted in the database, so every web process sees the same count."""
    since = timezone.now() - DATA_EXPORT_WINDOW
    return (
        SecurityEvent.objects.filter(
            user=user, kind=SecurityEvent.Kind.DATA_EXPORT, created_at__gte=since
        ).count()
        < DATA_EXPORT_LIMIT
    )


def data_export_record(*, user: User, fmt: str, request=None) -> None:
    security_event_record(
        user=user, kind=SecurityEvent.Kind.DATA_EXPORT, request=request, format=fmt
    )


# --- broker portal (issue 11) --------------------------------------------------------------------

POLICY_LOOKUPS_PER_HOUR = 60
POLICY_LOOKUP_WINDOW = timedelta(hours=1)


def policy_lookup_key(user: User, number: str) -> str:
    return f"policy-lookup:v1:{user.pk}:{number}"


def policy_lookup_take(*, user: User, number: str, found: bool,
                       remembered: bool | None = None) -> bool:
    """Whether the user may see the answer for this policy number now; records it if so.

    At most 60 different numbers an hour per user, hits and misses alike (a miss must cost the
    same as a hit, or the limit would tell them apart), counted in the database so every web
    process sees the same count. Opening the same policy again (its other tab, its PDF) within
    the hour costs nothing, and the shared cache remembers it so that costs no query either.
    `found` is kept for support: who looked for what. `remembered`: whether the caller
    already read the cache entry (with something else, in one round trip)."""
    key = policy_lookup_key(user, number)
    if remembered if remembered is not None else cache.get(key):
        return True
    now = timezone.now()
    seen = PolicyLookup.objects.filter(user=user, at__gte=now - POLICY_LOOKUP_WINDOW).aggregate(
        numbers=models.Count("number", distinct=True),
        first=models.Min("at", filter=models.Q(number=number)),
    )
    if seen["first"] is not None:
        remaining = seen["first"] + POLICY_LOOKUP_WINDOW - now
    elif seen["numbers"] >= POLICY_LOOKUPS_PER_HOUR:
        return False
    else:
        PolicyLookup.objects.create(user=user, number=number[:20], found=found, at=now)
        remaining = POLICY_LOOKUP_WINDOW
    cache.set(key, 1, max(int(remaining.total_seconds()), 1))
    return True


def _commission_facts(agency: Agency, start: date, end: date):
    mandates = {
        m.policy_id: m for m in Mandate.objects.filter(agency=agency).select_related("policy")
        .filter(
            models.Q(policy__premiums__paid_date__range=(start, end))
            | models.Q(policy__premiums__cancelled_date__range=(start, end))
            | models.Q(policy__terminated_on__range=(start, end))
        ).distinct()
    }
    policies = {
        pk: commissions.PolicyFacts(
            policy_id=pk, product=m.policy.product, start_date=m.policy.start_date,
            status=m.policy.status, terminated_on=m.policy.terminated_on, broker_id=m.broker_id,
            mandate_start=m.start_date, mandate_end=m.end_date,
        )
        for pk, m in mandates.items()
    }
    premiums = [
        commissions.PremiumFacts(
            policy_id=p.policy_id, due_date=p.due_date, amount=p.amount, paid_date=p.paid_date,
            cancelled_date=p.cancelled_date,
        )
        for p in Premium.objects.filter(policy_id__in=list(policies)).filter(
            models.Q(paid_date__range=(start, end))
            | models.Q(cancelled_date__range=(start, end))
            | models.Q(policy__terminated_on__range=(start, end))
        ).order_by("policy_id", "due_date", "pk")
    ]
    rules = [
        commissions.Rule(
            product=r.product, agency_id=r.agency_id, first_year_rate=r.first_year_rate,
            renewal_rate=r.renewal_rate, clawback_months=r.clawback_months,
            valid_from=r.valid_from, valid_until=r.valid_until,
        )
        for r in CommissionRule.objects.filter(
            models.Q(agency=agency) | models.Q(agency__isnull=True)).order_by("pk")
    ]
    return policies, premiums, rules


@transaction.atomic
def commission_statements_compute(*, agency: Agency, period_kind: str,
                                  day: date) -> list[CommissionStatement]:
    """(Re)compute the agency's statements of the month, quarter or year containing `day`:
    one per broker holding a mandate that earned or lost commission (and one for the agency's
    own policies). Lines are replaced, so a statement always equals the sum of its lines and
    computing twice gives the same statements (same ids). The agency's row lock serialises two
    computations of one agency."""
    if period_kind not in CommissionStatement.Period.values:
        raise ValidationError(_("Période inconnue."))
    Agency.objects.select_for_update().filter(pk=agency.pk).first()
    start, end = commissions.period_bounds(period_kind, day)
    policies, premiums, rules = _commission_facts(agency, start, end)
    lines = commissions.statement_lines(agency_id=agency.pk, start=start, end=end,
                                        policies=policies, premiums=premiums, rules=rules)
    by_broker: dict[int | None, list[commissions.Line]] = {}
    for line in lines:
        by_broker.setdefault(line.broker_id, []).append(line)
    existing = {
        s.broker_id: s for s in CommissionStatement.objects.filter(
            agency=agency, period_kind=period_kind, period_start=start)
    }
    now = timezone.now()
    statements = []
    for broker_id, broker_lines in by_broker.items():
        statement = existing.pop(broker_id, None) or CommissionStatement(
            agency=agency, broker_id=broker_id, period_kind=period_kind, period_start=start)
        statement.period_end = end
        statement.total = commissions.statement_total(broker_lines)
        statement.computed_at = now
        statement.save()
        statement.lines.all().delete()
        CommissionLine.objects.bulk_create(
            CommissionLine(statement=statement, policy_id=ln.policy_id, kind=ln.kind,
                           basis=ln.basis, rate=ln.rate, amount=ln.amount)
            for ln in broker_lines
        )
        statements.append(statement)
    for stale in existing.values():  # nothing left to pay or take back for that broker
        stale.lines.all().delete()
        stale.delete()
    return statements


# --- employer portal: mutations ------------------------------------------------------------------

class MutationNotOpen(ValidationError):
    """The mutation was decided (or withdrawn) meanwhile: nothing is done twice."""

    def __init__(self, mutation: Mutation) -> None:
        super().__init__(
            _("Cette mutation a déjà été traitée (%(status)s).")
            % {"status": mutation.get_status_display()}
        )
        self.mutation = mutation


def _mutation_event(mutation: Mutation, status: str, by: User | None, note: str = "") -> None:
    MutationEvent.objects.create(mutation=mutation, status=status, by=by, note=note)


@transaction.atomic
def mutation_submit(
    *, employer: Employer, kind: str, effective_date: date, data: dict[str, Any],
    person: InsuredPerson | None, submitted_by: User | None,
) -> Mutation:
    """A change reported by the employer; it changes nothing on the person until support
    books it. `data` was checked by policies.mutations (the form or the file)."""
    mutation = Mutation.objects.create(
        case_number=case_number_new(Mutation, "E"), employer=employer, person=person,
        kind=kind, effective_date=effective_date, data=jsonable(data), submitted_by=submitted_by,
    )
    _mutation_event(mutation, Mutation.Status.SUBMITTED, submitted_by)
    return mutation


@transaction.atomic
def mutation_withdraw(*, mutation: Mutation, by: User) -> Mutation:
    """The employer takes back a report nobody has started on yet."""
    locked = Mutation.objects.select_for_update().get(pk=mutation.pk)
    if locked.status != Mutation.Status.SUBMITTED:
        raise MutationNotOpen(locked)
    locked.status, locked.decided_at = Mutation.Status.WITHDRAWN, timezone.now()
    locked.save(update_fields=["status", "decided_at"])
    _mutation_event(locked, Mutation.Status.WITHDRAWN, by)
    return locked


@transaction.atomic
def mutation_review(*, mutation: Mutation, by: User) -> Mutation:
    locked = Mutation.objects.select_for_update().get(pk=mutation.pk)
    if locked.status != Mutation.Status.SUBMITTED:
        raise MutationNotOpen(locked)
    locked.status = Mutation.Status.IN_REVIEW
    locked.save(update_fields=["status"])
    _mutation_event(locked, Mutation.Status.IN_REVIEW, by)
    return locked


def _salary_record(person: InsuredPerson, mutation: Mutation, valid_from: date) -> None:
    SalaryRecord.objects.create(
        person=person, employer_id=mutation.employer_id, valid_from=valid_from,
        annual_salary=person.annual_salary, employment_degree=person.employment_degree,
        mutation=mutation,
    )


def _employer_contract(employer_id: int, contract_id: Any = None) -> Contract:
    contracts = Contract.objects.filter(employer_id=employer_id).order_by("start_date", "pk")
    chosen = contracts.filter(pk=contract_id).first() if contract_id else None
    contract = chosen or contracts.filter(end_date__isnull=True).first() or contracts.first()
    if contract is None:
        raise ValidationError(_("Cet employeur n'a aucun contrat d'affiliation."))
    return contract


def _apply_entry(mutation: Mutation) -> InsuredPerson:
    data = mutation.data
    contract = _employer_contract(mutation.employer_id, data.get("contract_id"))
    person = InsuredPerson.objects.select_for_update().filter(ahv_number=data["ahv"]).first()
    if person is not None and person.status != InsuredPerson.Status.LEFT:
        raise ValidationError(
            _("Cette personne est déjà assurée et active : l'entrée ne peut pas être "
              "enregistrée."))
    if person is None:
        person = InsuredPerson(ahv_number=data["ahv"])
    person.contract = contract
    person.first_name, person.last_name = data["first_name"], data["last_name"]
    person.birth_date = date.fromisoformat(data["birth_date"])
    person.sex = data["sex"]
    person.annual_salary = Decimal(data["annual_salary"])
    person.employment_degree = Decimal(data.get("employment_degree") or "100")
    person.personnel_number = data.get("personnel_number", "")
    person.entry_date, person.exit_date = mutation.effective_date, None
    person.status = InsuredPerson.Status.ACTIVE
    person.save()
    _salary_record(person, mutation, mutation.effective_date)
    return person


def _apply(mutation: Mutation) -> InsuredPerson:
    """The change on the person, in the booking's transaction."""
    if mutation.kind == Mutation.Kind.ENTRY:
        return _apply_entry(mutation)
    person = InsuredPerson.objects.select_for_update().get(
        pk=mutation.person_id, contract__employer_id=mutation.employer_id)
    data, kind = mutation.data, mutation.kind
    if kind != Mutation.Kind.UNPAID_LEAVE and person.status != InsuredPerson.Status.ACTIVE:
        raise ValidationError(_("Cette personne n'est plus active : la mutation ne peut pas être "
                                "enregistrée."))
    if kind == Mutation.Kind.EXIT:
        if mutation.effective_date < person.entry_date:
            raise ValidationError(_("La date de sortie précède la date d'entrée."))
        person.exit_date, person.status = mutation.effective_date, InsuredPerson.Status.LEFT
    elif kind == Mutation.Kind.SALARY:
        person.annual_salary = Decimal(data["annual_salary"])
    elif kind == Mutation.Kind.DEGREE:
        person.employment_degree = Decimal(data["employment_degree"])
    elif kind == Mutation.Kind.CIVIL_STATUS:
        person.civil_status = data["civil_status"]
    elif kind == Mutation.Kind.ADDRESS:
        for name in ("street", "postcode", "city", "country"):
            if name in data:
                setattr(person, name, data[name])
    if "personnel_number" in data and data["personnel_number"] and kind != Mutation.Kind.EXIT:
        person.personnel_number = data["personnel_number"]
    person.save()
    if kind in (Mutation.Kind.SALARY, Mutation.Kind.DEGREE):
        _salary_record(person, mutation, mutation.effective_date)
    return person


@transaction.atomic
def mutation_book(*, mutation: Mutation, by: User) -> Mutation:
    """Support books the mutation: the change is applied to the person in this transaction,
    the person's dashboard version moves and the employer is told. The row lock makes two
    colleagues clicking at once book it once; the second gets MutationNotOpen."""
    locked = Mutation.objects.select_for_update().get(pk=mutation.pk)
    if locked.status not in Mutation.OPEN_STATUSES:
        raise MutationNotOpen(locked)
    person = _apply(locked)
    locked.person = person
    locked.status, locked.decided_at = Mutation.Status.BOOKED, timezone.now()
    locked.save(update_fields=["person", "status", "decided_at"])
    _mutation_event(locked, Mutation.Status.BOOKED, by)
    dashboard_touch(person.pk)
    mutation_decision_notify(mutation=locked)
    return locked


@transaction.atomic
def mutation_reject(*, mutation: Mutation, by: User, reason: str) -> Mutation:
    reason = reason_clean(reason)
    locked = Mutation.objects.select_for_update().get(pk=mutation.pk)
    if locked.status not in Mutation.OPEN_STATUSES:
        raise MutationNotOpen(locked)
    locked.status, locked.reason = Mutation.Status.REJECTED, reason
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "reason", "decided_at"])
    _mutation_event(locked, Mutation.Status.REJECTED, by, note=locked.reason)
    mutation_decision_notify(mutation=locked)
    return locked


def employer_users(employer_id: int) -> list[User]:
    """Active users with a current membership of the company (admins, clerks, third
    parties)."""
    today = timezone.localdate()
    return list(
        User.objects.filter(
            is_active=True, memberships__kind=Membership.Kind.EMPLOYER,
            memberships__employer_id=employer_id, memberships__revoked_at__isnull=True,
        ).filter(models.Q(memberships__valid_until__isnull=True)
                 | models.Q(memberships__valid_until__gte=today)).distinct()
    )


def mutation_decision_notify(*, mutation: Mutation) -> list[OutboxMessage]:
    """E-mail to whoever reported it (or, gone meanwhile, to the company's admins): the case
    number and the decision, no personal data. A mutation of a file or a declaration is told
    once for all, when the last one of its batch is decided (10,000 salary lines are one
    e-mail, not 10,000)."""
    batch = None
    if mutation.batch_id is not None:
        if Mutation.objects.filter(batch_id=mutation.batch_id,
                                   status__in=Mutation.OPEN_STATUSES).exists():
            return []
        batch = MutationBatch.objects.get(pk=mutation.batch_id)
    users = employer_users(mutation.employer_id)
    recipients = [u for u in users if u.pk == mutation.submitted_by_id] or [
        u for u in users if u.memberships.filter(
            employer_id=mutation.employer_id, role=Membership.Role.ADMIN,
            revoked_at__isnull=True).exists()]
    sent = []
    counts = {}
    if batch is not None:
        counts = dict(Mutation.objects.filter(batch=batch).values_list("status").annotate(
            n=models.Count("pk")))
    for user in recipients:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            body = render_to_string("emails/mutation_decision.txt", {
                "site_url": settings.SITE_URL, "mutation": mutation, "batch": batch,
                "booked": mutation.status == Mutation.Status.BOOKED,
                "booked_count": counts.get(Mutation.Status.BOOKED, 0),
                "rejected_count": counts.get(Mutation.Status.REJECTED, 0),
            })
            if batch is not None:
                subject = gettext("Votre dossier %(case)s est traité") % {
                    "case": batch.case_number}
            else:
                subject = gettext("Votre mutation %(case)s : %(status)s") % {
                    "case": mutation.case_number, "status": mutation.get_status_display()}
            sent.append(message_queue(channel=OutboxMessage.Channel.EMAIL, recipient=user.email,
                                      subject=subject, body=body, user=user))
    return sent


# --- employer portal: files of mutations ---------------------------------------------------------

def batch_create(*, employer: Employer, user: User, upload, purpose: str = "mutations",
                 declaration: SalaryDeclaration | None = None) -> MutationBatch:
    """Keep the uploaded file (private storage) until it is read; nothing else happens."""
    from .mutations import safe_name

    batch = MutationBatch(employer=employer, created_by=user, purpose=purpose,
                          declaration=declaration, filename=safe_name(upload.name))
    batch.file.save(f"batch-{secrets.token_hex(8)}", upload, save=False)
    batch.save()
    return batch


def batch_fail(*, batch: MutationBatch, code: str, params: dict | None = None) -> None:
    """Only a check still under way fails: a second run of the same check (a task delivered
    twice) that finds the file gone must not undo the first one's report."""
    batch.status, batch.failure = MutationBatch.Status.FAILED, code
    batch.errors = [[0, "", code, params or {}]]
    if MutationBatch.objects.filter(pk=batch.pk, status=MutationBatch.Status.VALIDATING).update(
            status=batch.status, failure=batch.failure, errors=batch.errors):
        _batch_file_drop(batch)


def _batch_file_drop(batch: MutationBatch) -> None:
    if batch.file:
        batch.file.delete(save=False)
        MutationBatch.objects.filter(pk=batch.pk).update(file="")


def batch_validate(*, batch_id: int) -> MutationBatch:
    """Read and check every row (the Celery task runs this for large files); the progress is
    written as it goes so that the page can show it.

    Restartable: nothing but the progress is written before the end and the file is kept until
    then, so a check whose worker died is simply run again from the start; the report is
    written only if the batch is still being checked (a duplicate run changes nothing)."""
    from . import mutations as rules

    batch = MutationBatch.objects.get(pk=batch_id)
    if batch.status != MutationBatch.Status.VALIDATING:
        return batch
    MutationBatch.objects.filter(pk=batch.pk).update(progress_at=timezone.now())
    try:
        with batch.file.open("rb") as handle:
            table = rules.read_table(handle, size=batch.file.size)
    except rules.FileRefused as refused:
        batch_fail(batch=batch, code=refused.code, params=refused.params)
        return batch
    except (FileNotFoundError, OSError, ValueError):
        batch_fail(batch=batch, code="unreadable")
        return batch
    MutationBatch.objects.filter(pk=batch.pk).update(total_rows=table.count)
    checker = rules.MutationChecker(employer_id=batch.employer_id)

    def progress(done: int) -> None:
        MutationBatch.objects.filter(pk=batch.pk).update(processed_rows=done,
                                                         progress_at=timezone.now())

    only_kind = Mutation.Kind.SALARY if batch.purpose == MutationBatch.Purpose.DECLARATION \
        else None
    outcome = rules.validate_table(table, checker, progress=progress, only_kind=only_kind,
                                   every=max(100, table.count // 50))
    if only_kind and batch.declaration_id:
        outcome = _declaration_rows(batch, outcome)
    batch.total_rows = batch.processed_rows = outcome.total
    batch.rows, batch.errors = outcome.valid, outcome.errors
    batch.valid_count, batch.error_count = len(outcome.valid), outcome.error_count
    batch.status = MutationBatch.Status.READY
    written = MutationBatch.objects.filter(
        pk=batch.pk, status=MutationBatch.Status.VALIDATING,
    ).update(total_rows=batch.total_rows, processed_rows=batch.processed_rows, rows=batch.rows,
             errors=batch.errors, valid_count=batch.valid_count, error_count=batch.error_count,
             status=batch.status, progress_at=timezone.now())
    if not written:  # another run of the same check finished first, or the file was discarded
        return MutationBatch.objects.get(pk=batch.pk)
    _batch_file_drop(batch)
    return batch


def _declaration_rows(batch: MutationBatch, outcome):
    """A declaration file names persons of the declaration only (active staff)."""
    listed = set(SalaryDeclarationLine.objects.filter(declaration_id=batch.declaration_id)
                 .values_list("person_id", flat=True))
    valid = []
    for row in outcome.valid:
        if row.get("person_id") in listed:
            valid.append(row)
        else:
            outcome.errors.append([row["row"], "ahv", "person_unknown", {}])
            outcome.error_count += 1
    outcome.valid = valid
    return outcome


class BatchNotReady(ValidationError):
    pass


@transaction.atomic
def batch_confirm(*, batch: MutationBatch, by: User) -> MutationBatch:
    """The N valid rows become N mutations (one case number for the file, each mutation its
    own under it), all at once or none."""
    locked = MutationBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status != MutationBatch.Status.READY or not locked.valid_count:
        raise BatchNotReady(_("Ce fichier ne peut plus être transmis."))
    if locked.purpose == MutationBatch.Purpose.DECLARATION:
        _declaration_fill(locked)
    else:
        locked.case_number = case_number_new(MutationBatch, "L")
        _mutations_create(locked.employer_id, locked.rows, by=by, batch=locked,
                          case_number=locked.case_number)
    locked.status, locked.confirmed_at = MutationBatch.Status.CONFIRMED, timezone.now()
    locked.save(update_fields=["status", "confirmed_at", "case_number"])
    return locked


def _mutations_create(employer_id: int, rows: list[dict], *, by: User | None,
                      batch: MutationBatch, case_number: str) -> list[Mutation]:
    now = timezone.now()
    mutations = []
    for index, row in enumerate(rows, start=1):
        data = {k: v for k, v in row.items()
                if k not in ("kind", "effective_date", "row", "person_id")}
        person_id = row.get("person_id") if row["kind"] != Mutation.Kind.ENTRY else None
        mutations.append(Mutation(
            case_number=f"{case_number}-{index}", employer_id=employer_id, person_id=person_id,
            kind=row["kind"], effective_date=date.fromisoformat(row["effective_date"]),
            data=data, submitted_by=by, batch=batch, created_at=now,
        ))
    created = Mutation.objects.bulk_create(mutations, batch_size=1000)
    if any(m.pk is None for m in created):  # backends that do not return keys
        created = list(Mutation.objects.filter(batch=batch).order_by("pk"))
    MutationEvent.objects.bulk_create(
        [MutationEvent(mutation=m, status=Mutation.Status.SUBMITTED, by=by, at=now)
         for m in created], batch_size=1000)
    return created


def batch_discard(*, batch: MutationBatch) -> None:
    MutationBatch.objects.filter(
        pk=batch.pk, status__in=(MutationBatch.Status.READY, MutationBatch.Status.FAILED,
                                 MutationBatch.Status.VALIDATING),
    ).update(status=MutationBatch.Status.DISCARDED, rows=[])
    _batch_file_drop(batch)


# --- employer portal: annual salary declaration --------------------------------------------------

def declaration_period_for(year: int) -> DeclarationPeriod:
    """The fund's dates for the year, or the default (settings): open from 1 January, due at
    the end of January."""
    period = DeclarationPeriod.objects.filter(year=year).first()
    if period is not None:
        return period
    due_month, due_day = settings.SALARY_DECLARATION_DUE
    return DeclarationPeriod(year=year, opens_on=date(year, 1, 1),
                             due_on=date(year, due_month, due_day))


@transaction.atomic
def declaration_open(*, employer: Employer, year: int) -> SalaryDeclaration:
    """The year's declaration with one line per active person (last year's figures as the
    starting values); persons who entered since are added when it is opened again."""
    declaration, _created = SalaryDeclaration.objects.get_or_create(employer=employer, year=year)
    declaration = SalaryDeclaration.objects.select_for_update().get(pk=declaration.pk)
    if declaration.status != SalaryDeclaration.Status.DRAFT:
        return declaration
    listed = set(declaration.lines.values_list("person_id", flat=True))
    new_lines = [
        SalaryDeclarationLine(
            declaration=declaration, person_id=pk, previous_salary=salary,
            previous_degree=degree, annual_salary=salary, employment_degree=degree,
        )
        for pk, salary, degree in InsuredPerson.objects.filter(
            contract__employer=employer, status=InsuredPerson.Status.ACTIVE,
        ).values_list("pk", "annual_salary", "employment_degree")
        if pk not in listed
    ]
    SalaryDeclarationLine.objects.bulk_create(new_lines, batch_size=1000)
    return declaration


class DeclarationClosed(ValidationError):
    pass


def _declaration_draft(declaration: SalaryDeclaration) -> SalaryDeclaration:
    locked = SalaryDeclaration.objects.select_for_update().get(pk=declaration.pk)
    if locked.status != SalaryDeclaration.Status.DRAFT:
        raise DeclarationClosed(_("Cette déclaration a déjà été transmise."))
    return locked


@transaction.atomic
def declaration_lines_update(*, declaration: SalaryDeclaration,
                             values: dict[int, tuple[Decimal, Decimal]]) -> int:
    """line pk -> (salary, degree), for lines of this declaration only."""
    _declaration_draft(declaration)
    lines = SalaryDeclarationLine.objects.filter(declaration=declaration, pk__in=list(values))
    changed = []
    for line in lines:
        salary, degree = values[line.pk]
        line.annual_salary, line.employment_degree = salary, degree
        line.changed = (salary, degree) != (line.previous_salary, line.previous_degree)
        changed.append(line)
    SalaryDeclarationLine.objects.bulk_update(changed, ["annual_salary", "employment_degree",
                                                        "changed"])
    return len(changed)


def _declaration_fill(batch: MutationBatch) -> None:
    declaration = _declaration_draft(batch.declaration)
    by_person = {row["person_id"]: row for row in batch.rows}
    lines = list(SalaryDeclarationLine.objects.filter(declaration=declaration,
                                                      person_id__in=list(by_person)))
    for line in lines:
        row = by_person[line.person_id]
        line.annual_salary = Decimal(row["annual_salary"])
        if row.get("employment_degree"):
            line.employment_degree = Decimal(row["employment_degree"])
        line.changed = (line.annual_salary, line.employment_degree) != (
            line.previous_salary, line.previous_degree)
    SalaryDeclarationLine.objects.bulk_update(lines, ["annual_salary", "employment_degree",
                                                      "changed"], batch_size=1000)


@transaction.atomic
def declaration_submit(*, declaration: SalaryDeclaration, by: User) -> SalaryDeclaration:
    """Once: one batch of salary mutations (valid from 1 January) under one case number."""
    locked = _declaration_draft(declaration)
    case_number = case_number_new(SalaryDeclaration, "S")
    batch = MutationBatch.objects.create(
        employer_id=locked.employer_id, created_by=by,
        purpose=MutationBatch.Purpose.DECLARATION, declaration=locked,
        status=MutationBatch.Status.CONFIRMED, confirmed_at=timezone.now(),
        case_number=case_number,
    )
    first = date(locked.year, 1, 1).isoformat()
    rows = [
        {"kind": Mutation.Kind.SALARY, "effective_date": first, "person_id": person_id,
         "ahv": ahv, "annual_salary": str(salary), "employment_degree": str(degree)}
        for person_id, ahv, salary, degree in locked.lines.select_related("person").values_list(
            "person_id", "person__ahv_number", "annual_salary", "employment_degree")
    ]
    _mutations_create(locked.employer_id, rows, by=by, batch=batch, case_number=case_number)
    locked.status, locked.case_number = SalaryDeclaration.Status.SUBMITTED, case_number
    locked.submitted_by, locked.submitted_at = by, timezone.now()
    locked.save(update_fields=["status", "case_number", "submitted_by", "submitted_at"])
    return locked


# --- employer portal: documents and invoices -----------------------------------------------------

def employer_document_notify(*, document: Document) -> list[OutboxMessage]:
    sent = []
    for user in employer_users(document.employer_id):
        with translation.override(user.language or settings.LANGUAGE_CODE):
            body = render_to_string("emails/employer_document_published.txt",
                                    {"site_url": settings.SITE_URL})
            sent.append(message_queue(
                channel=OutboxMessage.Channel.EMAIL, recipient=user.email,
                subject=gettext("Un nouveau document pour votre entreprise"), body=body,
                user=user))
    return sent


def employer_document_mark_read(*, document: Document) -> None:
    if document.first_read_at is None:
        Document.objects.filter(pk=document.pk, first_read_at__isnull=True).update(
            first_read_at=timezone.now())


def invoice_mark_read(*, invoice: ContributionInvoice) -> None:
    if invoice.first_read_at is None:
        ContributionInvoice.objects.filter(pk=invoice.pk, first_read_at__isnull=True).update(
            first_read_at=timezone.now())
