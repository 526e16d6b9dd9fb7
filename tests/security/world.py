"""One populated world for the sweeps of tests/security (access matrix, privacy by role): every
persona of every portal and of the back office, and the objects they own, built with the same
helpers as the portal tests (tests/portals/*/conftest.py).

Company "Boulangerie Test SA" (`employer`): insured Claire Favre (`insured`, also the staff
person HR sees), pensioner Jean Vieuxbois (`pensioner`), HR admin, clerk, a read-only third party
and one whose access expired yesterday. "Autre Entreprise SA": its admin (`other_employer_hr`)
and its insured Otto Autre (`other_insured`). Agency "Courtage Test Sàrl": `broker` holds the
mandate on policy P-810001 (client Valérie Vermeil), `colleague_broker` (same agency, own policy),
`agency_admin`; `broker2` works for another agency; `ended_broker` held P-810001 until 2023.
Support: `agent`, `account_manager`, `supervisor` (duty groups of accounts/duties.py) and a
`superuser`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AccessRequest, Membership
from tests import factories as f
from tests.conftest import _make
from tests.portals.broker.conftest import broker_user, policy_under
from tests.portals.employer.conftest import (
    csv_upload,
    employer_user,
    first_of_month,
    make_employer_document,
    make_invoice,
)
from tests.portals.insured.conftest import make_document, save_simulation

ANONYMOUS = "anonymous"
UNVERIFIED = "unverified"  # the insured's account, password given, second factor not yet

EMPLOYER_PERSONAS = ("hr_admin", "clerk", "third_party", "expired_third_party",
                     "other_employer_hr")
BROKER_PERSONAS = ("broker", "colleague_broker", "agency_admin", "broker2", "ended_broker")
STAFF_PERSONAS = ("agent", "account_manager", "supervisor", "superuser")
PERSONAS = (ANONYMOUS, UNVERIFIED, "insured", "pensioner", "other_insured", *EMPLOYER_PERSONAS,
            *BROKER_PERSONAS, *STAFF_PERSONAS)


@dataclass
class World:
    users: dict[str, Any] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)

    def user(self, persona: str):
        return self.users[persona]

    def __getitem__(self, name: str):
        return self.objects[name]


def _person(contract, first_name: str, last_name: str, **extra):
    return f.InsuredPersonFactory(contract=contract, first_name=first_name, last_name=last_name,
                                  **extra)


def _insured_user(email: str, person):
    user = f.UserFactory(email=email, insured_person=person, first_name=person.first_name,
                         last_name=person.last_name)
    f.MembershipFactory(user=user, kind="insured", role="insured", insured_person=person)
    return _make(user)


def _staff(email: str, group_name: str | None = None, *, superuser: bool = False):
    user = f.UserFactory(email=email, is_staff=True, is_superuser=superuser)
    if group_name:
        user.groups.add(Group.objects.get(name=group_name))
    return _make(user)


def build_world() -> World:
    from accounts.duties import ACCOUNT_MANAGER, AGENT, SUPERVISOR
    from accounts.registration import registration_code_issue
    from policies import services
    from policies.models import Pension, PensionPayment
    from policies.services import change_request_submit, commission_statements_compute
    from simulations.services import service_request_from_simulation

    w = World()
    u, o = w.users, w.objects
    o["terms"] = f.TermsFactory(version=1)

    # --- companies, insured persons, pensioner ---
    employer = o["employer"] = f.EmployerFactory(name="Boulangerie Test SA")
    other_employer = o["other_employer"] = f.EmployerFactory(name="Autre Entreprise SA")
    contract = o["contract"] = f.ContractFactory(employer=employer, number="C-100001")
    other_contract = f.ContractFactory(employer=other_employer)
    person = o["person"] = _person(contract, "Claire", "Favre", personnel_number="P-17")
    o["certificate"] = f.CertificateFactory(person=person)
    u["insured"] = _insured_user("claire@example.ch", person)
    other_person = o["other_person"] = _person(other_contract, "Otto", "Autre")
    f.CertificateFactory(person=other_person, savings_capital=Decimal("99999.00"))
    u["other_insured"] = _insured_user("otto@example.ch", other_person)
    o["device"] = TOTPDevice.objects.get(user=u["insured"], name="default")
    retired = o["retired_person"] = _person(contract, "Jean", "Vieuxbois", status="pensioner",
                                            birth_date=date(1955, 3, 1))
    u["pensioner"] = _insured_user("jean@example.ch", retired)
    pension = o["pension"] = Pension.objects.create(
        person=retired, kind="old_age", monthly_amount=Decimal("2150.40"),
        start_date=date(2020, 4, 1))
    PensionPayment.objects.create(pension=pension, date=date(2026, 1, 25),
                                  amount=Decimal("2150.40"))

    # --- employer personas ---
    u["hr_admin"] = hr_admin = employer_user("hr@example.ch", employer, "admin")
    u["clerk"] = employer_user("clerk@boulangerie.ch", employer, "clerk")
    u["third_party"] = employer_user("fiduciaire@example.ch", employer, "third_party",
                                     granted_by=hr_admin)
    u["expired_third_party"] = employer_user(
        "fidu-old@example.ch", employer, "third_party", granted_by=hr_admin,
        valid_until=timezone.localdate() - timedelta(days=1))
    u["other_employer_hr"] = employer_user("hr@autre.ch", other_employer, "admin")

    # --- broker personas ---
    agency = o["agency"] = f.AgencyFactory(
        name="Courtage Test Sàrl", account_manager="Yves Morel",
        account_manager_phone="+41 21 555 66 97", account_manager_email="y.morel@example.ch")
    other_agency = o["other_agency"] = f.AgencyFactory(name="Autre Courtage SA")
    former_agency = f.AgencyFactory(name="Ancien Courtage SA")
    u["broker"] = broker = broker_user("broker@example.ch", agency, first_name="Bea",
                                       last_name="Courtier")
    u["colleague_broker"] = broker_user("collegue@example.ch", agency, first_name="Carla",
                                        last_name="Collègue")
    u["agency_admin"] = broker_user("agence@example.ch", agency, role="agency_admin",
                                    first_name="Anne", last_name="Admin")
    u["broker2"] = broker_user("broker2@example.ch", other_agency, first_name="Bruno",
                               last_name="Deux")
    u["ended_broker"] = ended = broker_user("ancien@example.ch", former_agency,
                                            first_name="Eric", last_name="Ancien")

    # --- support ---
    u["agent"] = _staff("agent@example.ch", AGENT)
    u["account_manager"] = _staff("manager@example.ch", ACCOUNT_MANAGER)
    u["supervisor"] = _staff("supervisor@example.ch", SUPERVISOR)
    u["superuser"] = _staff("admin@example.ch", superuser=True)
    from accounts.models import FactorResetRequest, OutboxMessage, SupportContact
    from policies.models import DocumentBatch

    o["factor_reset"] = FactorResetRequest.objects.create(
        user=u["hr_admin"], reason="Téléphone perdu", requested_by=u["agent"])
    o["document_batch"] = DocumentBatch.objects.create(
        status="draft", category="certificate", year=2026, created_by=u["account_manager"])
    o["outbox"] = OutboxMessage.objects.create(
        channel="email", recipient="claire@example.ch", subject="Code",
        body="Votre code de confirmation : 447683")
    o["support_contact"] = SupportContact.objects.create(
        kind="insured", name="Centre clients", phone="+41 21 555 66 00",
        email="clients@example.ch")

    # --- the insured's objects ---
    o["insured_document"] = make_document(person, certificate=o["certificate"],
                                          file_bytes=b"%PDF-1.4 certificat")
    o["simulation"] = save_simulation(person)
    o["service_request"] = service_request_from_simulation(simulation=o["simulation"],
                                                           user=u["insured"])
    o["change_request"] = change_request_submit(
        person=person, kind="address",
        data={"street": "Rue Neuve 3", "postcode": "1003", "city": "Lausanne", "country": "CH"},
        effective_date=date.today(), submitted_by=u["insured"])
    save_simulation(other_person)

    # --- the company's objects ---
    o["mutation"] = services.mutation_submit(
        employer=employer, kind="salary", effective_date=first_of_month(),
        data={"annual_salary": "90000.00"}, person=person, submitted_by=hr_admin)
    text = ("Type;Numéro AVS;Date d'effet;Salaire annuel (CHF)\n"
            f"salaire;{person.ahv_number};{first_of_month():%d.%m.%Y};95000\n")
    created = services.batch_create(employer=employer, user=hr_admin, upload=csv_upload(text))
    o["batch"] = services.batch_validate(batch_id=created.pk)
    o["invoice"] = make_invoice(employer, person)
    o["company_document"] = make_employer_document(employer)
    o["granted"] = u["third_party"].memberships.get(employer=employer)
    o["invitation"] = registration_code_issue(
        kind="employer", role="third_party", employer=employer, email="invite@example.ch",
        created_by=hr_admin).code
    o["access_request"] = AccessRequest.objects.create(
        kind="employer", organisation_name="Boulangerie", organisation_number=employer.uid,
        contact_first_name="Mallory", contact_last_name="Intrus", email="mallory@evil.example",
        mobile="+41795551234")
    o["declaration"] = services.declaration_open(employer=employer,
                                                year=timezone.localdate().year)

    # --- the broker's objects ---
    policy = o["policy"] = policy_under(
        agency, broker, number="P-810001", first_name="Valérie", last_name="Vermeil",
        start=date(2019, 6, 1), sum_insured=Decimal("150000.00"), premium=Decimal("250.00"))
    from policies.models import Beneficiary, Document, Mandate, PolicyValue, Premium

    Mandate.objects.filter(policy=policy, agency=agency).update(start_date=date(2024, 1, 1))
    Mandate.objects.create(agency=former_agency, policy=policy, broker=ended,
                           start_date=date(2019, 6, 1), end_date=date(2023, 12, 31))
    PolicyValue.objects.create(policy=policy, date=date(2024, 12, 31),
                               surrender_value=Decimal("12780.25"))
    Beneficiary.objects.create(policy=policy, rank=1, name="Marc Vermeil",
                               relationship="Conjoint", share=Decimal("100"))
    today = timezone.localdate()
    Premium.objects.create(policy=policy, due_date=today - timedelta(days=95),
                           amount=Decimal("250.00"), paid_date=today - timedelta(days=90),
                           status="paid")
    o["client_holder"] = policy.holder
    doc = Document(category="letter", title="Courrier de bienvenue", year=2024, policy=policy,
                   published=True, published_at=timezone.now())
    doc.file.save("bienvenue.pdf", ContentFile(b"%PDF-1.4 lettre"), save=False)
    doc.save()
    o["policy_document"] = doc
    f.CommissionRuleFactory(product="Alpina Épargne 3a")
    statements = commission_statements_compute(agency=agency, period_kind="year",
                                               day=today - timedelta(days=90))
    o["statement"] = next(s for s in statements if s.broker_id == broker.pk)
    o["colleague_policy"] = policy_under(agency, u["colleague_broker"], number="P-810002",
                                         first_name="Carl", last_name="Voisin")
    o["broker2_policy"] = policy_under(other_agency, u["broker2"], number="P-820001",
                                       first_name="Otto", last_name="Etranger")
    return w


def memberships(user) -> list[Membership]:
    return list(Membership.objects.filter(user=user))
