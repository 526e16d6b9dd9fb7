"""Support's "find a person" and the person page: reads only (accounts/admin_person.py shows them,
services act).

A person is an account (User), an insured person (InsuredPerson), or both. The search reads one
text as an AHV number (with or without dots), an e-mail address, a policy number, a personnel
number or a name (case and accents aside) and answers one row per person.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import CharField, Func, Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django_otp import devices_for_user

from policies.models import (
    OPEN_REQUEST_STATUSES,
    ChangeRequest,
    Document,
    InsuredPerson,
    Mandate,
    Mutation,
    Policy,
    PolicyHolder,
)
from policies.selectors import policy_number_normalize
from policies.swiss import ahv_masked, phone_masked
from policies.validators import normalize_ahv

from .models import (
    BackupCodeDevice,
    FactorResetRequest,
    Membership,
    OutboxMessage,
    RegistrationCode,
    SecurityEvent,
    User,
    UserSession,
)
from .selectors import session_device_label

MAX_QUERY_LENGTH = 100
MAX_HITS = 50
MIN_NAME_PART = 2

# Accented letters of names in the four national languages and their neighbours, folded to the
# plain letter (the database side of fold(); PostgreSQL's TRANSLATE needs no extension).
_ACCENTED = "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöøùúûüýÿ"
_PLAIN = "".join(
    "o" if c == "ø" else "O" if c == "Ø" else unicodedata.normalize("NFKD", c)[0]
    for c in _ACCENTED
)


def fold(text: str) -> str:
    """Lower case without accents: "Müller-Hérault" -> "muller-herault"."""
    decomposed = unicodedata.normalize("NFKD", text.replace("ø", "o").replace("Ø", "O"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _fold_or_none(value):
    return None if value is None else fold(value)


class Folded(Func):
    """fold() in the database: LOWER(TRANSLATE(...)) on PostgreSQL, a Python function on SQLite."""

    output_field = CharField()

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"LOWER(TRANSLATE({sql}, %s, %s))", [*params, _ACCENTED, _PLAIN]

    def as_sqlite(self, compiler, connection, **extra_context):
        connection.ensure_connection()
        connection.connection.create_function("alpina_fold", 1, _fold_or_none,
                                              deterministic=True)
        sql, params = compiler.compile(self.source_expressions[0])
        return f"alpina_fold({sql})", params


class SearchRefused(Exception):
    """The text cannot be searched for; the message says why, for the search page."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class PersonHit:
    """One person found: an account, an insured person, both, or a policy holder (no account)."""

    user: User | None = None
    person: InsuredPerson | None = None
    holder: PolicyHolder | None = None
    policy_numbers: list[str] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        if self.person is not None:
            return f"{self.person.last_name} {self.person.first_name}"
        if self.user is not None:
            full = f"{self.user.last_name} {self.user.first_name}".strip()
            return full or self.user.email
        return str(self.holder or "")


@dataclass
class PersonSearch:
    query: str
    keys: list[str]
    hits: list[PersonHit]
    more: bool = False


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NAME_PART = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_AHV_LIKE = re.compile(r"756[\d.\s]{10,16}")


def query_masked(text: str) -> str:
    """The query as the audit may keep it: control characters out (PostgreSQL's JSON refuses a
    NUL), an AHV number in it masked (756.****.****.62)."""
    text = _CONTROL.sub(" ", (text or "")[:MAX_QUERY_LENGTH * 2])
    return _AHV_LIKE.sub(lambda m: ahv_masked(m.group(0)), text)[:MAX_QUERY_LENGTH]


def query_clean(query: str | None) -> str:
    if query is None:
        query = ""
    if len(query) > MAX_QUERY_LENGTH:
        raise SearchRefused(gettext(
            "Recherche trop longue : %(max)d caractères au plus. Saisissez un numéro AVS, un nom, "
            "une adresse e-mail, un numéro de police ou de personnel."
        ) % {"max": MAX_QUERY_LENGTH})
    text = " ".join(_CONTROL.sub(" ", query).split())
    if not text:
        raise SearchRefused(gettext(
            "Saisissez un numéro AVS, un nom, une adresse e-mail, un numéro de police ou de "
            "personnel."
        ))
    return text


def _account_of(person: InsuredPerson) -> User | None:
    try:
        return person.user
    except ObjectDoesNotExist:
        return None


class _Hits:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, int], PersonHit] = {}

    def _row(self, key: tuple[str, int], **kwargs) -> PersonHit:
        if key not in self.rows:
            self.rows[key] = PersonHit(**kwargs)
        return self.rows[key]

    def person(self, person: InsuredPerson, matched: str) -> None:
        user = _account_of(person)
        if user is not None:
            row = self._row(("user", user.pk), user=user, person=person)
        else:
            row = self._row(("person", person.pk), person=person)
        if matched not in row.matched:
            row.matched.append(matched)

    def user(self, user: User, matched: str, policy_number: str = "") -> None:
        row = self._row(("user", user.pk), user=user, person=user.insured_person)
        if matched not in row.matched:
            row.matched.append(matched)
        if policy_number and policy_number not in row.policy_numbers:
            row.policy_numbers.append(policy_number)

    def holder(self, holder: PolicyHolder, matched: str, policy_number: str = "") -> None:
        row = self._row(("holder", holder.pk), holder=holder)
        if matched not in row.matched:
            row.matched.append(matched)
        if policy_number and policy_number not in row.policy_numbers:
            row.policy_numbers.append(policy_number)


def _persons():
    return InsuredPerson.objects.select_related("user", "contract__employer")


def _users():
    return User.objects.select_related("insured_person__contract__employer")


def _by_policy(hits: _Hits, number: str) -> None:
    policy = Policy.objects.select_related("holder", "insured").filter(number=number).first()
    if policy is None:
        return
    hits.holder(policy.holder, "policy", policy.number)
    if policy.insured is not None:
        hits.holder(policy.insured, "policy", policy.number)
    for mandate in Mandate.objects.filter(policy=policy).select_related("broker", "agency"):
        brokers = [mandate.broker] if mandate.broker is not None else [
            m.user for m in Membership.objects.filter(
                agency=mandate.agency, role=Membership.Role.AGENCY_ADMIN,
                revoked_at__isnull=True,
            ).select_related("user")
        ]
        for broker in brokers:
            hits.user(broker, "policy", policy.number)


def _by_name(hits: _Hits, parts: list[str]) -> None:
    persons = _persons().annotate(f_first=Folded("first_name"), f_last=Folded("last_name"))
    users = _users().annotate(f_first=Folded("first_name"), f_last=Folded("last_name"))
    for part in parts:
        persons = persons.filter(Q(f_first__contains=part) | Q(f_last__contains=part))
        users = users.filter(Q(f_first__contains=part) | Q(f_last__contains=part))
    for person in persons.order_by("last_name", "first_name", "pk")[:MAX_HITS + 1]:
        hits.person(person, "name")
    for user in users.order_by("last_name", "first_name", "pk")[:MAX_HITS + 1]:
        hits.user(user, "name")


def person_search(query: str | None) -> PersonSearch:
    """Everyone the text names. SearchRefused for an empty, overlong or meaningless text."""
    text = query_clean(query)
    hits = _Hits()
    keys: list[str] = []
    compact = re.sub(r"[\s.\-]", "", text)
    if compact.isdigit() and len(compact) == 13 and compact.startswith("756"):
        try:
            ahv = normalize_ahv(compact)
        except ValidationError:
            raise SearchRefused(gettext(
                "Ce numéro AVS n'est pas valable (chiffre de contrôle) : vérifiez-le."
            )) from None
        keys.append("ahv")
        for person in _persons().filter(ahv_number=ahv):
            hits.person(person, "ahv")
    elif "@" in text:
        keys.append("email")
        for user in _users().filter(email__iexact=text):
            hits.user(user, "email")
        for holder in PolicyHolder.objects.filter(email__iexact=text).order_by("pk")[:MAX_HITS]:
            hits.holder(holder, "email")
    else:
        if len(text) <= 30 and any(c.isdigit() for c in text):
            keys.append("personnel")
            for person in _persons().filter(personnel_number__iexact=text).order_by(
                "last_name", "pk"
            )[:MAX_HITS + 1]:
                hits.person(person, "personnel")
            number = policy_number_normalize(text)
            if number is not None:
                keys.append("policy")
                _by_policy(hits, number)
        parts = [fold(p) for p in _NAME_PART.findall(text)]
        parts = [p for p in parts if len(p) >= MIN_NAME_PART]
        if parts:
            keys.append("name")
            _by_name(hits, parts)
    if not keys:
        raise SearchRefused(gettext(
            "Rien à chercher dans ce texte. Saisissez un numéro AVS (756.1234.5678.97), un nom, "
            "une adresse e-mail, un numéro de police ou de personnel."
        ))
    rows = list(hits.rows.values())
    _with_memberships([row.user for row in rows if row.user is not None])
    return PersonSearch(query=text, keys=keys, hits=rows[:MAX_HITS], more=len(rows) > MAX_HITS)


def _with_memberships(users: list[User]) -> None:
    """Each user's portal accesses in force, in one query for the whole list."""
    if not users:
        return
    by_user: dict[int, list[Membership]] = {u.pk: [] for u in users}
    for membership in Membership.objects.filter(
        user_id__in=by_user, revoked_at__isnull=True
    ).select_related("employer", "agency", "insured_person").order_by("kind", "pk"):
        by_user[membership.user_id].append(membership)
    for user in users:
        user.current_memberships = by_user[user.pk]


# --- The person page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceRow:
    """A second factor as support may see it: its kind and name, never a key or a full number."""

    kind: str
    name: str
    confirmed: bool
    detail: str = ""


def devices_shown(user: User) -> list[DeviceRow]:
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from two_factor.plugins.phonenumber.models import PhoneDevice

    rows = []
    for device in devices_for_user(user, confirmed=None):
        detail = ""
        if isinstance(device, TOTPDevice):
            kind = gettext("Application d'authentification")
        elif isinstance(device, PhoneDevice):
            kind = gettext("SMS") if device.method == "sms" else gettext("Appel téléphonique")
            detail = phone_masked(str(device.number))
        elif isinstance(device, BackupCodeDevice):
            kind = gettext("Codes de secours")
            left = device.codes_left()
            detail = ngettext("%(n)d restant", "%(n)d restants", left) % {"n": left}
        elif isinstance(device, StaticDevice):
            kind = gettext("Codes de secours")
        else:
            kind = type(device).__name__
        rows.append(DeviceRow(kind=kind, name=device.name, confirmed=device.confirmed,
                              detail=detail))
    return rows


@dataclass(frozen=True)
class LockState:
    login_failures: int
    login_locked: bool
    code_locks: int

    @property
    def locked(self) -> bool:
        return self.login_locked or self.code_locks > 0


def lock_state(user: User) -> LockState:
    from axes.models import AccessAttempt

    from .registration import code_lock_subjects, code_locks_active

    since = timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME)
    failures = sum(AccessAttempt.objects.filter(
        username=user.email.lower(), attempt_time__gte=since
    ).values_list("failures_since_start", flat=True))
    return LockState(
        login_failures=failures,
        login_locked=failures >= settings.AXES_FAILURE_LIMIT,
        code_locks=code_locks_active(code_lock_subjects(user)),
    )


@dataclass
class MessageRow:
    message: OutboxMessage
    recipient: str


def messages_shown(user: User, limit: int = 20) -> list[MessageRow]:
    """What was sent to this account (channel, status, provider id, error), never the text."""
    from .services import mask_email

    rows = []
    messages = (
        OutboxMessage.objects.filter(Q(user=user) | Q(recipient__iexact=user.email))
        .defer("body").order_by("-created_at", "-pk")[:limit]
    )
    for message in messages:
        if message.channel == OutboxMessage.Channel.SMS:
            recipient = phone_masked(message.recipient)
        elif message.recipient.lower() == user.email.lower():
            recipient = message.recipient
        else:
            recipient = mask_email(message.recipient)
        rows.append(MessageRow(message=message, recipient=recipient))
    return rows


@dataclass
class PersonFile:
    user: User | None
    person: InsuredPerson | None
    former_accounts: list[User] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)
    devices: list[DeviceRow] = field(default_factory=list)
    sessions: list[UserSession] = field(default_factory=list)
    logins: list[SecurityEvent] = field(default_factory=list)
    events: list[SecurityEvent] = field(default_factory=list)
    lock: LockState | None = None
    reset_requests: list[FactorResetRequest] = field(default_factory=list)
    change_requests: list[ChangeRequest] = field(default_factory=list)
    mutations: list[Mutation] = field(default_factory=list)
    service_requests: list = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    messages: list[MessageRow] = field(default_factory=list)
    codes: list[RegistrationCode] = field(default_factory=list)


def _open_codes(*, person: InsuredPerson | None, email: str | None) -> list[RegistrationCode]:
    match = Q(pk__in=[])
    if person is not None:
        match |= Q(insured_person=person)
    if email:
        match |= Q(email__iexact=email)
    return list(
        RegistrationCode.objects.filter(
            match, redeemed_at__isnull=True, revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        ).select_related("created_by").order_by("-created_at")[:20]
    )


def _person_records(file: PersonFile, person: InsuredPerson) -> None:
    from simulations.models import ServiceRequest

    file.change_requests = list(
        ChangeRequest.objects.filter(person=person, status__in=OPEN_REQUEST_STATUSES)
        .order_by("-created_at")
    )
    file.mutations = list(
        Mutation.objects.filter(person=person, status__in=Mutation.OPEN_STATUSES)
        .select_related("employer").order_by("-created_at")
    )
    file.service_requests = list(
        ServiceRequest.objects.filter(person=person, status__in=OPEN_REQUEST_STATUSES)
        .order_by("-created_at")
    )
    file.documents = list(
        Document.objects.filter(insured_person=person).order_by("-year", "-created_at")[:20]
    )
    former = User.objects.filter(memberships__insured_person=person, is_active=False)
    if file.user is not None:
        former = former.exclude(pk=file.user.pk)
    file.former_accounts = list(former.distinct().order_by("-date_joined"))


def person_file_for_user(user: User) -> PersonFile:
    person = (
        InsuredPerson.objects.select_related("contract__employer")
        .filter(pk=user.insured_person_id).first() if user.insured_person_id else None
    )
    file = PersonFile(user=user, person=person)
    file.memberships = list(
        Membership.objects.filter(user=user)
        .select_related("employer", "agency", "insured_person", "granted_by")
        .order_by("revoked_at", "kind", "pk")
    )
    file.devices = devices_shown(user)
    file.sessions = list(UserSession.objects.filter(user=user).order_by("-last_seen")[:10])
    for session in file.sessions:
        session.device_label = session_device_label(session.user_agent)
    file.logins = list(
        SecurityEvent.objects.filter(user=user, kind=SecurityEvent.Kind.LOGIN_SUCCESS)
        .order_by("-created_at")[:5]
    )
    file.events = list(SecurityEvent.objects.filter(user=user).order_by("-created_at")[:20])
    file.lock = lock_state(user)
    file.reset_requests = list(
        FactorResetRequest.objects.filter(user=user, status=FactorResetRequest.Status.PENDING)
        .select_related("requested_by")
    )
    file.messages = messages_shown(user)
    file.codes = _open_codes(person=person, email=user.email)
    if person is not None:
        _person_records(file, person)
    return file


def person_file_for_insured(person: InsuredPerson) -> PersonFile:
    file = PersonFile(user=None, person=person)
    _person_records(file, person)
    file.codes = _open_codes(person=person, email=None)
    return file


def person_for_page(pk) -> InsuredPerson | None:
    return InsuredPerson.objects.select_related("user", "contract__employer").filter(pk=pk).first()


def account_of(person: InsuredPerson) -> User | None:
    return _account_of(person)
