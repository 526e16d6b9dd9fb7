"""One small world with an object of every kind a page can show (so that every page, every
button and every admin change form exists), the personas who use it, and the few journeys that
bring a browser to a page only reachable in the middle of a flow (registration wizard steps,
forgotten password, a pending e-mail change, the login's second step ...).

Built from the personas of tests/conftest.py and the factories of tests/factories.py."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from axes.models import AccessFailureLog
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.plugins.phonenumber.models import PhoneDevice

from accounts import registration as reg
from accounts import services as account_services
from accounts.models import (
    AccessRequest,
    FactorResetRequest,
    Membership,
    OutboxMessage,
    SupportContact,
)
from policies import models as pm
from policies import services as policy_services
from simulations import services as sim
from tests import factories as f
from tests.conftest import (
    PASSWORD,
    _make,
    identify,
    login_verified,
    post_password,
    reauthed,
    support_group,
    user_data,
)

MOBILE = "+41791234567"


@dataclass
class World:
    people: dict[str, object] = field(default_factory=dict)  # persona name -> User
    objects: dict[str, object] = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.people[name] if name in self.people else self.objects[name]
        except KeyError:
            raise AttributeError(name) from None


def _user(email: str, **membership) -> object:
    user = f.UserFactory(email=email)
    if membership:
        f.MembershipFactory(user=user, **membership)
    return _make(user)


def build_world() -> World:
    w = World()
    o = w.objects
    o["terms"] = f.TermsFactory(version=1)
    employer = o["employer"] = f.EmployerFactory(name="Boulangerie Test SA")
    contract = o["contract"] = f.ContractFactory(employer=employer)
    person = o["person"] = f.InsuredPersonFactory(
        contract=contract, first_name="Claire", last_name="Favre", civil_status="married",
        birth_date=date(1972, 3, 4), personnel_number="P-17")
    o["certificate"] = f.CertificateFactory(person=person)
    insured = w.people["insured"] = _user("claire@example.ch", kind="insured", role="insured",
                                          insured_person=person)
    insured.insured_person = person
    insured.save()
    PhoneDevice.objects.create(user=insured, name="backup", number=MOBILE, method="sms",
                               confirmed=True)
    reg.backup_codes_create(user=insured)

    retired = o["retired"] = f.InsuredPersonFactory(
        contract=contract, first_name="Jean", last_name="Rentier", status="pensioner",
        birth_date=date(1955, 3, 1))
    w.people["pensioner"] = _user("jean@example.ch", kind="insured", role="insured",
                                  insured_person=retired)
    pension = pm.Pension.objects.create(person=retired, kind="old_age",
                                        monthly_amount=Decimal("2500.00"),
                                        start_date=date(2020, 4, 1))
    pm.PensionPayment.objects.create(pension=pension, date=date(2026, 1, 25),
                                     amount=Decimal("2500.00"))

    o["insured_code"] = reg.registration_code_issue(  # the registration wizard's
        kind=Membership.Kind.INSURED, role=Membership.Role.INSURED,
        insured_person=f.InsuredPersonFactory(contract=contract, first_name="Marie",
                                              last_name="Dupont", birth_date=date(1961, 4, 12)),
        created_by=None)
    hr = w.people["hr_admin"] = _user("hr@example.ch", kind="employer", role="admin",
                                      employer=employer)
    fiduciary = _user("fidu@example.ch", kind="employer", role="third_party", employer=employer,
                      granted_by=hr, grants_mutations=True)
    o["granted"] = fiduciary.memberships.get()
    o["invitation"] = reg.registration_code_issue(
        kind="employer", role="third_party", employer=employer, email="invite@example.ch",
        created_by=hr).code
    o["access_request"] = AccessRequest.objects.create(
        kind="employer", organisation_name="Boulangerie", organisation_number=employer.uid,
        contact_first_name="Mallory", contact_last_name="Intrus", email="mallory@example.ch",
        mobile="+41795551234")
    o["mutation"] = policy_services.mutation_submit(
        employer=employer, kind="salary", effective_date=timezone.localdate().replace(day=1),
        data={"annual_salary": "90000.00"}, person=person, submitted_by=hr)
    staff = f.InsuredPersonFactory(contract=contract, first_name="Luc", last_name="Staff")
    text = ("Type;Numéro AVS;Date d'effet;Salaire annuel (CHF)\n"
            f"salaire;{staff.ahv_number};{timezone.localdate().replace(day=1):%d.%m.%Y};95000\n")
    batch = policy_services.batch_create(
        employer=employer, user=hr,
        upload=SimpleUploadedFile("m.csv", text.encode(), content_type="text/csv"))
    o["batch"] = policy_services.batch_validate(batch_id=batch.pk)
    o["declaration"] = policy_services.declaration_open(employer=employer,
                                                        year=timezone.localdate().year)
    invoice = o["invoice"] = pm.ContributionInvoice.objects.create(
        employer=employer, contract=contract, number="F-2026-001", period_start=date(2026, 1, 1),
        period_end=date(2026, 1, 31), issued_on=date(2026, 1, 5), due_on=date(2026, 2, 28),
        amount=Decimal("1234.50"))
    pm.ContributionLine.objects.create(invoice=invoice, person=person,
                                       salary_basis=Decimal("85000"),
                                       employee_share=Decimal("617.25"),
                                       employer_share=Decimal("617.25"))
    pm.SalaryRecord.objects.create(person=person, employer=employer, valid_from=date(2025, 1, 1),
                                   annual_salary=Decimal("85000"),
                                   employment_degree=Decimal("100"))
    for owner in ({"employer": employer, "category": "contract"},
                  {"insured_person": person, "category": "letter"}):
        document = pm.Document(title="Document test", year=2026, published=True,
                               published_at=timezone.now(), **owner)
        document.file.save("doc.pdf", ContentFile(b"%PDF-1.4 test"), save=False)
        document.save()
    o["change_request"] = policy_services.change_request_submit(
        person=person, kind="address", effective_date=timezone.localdate(),
        data={"street": "Rue 1", "postcode": "1003", "city": "Lausanne", "country": "CH"},
        submitted_by=insured)
    certificate = o["certificate"]
    result = sim.retirement_simulate(person=person, certificate=certificate, retirement_age=65,
                                     lump_sum_share=Decimal("0"))
    simulation = o["simulation"] = sim.simulation_save(
        person=person, kind="retirement", inputs={"retirement_age": 65, "lump_sum_share": "0"},
        result=result, user=insured)
    o["saved_simulation"] = sim.simulation_save(
        person=person, kind="retirement", inputs={"retirement_age": 64, "lump_sum_share": "0"},
        result=result, user=insured)  # one without a request, for the request form
    sim.service_request_from_simulation(simulation=simulation, user=insured)

    agency = o["agency"] = f.AgencyFactory(name="Courtage Test Sàrl")
    broker = w.people["broker"] = _user("broker@example.ch", kind="broker", role="broker",
                                        agency=agency)
    holder = f.PolicyHolderFactory(first_name="Valérie", last_name="Vermeil")
    policy = o["policy"] = f.PolicyFactory(number="P-810001", holder=holder)
    pm.Mandate.objects.create(agency=agency, policy=policy, broker=broker,
                              start_date=date(2020, 1, 1))
    pm.PolicyValue.objects.create(policy=policy, date=date(2025, 12, 31),
                                  surrender_value=Decimal("12000"))
    pm.Premium.objects.create(policy=policy, due_date=date(2026, 1, 1), amount=Decimal("250"),
                              status="overdue")
    pm.Premium.objects.create(policy=policy, due_date=date(2025, 6, 1), amount=Decimal("250"),
                              status="paid", paid_date=date(2025, 6, 3))
    pm.Beneficiary.objects.create(policy=policy, name="Luc Vermeil", share=Decimal("100"))
    f.CommissionRuleFactory()
    policy_services.commission_statements_compute(agency=agency, period_kind="year",
                                                  day=date(2025, 6, 1))
    w.people["agency_admin"] = _user("agency@example.ch", kind="broker", role="agency_admin",
                                     agency=agency)
    document = pm.Document(title="Document courtier", year=2026, published=True,
                           published_at=timezone.now(), category="letter", policy=policy)
    document.file.save("doc.pdf", ContentFile(b"%PDF-1.4 test"), save=False)
    document.save()

    superuser = w.people["superuser"] = _make(f.UserFactory(
        email="admin@example.ch", is_staff=True, is_superuser=True))
    support = w.people["support"] = _make(f.UserFactory(email="support@example.ch",
                                                        is_staff=True))
    support.groups.add(support_group())
    o["factor_reset"] = account_services.factor_reset_request(
        user=hr, by=support, reason="Téléphone perdu").pending
    SupportContact.objects.create(kind="insured", name="Centre clients", phone="+41215556600",
                                  email="clients@example.ch")
    pm.DeclarationPeriod.objects.get_or_create(
        year=2030, defaults={"opens_on": date(2030, 1, 1), "due_on": date(2030, 3, 31)})
    Client().post("/account/login/", {"login_view-current_step": "auth",
                                      "auth-username": "nobody@example.ch",
                                      "auth-password": "wrong"})  # axes rows
    AccessFailureLog.objects.create(user_agent="test", ip_address="127.0.0.1",
                                    username="nobody@example.ch", http_accept="*/*",
                                    path_info="/account/login/")
    pm.PolicyLookup.objects.create(user=broker, number="P-899999", found=False)
    w.people["anonymous"] = None
    w.people["pending"] = _make(f.UserFactory(email="pending@example.ch"),
                                accept_terms=False)  # the gate's terms page
    multi = w.people["multi"] = _user("multi@example.ch", kind="employer", role="clerk",
                                      employer=employer)  # the portal chooser
    f.MembershipFactory(user=multi, kind="broker", role="broker", agency=agency)
    w.people["reenrol"] = f.UserFactory(email="reenrol@example.ch")  # after a factor reset
    _make(w.people["reenrol"])
    account_services.factor_reset_request(user=w.people["reenrol"], by=superuser,
                                          reason="Téléphone perdu")
    w.people["no_factor"] = f.UserFactory(email="nofactor@example.ch")
    o["employer_code"] = reg.registration_code_issue(
        kind="employer", role="clerk", employer=employer, email="newclerk@example.ch",
        created_by=None)
    # The back office's own rows: an audit entry, a bulk-letter job and a document batch to confirm.
    from accounts.models import AdminAudit, BulkLetterJob

    AdminAudit.objects.create(action=AdminAudit.Action.VIEW, name="person_page",
                              actor=support, actor_email=support.email, subject=insured)
    BulkLetterJob.objects.create(created_by=superuser, selection="pensioners", status="done",
                                 total=1, done=1, issued=1, finished_at=timezone.now())
    pm.DocumentBatch.objects.create(status="draft", created_by=superuser, category="letter",
                                    year=2026, title="Lot test")
    f.InsuredPersonFactory(contract=contract, first_name="Otto", last_name="Sanscompte")
    assert OutboxMessage.objects.exists()
    assert FactorResetRequest.objects.filter(status="pending").exists()
    return w


# --- journeys: a fresh client brought to where a form is live -----------------------------------

def _as(world: World, persona: str, *, reauth: bool = True) -> Client:
    client = Client(raise_request_exception=False)
    user = world.people[persona]
    if user is None:
        return client
    if TOTPDevice.objects.filter(user=user, name="default").exists():
        login_verified(client, user)
    else:  # a hostile post removed the authenticator: verified by whatever factor is left
        client.force_login(user, backend="accounts.backends.EmailOrAhvBackend")
        device = next(iter(account_services.factor_devices(user)), None)
        if device is not None:
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
    if reauth:
        reauthed(client)
    return client


def _unverified(world: World, persona: str) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(world.people[persona], backend="accounts.backends.EmailOrAhvBackend")
    return client


def _wizard(world: World, step: int) -> Client:
    client = Client(raise_request_exception=False)
    issued = world.insured_code
    person = issued.code.insured_person
    if step >= 2:
        identify(client, person, issued.plain)
    if step >= 3:
        user_data(client, "marie@example.ch")
    if step >= 4:
        client.post("/register/email/", {"code": _last_code("email", "marie@example.ch")})
    if step >= 5:
        client.post("/register/factor/", {"method": "sms", "mobile": "079 555 12 34"})
    return client


def _code_wizard(world: World) -> Client:
    client = Client(raise_request_exception=False)
    client.post("/register/code/", {"code": world.employer_code.plain, "accept_terms": "on"})
    return client


def _last_code(channel: str, recipient: str) -> str:
    """The code of the latest message (none when a limit stopped it: the journey then ends
    early and the form answers as it does to anyone who got that far)."""
    message = OutboxMessage.objects.filter(channel=channel, recipient=recipient).first()
    found = re.search(r"\b(\d{6})\b", message.body) if message is not None else None
    return found.group(1) if found else "000000"


def _reset(world: World, stage: str) -> Client:
    client = Client(raise_request_exception=False)
    client.post("/password/forgot/", {"login": world.insured.email})
    if stage in ("factor", "new"):
        client.post("/password/forgot/code/", {"code": _last_code("email", world.insured.email)})
    if stage == "new":
        client.post("/password/forgot/factor/", {"code": _last_code("sms", MOBILE)})
    return client


def _change(world: World, what: str) -> Client:
    client = _as(world, "insured")
    if what == "email":
        client.post("/profile/email/", {"email": "claire.new@example.ch"})
    else:
        client.post("/profile/mobile/", {"number": "079 555 00 11"})
    return client


def _login_step(world: World, step: str) -> Client:
    client = Client(raise_request_exception=False)
    post_password(client, world.insured.email, PASSWORD)
    if step == "backup":
        client.post("/account/login/", {"login_view-current_step": "token",
                                         "wizard_goto_step": "backup"})
    return client


def _reenrol(world: World) -> Client:
    return _unverified(world, "reenrol")


@dataclass(frozen=True)
class Journey:
    """A persona's browser, and the pages to start from: the crawl collects their forms."""

    name: str
    start: Callable[[World], Client]
    pages: tuple[str, ...]
    prefixes: tuple[str, ...] = ("/",)
    persona: str = ""  # whose account the journey needs (gone after a hostile delete)

    def can_start(self, world: World) -> bool:
        user = world.people.get(self.persona)
        return user is None or type(user).objects.filter(pk=user.pk, is_active=True).exists()


def _persona(name: str, *pages: str, prefixes: tuple[str, ...], user: str = "") -> Journey:
    return Journey(name, lambda w: _as(w, user or name), pages, prefixes, user or name)


JOURNEYS: tuple[Journey, ...] = (
    Journey("anonymous", lambda w: _as(w, "anonymous"),
            ("/", "/account/login/", "/register/", "/register/code/", "/password/forgot/",
             "/access-request/employer/", "/access-request/broker/"),
            prefixes=("/account/", "/register/", "/password/", "/access-request/", "/i18n/")),
    _persona("insured", "/insured/", "/profile/", "/register/code/add/", "/account/confirm/",
             "/profile/factors/authenticator/", "/profile/backup-codes/", "/profile/sessions/",
             prefixes=("/insured/", "/profile/", "/register/code/add/", "/account/confirm/")),
    _persona("pensioner", "/insured/personal/", prefixes=("/insured/personal/",)),
    _persona("hr_admin", "/employer/", prefixes=("/employer/",)),
    _persona("agency_admin", "/broker/", prefixes=("/broker/",)),
    _persona("multi", "/portal/", prefixes=("/portal/",)),
    _persona("terms", "/terms/", prefixes=("/terms/",), user="pending"),
    # The person pages are reached from the person search, their actions from the page.
    _persona("superuser", "/admin/", "/admin/accounts/user/find/?q=claire%40example.ch",
             "/admin/accounts/user/find/?q=Favre", "/admin/accounts/user/find/?q=Sanscompte",
             prefixes=("/admin/",)),
    Journey("wizard-user", lambda w: _wizard(w, 2), ("/register/user/",), ("/register/",)),
    Journey("wizard-email", lambda w: _wizard(w, 3), ("/register/email/",), ("/register/",)),
    Journey("wizard-factor", lambda w: _wizard(w, 4), ("/register/factor/",), ("/register/",)),
    Journey("wizard-confirm", lambda w: _wizard(w, 5), ("/register/confirm/",),
            ("/register/",)),
    Journey("code-wizard", _code_wizard, ("/register/user/",), ("/register/",)),
    Journey("reset-code", lambda w: _reset(w, "code"), ("/password/forgot/code/",),
            ("/password/",)),
    Journey("reset-factor", lambda w: _reset(w, "factor"),
            ("/password/forgot/factor/", "/password/forgot/factor/?use=backup"), ("/password/",)),
    Journey("reset-new", lambda w: _reset(w, "new"), ("/password/forgot/new/",), ("/password/",)),
    Journey("email-change", lambda w: _change(w, "email"), ("/profile/email/confirm/",),
            ("/profile/",), "insured"),
    Journey("mobile-change", lambda w: _change(w, "mobile"), ("/profile/mobile/confirm/",),
            ("/profile/",), "insured"),
    Journey("login-token", lambda w: _login_step(w, "token"), ("/account/login/",),
            ("/account/login/",)),
    Journey("login-backup", lambda w: _login_step(w, "backup"), ("/account/login/",),
            ("/account/login/",)),
    Journey("reenrol", _reenrol, ("/account/two_factor/reenrol/",), ("/account/two_factor/",),
            "reenrol"),
    Journey("factor-setup", lambda w: _unverified(w, "no_factor"),
            ("/account/two_factor/setup/",), ("/account/two_factor/",), "no_factor"),
)

__all__ = ["JOURNEYS", "Journey", "World", "build_world", "timedelta"]
