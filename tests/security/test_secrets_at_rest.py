"""No secret at rest in the wrong place: after a journey of every persona through every way in
(password + authenticator, an SMS code, registration with a code, an insured registration with
an SMS factor, a password reset with an e-mail code, an e-mail change with a code, a backup
code, and support resetting a lost phone, which prints a letter, then the new set-up), the logs
(every logger at DEBUG), the session store, the cache and the arguments of every Celery task
sent hold none of: the passwords, any one-time code, any TOTP/SMS device key (hex and base32),
backup codes, plain registration codes, full AHV numbers.

The outbox table is checked by its design: behind real gateways (Twilio, SMTP) a message's text
is erased once sent, so after the journey no row holds a code (tests/security/
test_outbox_secrets.py covers the development outbox, which keeps the text for a while).
"""

from __future__ import annotations

import logging
import pickle
import re
from base64 import b32encode
from binascii import unhexlify
from urllib.parse import parse_qs

import pytest
from celery.app.task import Task
from django.core import mail
from django.core.cache import cache
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.plugins.phonenumber.models import PhoneDevice

from accounts import registration as reg
from accounts.models import Membership, OutboxMessage, PortalSession
from accounts.outbox import REDACTED
from accounts.services import backup_codes_regenerate
from tests import factories as f
from tests.conftest import (
    LOGIN,
    PASSWORD,
    STRONG,
    TWILIO_URL,
    identify,
    post_token,
    reauthed,
    user_data,
)
from tests.pdf_text import pdf_pages_text
from tests.security.world import PERSONAS, build_world

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Blue-Meadow-Lantern-42"
AHV = re.compile(r"(?<!\d)756[.\s]?\d{4}[.\s]?\d{4}[.\s]?\d{2}(?!\d)")
SIX_DIGITS = re.compile(r"(?<!\d)(\d{6})(?!\d)")


class ProviderBackend(LocmemBackend):
    """Stands for SMTP: not one of the development backends, so a real gateway."""


class Journey:
    def __init__(self, twilio, capture):
        self.twilio = twilio
        self.capture = capture
        self.secrets: dict[str, str] = {}  # secret -> what it is
        self.tasks: list[tuple[str, tuple, dict]] = []  # name, args, kwargs and options

    def secret(self, value: str, what: str) -> str:
        if value:
            self.secrets[value] = what
        return value

    def device_keys(self, device, what: str) -> None:
        self.secret(device.key, f"{what} key (hex)")
        self.secret(b32encode(unhexlify(device.key)).decode(), f"{what} key (base32)")

    # --- requests with the worker's side: on_commit callbacks (message delivery) run ---

    def post(self, client: Client, url: str, data=None, **extra):
        with self.capture(execute=True):
            return client.post(url, data or {}, **extra)

    def get(self, client: Client, url: str):
        with self.capture(execute=True):
            return client.get(url)

    # --- codes as the person receives them ---

    def email_code(self, address: str) -> str:
        message = next(m for m in reversed(mail.outbox) if address in m.to)
        return self.secret(SIX_DIGITS.search(message.body).group(1), "e-mail code")

    def sms_code(self) -> str:
        body = parse_qs(self.twilio.calls[-1].request.body)["Body"][0]
        return self.secret(SIX_DIGITS.search(body).group(1), "SMS code")

    def totp_token(self, user) -> str:
        device = TOTPDevice.objects.get(user=user, name="default")
        device.last_t = -1  # several uses within one 30 s step in this journey
        device.save(update_fields=["last_t"])
        token = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
        return self.secret(token, "TOTP code")

    # --- the ways in ---

    def login_totp(self, user, username: str | None = None, password: str = PASSWORD) -> Client:
        client = Client()
        self.post(client, LOGIN, {"login_view-current_step": "auth",
                                  "auth-username": username or user.email,
                                  "auth-password": password})
        response = self.post(client, LOGIN, {"login_view-current_step": "token",
                                             "token-otp_token": self.totp_token(user)})
        assert response.status_code == 302, (user.email, response.status_code)
        return client


def _scan(text: str, secrets: dict[str, str]) -> list[str]:
    found = [f"{what} {value!r}" for value, what in secrets.items()
             if re.search(rf"(?<![\w]){re.escape(value)}(?![\w])", text)]
    found += [f"AHV number {m.group(0)!r}" for m in AHV.finditer(text)]
    return found


def _cache_entries():
    """(key, value as text) of every entry of the shared cache: local memory in the embedded
    mode, Redis in production mode (CI's second run)."""
    store = cache._cache
    if isinstance(store, dict):
        items = list(store.items())
    else:
        client = store.get_client(write=False)
        items = [(key, client.get(key)) for key in client.scan_iter(match=cache.make_key("*"))]
    for key, raw in items:
        try:
            value = pickle.loads(raw)  # noqa: S301 - our own cache's values
        except Exception:
            value = raw
        yield key, repr(value)


@pytest.fixture
def all_loggers_at_debug(caplog):
    caplog.set_level(logging.DEBUG)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):
            caplog.set_level(logging.DEBUG, logger=name)
            if not logger.propagate:
                logger.addHandler(caplog.handler)
    yield caplog
    for logger in logging.root.manager.loggerDict.values():
        if isinstance(logger, logging.Logger) and not logger.propagate:
            logger.removeHandler(caplog.handler)


@pytest.fixture
def journey(settings, twilio, django_capture_on_commit_callbacks, monkeypatch):
    settings.EMAIL_BACKEND = f"{__name__}.ProviderBackend"
    twilio.post(TWILIO_URL, json={"sid": "SM1", "status": "queued"}, status=201)
    run = Journey(twilio, django_capture_on_commit_callbacks)
    original = Task.apply_async

    def recorded(task, args=None, kwargs=None, **options):
        run.tasks.append((task.name, tuple(args or ()), {**(kwargs or {}), **options}))
        return original(task, args, kwargs, **options)

    monkeypatch.setattr(Task, "apply_async", recorded)
    return run


def test_after_every_way_in_no_secret_rests_in_logs_sessions_cache_or_task_arguments(
        journey, all_loggers_at_debug):
    j = journey
    world = build_world()
    before = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    all_loggers_at_debug.clear()  # the journey's records, not the test data's (factory_boy)
    for secret in (PASSWORD, STRONG, NEW_PASSWORD):
        j.secret(secret, "password")
    for device in TOTPDevice.objects.all():
        j.device_keys(device, "TOTP")

    # Password + authenticator for every persona (the insured with the AHV number).
    clients = {}
    for persona in PERSONAS[2:]:
        user = world.user(persona)
        username = user.insured_person.ahv_number if persona == "insured" else None
        if persona == "hr_admin":
            continue  # logs in after the password reset below
        clients[persona] = j.login_totp(user, username)

    # An SMS code at login.
    sms_user = world.user("other_insured")
    TOTPDevice.objects.filter(user=sms_user).delete()
    phone = PhoneDevice.objects.create(user=sms_user, name="default", number="+41791234567",
                                       method="sms", confirmed=True)
    j.device_keys(phone, "SMS device")
    sms_client = Client()
    j.post(sms_client, LOGIN, {"login_view-current_step": "auth",
                               "auth-username": sms_user.email, "auth-password": PASSWORD})
    assert post_token(sms_client, j.sms_code()).status_code == 302

    # Registration with a code sent by e-mail (an employer's invitation).
    invited = "newclerk@example.ch"
    issued = reg.registration_code_issue(
        kind="employer", role="clerk", employer=world["employer"], email=invited,
        created_by=world.user("hr_admin"))
    j.secret(issued.plain, "registration code")
    c = Client()
    j.post(c, "/register/code/", {"code": issued.plain, "accept_terms": "on"})
    j.post(c, "/register/user/", {"email": invited, "password1": STRONG,
                                  "password2": STRONG})
    j.post(c, "/register/email/", {"code": j.email_code(invited)})
    j.post(c, "/register/factor/", {"method": "totp"})
    key = c.session["registration"]["factor_key"]
    j.secret(key, "TOTP key of a registration (hex)")
    j.secret(b32encode(unhexlify(key)).decode(), "TOTP key of a registration (base32)")
    token = j.secret(f"{totp(unhexlify(key)):06d}", "TOTP code")
    done = j.post(c, "/register/confirm/", {"token": token})
    codes = re.findall(r'class="backup-code">([^<]+)<', done.content.decode())
    assert codes, "the backup codes are shown once"
    for code in codes:
        j.secret(code, "backup code")

    # An insured person registers with the certificate's code and an SMS factor.
    person = f.InsuredPersonFactory(contract=world["contract"], first_name="Nora",
                                    last_name="Neuve")
    issued = reg.registration_code_issue(kind=Membership.Kind.INSURED,
                                         role=Membership.Role.INSURED,
                                         insured_person=person, created_by=None)
    j.secret(issued.plain, "registration code")
    c = Client()
    with j.capture(execute=True):
        assert identify(c, person, issued.plain).status_code == 302
        user_data(c, "nora@example.ch")
    j.post(c, "/register/email/", {"code": j.email_code("nora@example.ch")})
    j.post(c, "/register/factor/", {"method": "sms", "mobile": "+41 79 555 12 34"})
    registering = c.session["registration"]["factor_key"]
    j.secret(registering, "SMS key of a registration (hex)")
    done = j.post(c, "/register/confirm/", {"token": j.sms_code()})
    for code in re.findall(r'class="backup-code">([^<]+)<', done.content.decode()):
        j.secret(code, "backup code")

    # Forgotten password: the e-mail code, then the authenticator.
    hr_admin = world.user("hr_admin")
    c = Client()
    j.post(c, "/password/forgot/", {"login": hr_admin.email})
    j.post(c, "/password/forgot/code/", {"code": j.email_code(hr_admin.email)})
    j.post(c, "/password/forgot/factor/", {"code": j.totp_token(hr_admin)})
    response = j.post(c, "/password/forgot/new/", {"new_password1": NEW_PASSWORD,
                                                   "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    clients["hr_admin"] = j.login_totp(hr_admin, password=NEW_PASSWORD)

    # An e-mail change confirmed by a code sent to the new address.
    me = reauthed(clients["insured"])
    j.post(me, "/profile/email/", {"email": "claire.neu@example.ch"})
    response = j.post(me, "/profile/email/confirm/",
                      {"code": j.email_code("claire.neu@example.ch")})
    assert response["Location"] == "/profile/"

    # A backup code at login.
    broker = world.user("broker")
    codes = backup_codes_regenerate(user=broker)
    for code in codes:
        j.secret(code, "backup code")
    c = Client()
    j.post(c, LOGIN, {"login_view-current_step": "auth", "auth-username": broker.email,
                      "auth-password": PASSWORD})
    j.post(c, LOGIN, {"login_view-current_step": "token", "wizard_goto_step": "backup"})
    assert j.post(c, LOGIN, {"login_view-current_step": "backup",
                             "backup-otp_token": codes[0]}).status_code == 302

    # A support agent resets a lost phone from the person page: the letter carries the code,
    # then the person sets up a new factor.
    pensioner = world.user("pensioner")
    letter = j.post(clients["agent"], f"/admin/accounts/user/{pensioner.pk}/person/reset-factor/",
                    {"reason": "Téléphone perdu"})
    assert letter["Content-Type"] == "application/pdf"
    text = "\n".join(pdf_pages_text(letter.content))
    plain = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", text).group(0)
    j.secret(plain, "re-activation code")
    c = Client()
    j.post(c, LOGIN, {"login_view-current_step": "auth", "auth-username": pensioner.email,
                      "auth-password": PASSWORD})
    c.force_login(pensioner, backend="accounts.backends.EmailOrAhvBackend")
    assert j.post(c, "/account/two_factor/reenrol/", {"code": plain})["Location"] == (
        "/account/two_factor/setup/")
    setup = "/account/two_factor/setup/"
    j.get(c, setup)
    j.post(c, setup, {"setup_view-current_step": "welcome"})
    j.post(c, setup, {"setup_view-current_step": "method", "method-method": "generator"})
    from base64 import b32decode

    new_key = c.session["django_two_factor-qr_secret_key"]
    j.secret(new_key, "TOTP key of a new set-up (base32)")
    j.secret(b32decode(new_key).hex(), "TOTP key of a new set-up (hex)")
    token = j.secret(f"{totp(b32decode(new_key)):06d}", "TOTP code")
    assert j.post(c, setup, {"setup_view-current_step": "generator",
                             "generator-token": token}).status_code == 302
    for client in clients.values():  # every persona opens a page or two
        j.get(client, "/profile/")
        j.get(client, "/portal/")

    for device in [*TOTPDevice.objects.all(), *PhoneDevice.objects.all()]:
        j.device_keys(device, type(device).__name__)
    assert len(j.secrets) > 60 and j.tasks, (len(j.secrets), j.tasks)

    found: list[str] = []
    formatter = logging.Formatter()
    for record in all_loggers_at_debug.records:
        text = formatter.format(record) + " " + repr(record.__dict__.get("args"))
        found += [f"log {record.name} {record.getMessage()[:100]}: {hit}"
                  for hit in _scan(text, j.secrets)]
    for session in PortalSession.objects.all():
        found += [f"session: {hit}" for hit in _scan(repr(session.get_decoded()), j.secrets)]
    entries = list(_cache_entries())
    for key, value in entries:
        found += [f"cache {key}: {hit}" for hit in _scan(f"{key} {value}", j.secrets)]
    for name, args, kwargs in j.tasks:
        found += [f"task {name}: {hit}" for hit in _scan(repr((args, kwargs)), j.secrets)]
    sent = OutboxMessage.objects.filter(pk__gt=before)
    for message in sent:
        found += [f"outbox {message.pk} ({message.status}): {hit}"
                  for hit in _scan(f"{message.subject} {message.body}", j.secrets)]
    # The outbox's design: behind real gateways a text is erased the moment it was handed over.
    assert {(m.status, m.body) for m in sent} == {("sent", REDACTED)}
    # The audit trails (security events, support's audit, the login lockout's rows) name who
    # and what, never a secret.
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    from accounts.models import AdminAudit, SecurityEvent

    for model in (SecurityEvent, AdminAudit, AccessAttempt, AccessLog, AccessFailureLog):
        for row in model.objects.all():
            text = repr([getattr(row, f.attname) for f in model._meta.concrete_fields])
            found += [f"{model._meta.label} {row.pk}: {hit}" for hit in _scan(text, j.secrets)]
    print(f"{len(j.secrets)} secrets; {len(all_loggers_at_debug.records)} log records, "  # noqa: T201
          f"{PortalSession.objects.count()} sessions, {len(entries)} cache entries, "
          f"{len(j.tasks)} tasks, {sent.count()} outbox rows scanned")
    assert found == [], "\n".join(found)


def test_the_scan_finds_whole_secrets_and_any_full_ahv_number():
    secrets = {"a1b2c-d3e4f": "backup code", "447683": "SMS code"}
    assert _scan("codes: ['a1b2c-d3e4f'] and 447683.", secrets) == [
        "backup code 'a1b2c-d3e4f'", "SMS code '447683'"]
    assert _scan("t=17447683901", secrets) == []  # part of a longer number: not that code
    assert len(_scan("756.3047.5009.62 7563047500962 756.****.****.62", {})) == 2
