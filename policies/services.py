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
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import OutboxMessage, SecurityEvent, User
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
    Document,
    InsuredPerson,
    Mandate,
    PolicyLookup,
    Premium,
    RequestStatus,
)
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
    return change


@transaction.atomic
def change_request_reject(*, change: ChangeRequest, by: User, reason: str) -> ChangeRequest:
    if not reason.strip():
        raise ValidationError(_("Indiquez le motif du refus."))
    change = ChangeRequest.objects.select_for_update().get(pk=change.pk)
    if change.status in (RequestStatus.DONE, RequestStatus.REJECTED):
        raise ValidationError(_("Cette demande est déjà clôturée."))
    change.status, change.reason = RequestStatus.REJECTED, reason.strip()
    change.save(update_fields=["status", "reason"])
    ChangeRequestEvent.objects.create(
        change_request=change, status=RequestStatus.REJECTED, by=by, note=change.reason
    )
    return change


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


def _lookup_key(user: User, number: str) -> str:
    return f"policy-lookup:v1:{user.pk}:{number}"


def policy_lookup_take(*, user: User, number: str, found: bool) -> bool:
    """Whether the user may see the answer for this policy number now; records it if so.

    At most 60 different numbers an hour per user, hits and misses alike (a miss must cost the
    same as a hit, or the limit would tell them apart), counted in the database so every web
    process sees the same count. Opening the same policy again (its other tab, its PDF) within
    the hour costs nothing, and the shared cache remembers it so that costs no query either.
    `found` is kept for support: who looked for what."""
    key = _lookup_key(user, number)
    if cache.get(key):
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
