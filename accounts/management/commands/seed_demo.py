"""Demo data for the embedded mode: a small fund with three employers, brokers and one login per
persona. Idempotent; refuses to run when DEBUG is off so it can never touch production data."""

from __future__ import annotations

import base64
import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from stdnum import ean

from accounts import duties
from accounts.demo_terms import DEMO_TERMS, DEMO_TERMS_VERSION
from accounts.models import (
    BackupCode,
    BackupCodeDevice,
    Membership,
    RegistrationCode,
    SupportContact,
    Terms,
    User,
    hash_code,
)
from policies.models import (
    Agency,
    Beneficiary,
    Certificate,
    CommissionRule,
    Contract,
    Document,
    Employer,
    InsuredPerson,
    Mandate,
    Mutation,
    Pension,
    PensionPayment,
    Plan,
    Policy,
    PolicyHolder,
    PolicyValue,
    Premium,
)
from policies.pdf import pdf_build
from policies.services import commission_statements_compute

DEMO_PASSWORD = "Alpina-Demo-2026"
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # base32, for any authenticator app
DEMO_BACKUP_CODES = ["demo1111", "demo2222", "demo3333"]
DEMO_REGISTRATION_CODE = "DEMO-2026-ALPN"
DEMO_REGISTRATION_AHV = "756.9217.0769.85"
DEMO_REGISTRATION_BIRTH = date(1968, 4, 12)
YEAR = 2026
CENT = Decimal("0.01")

FIRST_NAMES_M = ["Luc", "Marc", "Jean", "Pierre", "Thomas", "Daniel", "Marco", "Peter", "Hans",
                 "Nicolas", "Stefan", "Luca", "Andrea", "Reto", "Michel", "Yves", "Urs", "David"]
FIRST_NAMES_F = ["Anne", "Marie", "Claire", "Sophie", "Laura", "Sandra", "Monika", "Giulia",
                 "Chiara", "Nathalie", "Isabelle", "Ursula", "Petra", "Sarah", "Martine", "Elena"]
LAST_NAMES = ["Rochat", "Favre", "Müller", "Meier", "Schmid", "Keller", "Weber", "Huber",
              "Rossi", "Bianchi", "Bernasconi", "Dubois", "Morel", "Girard", "Bonvin", "Pittet",
              "Zürcher", "Brunner", "Baumann", "Frei", "Gerber", "Moser", "Fontana", "Crettaz"]
CITIES = [("1003", "Lausanne"), ("1201", "Genève"), ("2000", "Neuchâtel"), ("1700", "Fribourg"),
          ("1950", "Sion"), ("8001", "Zürich"), ("3011", "Bern"), ("6900", "Lugano"),
          ("4051", "Basel"), ("1400", "Yverdon-les-Bains")]

# Real-looking terms of use, per language and versioned: accounts/demo_terms.py.
TERMS_TEXT = DEMO_TERMS


def make_ahv(rng: random.Random, used: set[str]) -> str:
    while True:
        body = "756" + "".join(str(rng.randint(0, 9)) for _ in range(9))
        number = body + ean.calc_check_digit(body)
        formatted = f"{number[:3]}.{number[3:7]}.{number[7:11]}.{number[11:]}"
        if formatted not in used:
            used.add(formatted)
            return formatted


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def dunning_level(days_overdue: int) -> int:
    """Reminders at 14 and 30 days, the formal notice (art. 20 LCA) at 60."""
    return 3 if days_overdue >= 60 else 2 if days_overdue >= 30 else 1 if days_overdue >= 14 else 0


def certificate_figures(birth: date, salary: Decimal, rng: random.Random) -> dict[str, Decimal]:
    """Plausible certificate figures for demo people (BVG minimum plan, 2026 limits)."""
    from simulations.services import certificate_figures_for

    return certificate_figures_for(birth_date=birth, annual_salary=salary, year=YEAR, rng=rng)


class Command(BaseCommand):
    help = "Load demo data (embedded mode only). Safe to run again: existing data is kept."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo refuses to run with DEBUG off (production data).")
        if User.objects.filter(email="insured@demo.ch").exists():
            self.stdout.write("Demo data already present: nothing to do.")
            return
        with transaction.atomic():
            self._seed()
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Logins: see README.md."))

    # ------------------------------------------------------------------------------------------
    def _seed(self) -> None:
        rng = random.Random(2026)  # noqa: S311 - demo data, not secrets
        used_ahv: set[str] = {DEMO_REGISTRATION_AHV}
        now = timezone.now()

        for version_lang, (title, body) in TERMS_TEXT.items():
            Terms.objects.create(
                version=DEMO_TERMS_VERSION, language=version_lang, title=title, body=body, published_at=now
            )
        SupportContact.objects.create(
            kind="insured", name="Centre clients", phone="+41 21 555 66 80",
            email="clients@alpina-pension.example", hours="Lu-ve 8h00-12h00, 13h30-17h00",
        )
        SupportContact.objects.create(
            kind="employer", name="Centre clients entreprises", phone="+41 21 555 66 81",
            email="entreprises@alpina-pension.example", hours="Lu-ve 8h00-17h00",
        )
        SupportContact.objects.create(
            kind="broker", name="Centre courtiers", phone="+41 21 555 66 96",
            email="courtiers@alpina-pension.example", hours="Lu-ve 8h00-17h00",
        )

        bvg = Plan.objects.create(
            code="bvg-minimum", name="Plan LPP minimum",
            savings_credits=[[25, "0.07"], [35, "0.10"], [45, "0.15"], [55, "0.18"]],
        )
        plus = Plan.objects.create(
            code="alpina-plus", name="Plan Alpina Plus",
            savings_credits=[[25, "0.09"], [35, "0.12"], [45, "0.16"], [55, "0.20"]],
            conversion_rate=Decimal("0.0600"), max_lump_sum_share=Decimal("1"),
        )
        employers = [
            (Employer.objects.create(name="Boulangerie Rochat SA", uid="CHE-116.281.710",
                                     street="Rue du Bourg 12", postcode="1003", city="Lausanne"),
             bvg, 12, "C-100201"),
            (Employer.objects.create(name="Horlogerie du Léman SA", uid="CHE-105.805.081",
                                     street="Quai du Mont-Blanc 5", postcode="1201",
                                     city="Genève"),
             plus, 2000, "C-100202"),
            (Employer.objects.create(name="Keller Treuhand AG", uid="CHE-109.322.551",
                                     street="Bahnhofstrasse 40", postcode="8001", city="Zürich",
                                     language="de"),
             bvg, 40, "C-100203"),
        ]
        people: list[InsuredPerson] = []
        for employer, plan, staff, number in employers:
            contract = Contract.objects.create(
                employer=employer, number=number, plan=plan, start_date=date(2015, 1, 1)
            )
            batch = []
            for _ in range(staff):
                batch.append(self._person(contract, rng, used_ahv))
            people.extend(InsuredPerson.objects.bulk_create(batch, batch_size=500))

        rochat_contract = Contract.objects.get(number="C-100201")
        demo_insured = InsuredPerson.objects.create(
            contract=rochat_contract, ahv_number="756.3047.5009.62", first_name="Claire",
            last_name="Favre", birth_date=date(1971, 6, 3), sex="F", civil_status="married",
            street="Chemin des Vignes 4", postcode="1009", city="Pully", language="fr",
            annual_salary=Decimal("86400"), entry_date=date(2012, 3, 1),
        )
        demo_pensioner = InsuredPerson.objects.create(
            contract=rochat_contract, ahv_number="756.1234.5678.97", first_name="Jean",
            last_name="Rochat", birth_date=date(1957, 9, 18), sex="M", civil_status="married",
            street="Avenue de la Gare 9", postcode="1003", city="Lausanne", language="fr",
            annual_salary=Decimal("0"), entry_date=date(1990, 1, 1),
            status=InsuredPerson.Status.PENSIONER, iban="CH9300762011623852957",
        )
        registration_person = InsuredPerson.objects.create(
            contract=rochat_contract, ahv_number=DEMO_REGISTRATION_AHV, first_name="Marc",
            last_name="Bonvin", birth_date=DEMO_REGISTRATION_BIRTH, sex="M", street="Rue Neuve 3",
            postcode="1950", city="Sion", annual_salary=Decimal("72000"),
            entry_date=date(2018, 5, 1),
        )
        people.extend([demo_insured, demo_pensioner, registration_person])

        certificates = []
        for person in people:
            if person.status != InsuredPerson.Status.ACTIVE:
                continue
            figures = certificate_figures(person.birth_date, person.annual_salary, rng)
            certificates.append(Certificate(
                person=person, year=YEAR, valid_from=date(YEAR, 1, 1),
                annual_salary=person.annual_salary, **figures,
            ))
        Certificate.objects.bulk_create(certificates, batch_size=500)
        pensioner_cert = Certificate.objects.create(
            person=demo_pensioner, year=YEAR, valid_from=date(YEAR, 1, 1),
            annual_salary=Decimal("0"), insured_salary=Decimal("0"),
            savings_capital=Decimal("0"), projected_capital_65=Decimal("0"),
            projected_pension_65=Decimal("0"), disability_pension=Decimal("0"),
            spouse_pension=Decimal("14688.00"), max_buy_in=Decimal("0"),
            wef_available=Decimal("0"),
        )

        self._pensions(people, demo_pensioner, rng)
        self._documents(demo_insured, demo_pensioner, pensioner_cert, employers)
        self._brokers(rng)

        hr_employer = employers[1][0]
        self._user("insured@demo.ch", "Claire", "Favre", insured=demo_insured)
        self._user("pensioner@demo.ch", "Jean", "Rochat", insured=demo_pensioner)
        self._user("hr@demo.ch", "Sandra", "Meier", employer=hr_employer, role="admin")
        support = self._user("support@demo.ch", "Nathalie", "Girard")
        support.is_staff = True
        support.is_superuser = True
        support.save(update_fields=["is_staff", "is_superuser"])
        # The back office's duty groups (accounts/duties.py, created by the migration).
        for email, first, last, group in (
            ("agent@demo.ch", "Luca", "Bernasconi", duties.AGENT),
            ("manager@demo.ch", "Sophie", "Keller", duties.ACCOUNT_MANAGER),
            ("supervisor@demo.ch", "Marc", "Dubois", duties.SUPERVISOR),
        ):
            colleague = self._user(email, first, last)
            colleague.is_staff = True
            colleague.save(update_fields=["is_staff"])
            colleague.groups.add(Group.objects.get(name=group))

        RegistrationCode.objects.create(
            code_hash=hash_code(DEMO_REGISTRATION_CODE), hint=DEMO_REGISTRATION_CODE[-4:],
            kind="insured", role="insured", insured_person=registration_person,
            expires_at=now + timedelta(days=3650),
        )
        self._employer_portal(hr_employer, employers[0][0], support, rng)
        self._translations()

    def _translations(self) -> None:
        """What support types in French, in the other portal languages too (help page contacts,
        plan names, document titles): nothing French is left on a German, Italian or English
        page. Certificates and pension statements translate their standard titles themselves."""
        contacts = {
            "insured": (("Kundencenter", "Centro clienti", "Customer centre"),
                        ("Mo-Fr 8.00-12.00, 13.30-17.00 Uhr", "lu-ve 8.00-12.00, 13.30-17.00",
                         "Mon-Fri 8:00-12:00, 13:30-17:00")),
            "employer": (("Kundencenter Unternehmen", "Centro clienti aziende",
                          "Customer centre for companies"),
                         ("Mo-Fr 8.00-17.00 Uhr", "lu-ve 8.00-17.00", "Mon-Fri 8:00-17:00")),
            "broker": (("Center für Vermittler", "Centro intermediari", "Broker centre"),
                       ("Mo-Fr 8.00-17.00 Uhr", "lu-ve 8.00-17.00", "Mon-Fri 8:00-17:00")),
        }
        for kind, (names, hours) in contacts.items():
            SupportContact.objects.filter(kind=kind).update(
                name_de=names[0], name_it=names[1], name_en=names[2],
                hours_de=hours[0], hours_it=hours[1], hours_en=hours[2],
            )
        plans = {
            "bvg-minimum": ("BVG-Minimalplan", "Piano LPP minimo", "BVG minimum plan"),
            "alpina-plus": ("Plan Alpina Plus", "Piano Alpina Plus", "Alpina Plus plan"),
        }
        for code, (de, it, en) in plans.items():
            Plan.objects.filter(code=code).update(name_de=de, name_it=it, name_en=en)
        Document.objects.filter(title="Contrat d'affiliation").update(
            title_de="Anschlussvertrag", title_it="Contratto d'affiliazione",
            title_en="Affiliation contract",
        )

    def _employer_portal(self, first: Employer, second: Employer, support: User,
                         rng: random.Random) -> None:
        """The employer portal's demo: hr2@ (admin of the second company), clerk@ (clerk of the
        first), fiduciary@ (read-only for the first, read + mutations for the second); personnel
        numbers, open and booked mutations, contribution invoices with their lines, company
        documents with a file, and this year's salary declaration in progress."""
        from django.core.files.base import ContentFile

        from policies import services as ps
        from policies.models import ContributionInvoice, ContributionLine
        from policies.pdf import pdf_build

        hr = User.objects.get(email="hr@demo.ch")
        self._user("hr2@demo.ch", "Paul", "Rochat", employer=second, role="admin")
        self._user("clerk@demo.ch", "Lea", "Schmid", employer=first, role="clerk")
        fiduciary = self._user("fiduciary@demo.ch", "Marco", "Keller", employer=first,
                               role="third_party")
        Membership.objects.filter(user=fiduciary).update(granted_by=hr)
        Membership.objects.create(user=fiduciary, kind="employer", role="third_party",
                                  employer=second, grants_mutations=True)
        for employer, prefix in ((first, "H"), (second, "R")):
            staff = list(InsuredPerson.objects.filter(contract__employer=employer).order_by("pk"))
            for index, person in enumerate(staff, start=1):
                person.personnel_number = f"{prefix}{index:05d}"
            InsuredPerson.objects.bulk_update(staff, ["personnel_number"], batch_size=1000)

        today = timezone.localdate()
        month = today.replace(day=1)
        active = list(InsuredPerson.objects.filter(
            contract__employer=first, status=InsuredPerson.Status.ACTIVE).order_by("pk")[:8])
        for index, person in enumerate(active):
            mutation = ps.mutation_submit(
                employer=first, kind=Mutation.Kind.SALARY, effective_date=month,
                data={"annual_salary": str(person.annual_salary + 1200)}, person=person,
                submitted_by=hr,
            )
            Mutation.objects.filter(pk=mutation.pk).update(
                created_at=timezone.now() - timedelta(days=3 * index))
            if index < 3:
                ps.mutation_book(mutation=mutation, by=support)
            elif index == 3:
                ps.mutation_reject(mutation=mutation, by=support,
                                   reason="Salaire déjà annoncé le mois passé.")
            elif index == 4:
                ps.mutation_review(mutation=mutation, by=support)
        ps.mutation_submit(
            employer=first, kind=Mutation.Kind.ENTRY, effective_date=month,
            data={"ahv": make_ahv(rng, set()), "first_name": "Noé", "last_name": "Perret",
                  "birth_date": "1994-02-11", "sex": "M", "annual_salary": "78000.00",
                  "employment_degree": "100", "personnel_number": "H09999", "reentry": False},
            person=None, submitted_by=hr,
        )

        for employer in (first, second):
            contract = employer.contracts.first()
            persons = list(InsuredPerson.objects.filter(
                contract=contract, status=InsuredPerson.Status.ACTIVE).values_list(
                "pk", "annual_salary"))
            for back, status in ((2, "paid"), (1, "open"), (0, "open")):
                start = (month - timedelta(days=28 * back)).replace(day=1)
                end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
                shares = [(pk, salary, money(salary * Decimal("0.045") / 12))
                          for pk, salary in persons]
                invoice = ContributionInvoice.objects.create(
                    employer=employer, contract=contract,
                    number=f"F-{start:%Y%m}-{employer.pk:03d}", period_start=start,
                    period_end=end, issued_on=start + timedelta(days=4),
                    due_on=end if back else end + timedelta(days=30),
                    amount=sum((share * 2 for _pk, _s, share in shares), Decimal("0")),
                    status=status, paid_on=end if status == "paid" else None,
                )
                ContributionLine.objects.bulk_create([
                    ContributionLine(invoice=invoice, person_id=pk, salary_basis=salary,
                                     employee_share=share, employer_share=share)
                    for pk, salary, share in shares], batch_size=1000)
            for document in Document.objects.filter(employer=employer):
                pdf = pdf_build(document.title, [("p", employer.name)])
                document.file.save(f"contrat-{employer.pk}.pdf", ContentFile(pdf))
            Document.objects.create(
                category=Document.Category.LETTER, title=f"Taux de cotisation {YEAR}",
                year=YEAR, employer=employer, published=True, published_at=timezone.now(),
                file=ContentFile(pdf_build(f"Taux de cotisation {YEAR}", [("p", employer.name)]),
                                 name=f"taux-{employer.pk}.pdf"),
            )

        declaration = ps.declaration_open(employer=first, year=today.year)
        lines = list(declaration.lines.order_by("pk")[:25])
        ps.declaration_lines_update(declaration=declaration, values={
            line.pk: (line.previous_salary + 1500, line.previous_degree) for line in lines})

    def _person(self, contract: Contract, rng: random.Random, used: set[str]) -> InsuredPerson:
        sex = rng.choice("MF")
        first = rng.choice(FIRST_NAMES_M if sex == "M" else FIRST_NAMES_F)
        birth = date(rng.randint(1961, 2001), rng.randint(1, 12), rng.randint(1, 28))
        postcode, city = rng.choice(CITIES)
        pensioner = rng.random() < 0.06
        if pensioner:
            birth = date(rng.randint(1940, 1960), birth.month, birth.day)
        return InsuredPerson(
            contract=contract, ahv_number=make_ahv(rng, used), first_name=first,
            last_name=rng.choice(LAST_NAMES), birth_date=birth, sex=sex,
            civil_status=rng.choice(["single", "married", "married", "divorced"]),
            street=f"Rue {rng.choice(LAST_NAMES)} {rng.randint(1, 80)}", postcode=postcode,
            city=city, language="de" if city in ("Zürich", "Bern", "Basel") else
            "it" if city == "Lugano" else "fr",
            annual_salary=Decimal(0) if pensioner else Decimal(rng.randrange(30000, 180000, 100)),
            employment_degree=Decimal(rng.choice([100, 100, 100, 80, 60, 50])),
            entry_date=date(rng.randint(2000, 2025), rng.randint(1, 12), 1),
            status=InsuredPerson.Status.PENSIONER if pensioner else InsuredPerson.Status.ACTIVE,
        )

    def _pensions(self, people, demo_pensioner, rng: random.Random) -> None:
        pensioners = [p for p in people if p.status == InsuredPerson.Status.PENSIONER]
        for person in pensioners:
            monthly = Decimal("2150.40") if person == demo_pensioner else money(
                rng.randrange(900, 4200)
            )
            pension = Pension.objects.create(
                person=person, kind=Pension.Kind.OLD_AGE, monthly_amount=monthly,
                start_date=date(person.birth_date.year + 65, person.birth_date.month, 1)
                if person.birth_date.year + 65 <= YEAR else date(2022, 1, 1),
            )
            PensionPayment.objects.bulk_create(
                PensionPayment(pension=pension, date=date(YEAR, month, 25), amount=monthly)
                for month in range(1, 12)
            )

    def _documents(self, insured, pensioner, pensioner_cert, employers) -> None:
        cert = insured.certificates.get(year=YEAR)
        now = timezone.now()
        Document.objects.create(
            category=Document.Category.CERTIFICATE, title=f"Certificat de prévoyance {YEAR}",
            year=YEAR, certificate=cert, insured_person=insured, published=True,
            published_at=now,
        )
        Document.objects.create(
            category=Document.Category.PENSION_STATEMENT, title=f"Attestation de rente {YEAR}",
            year=YEAR, certificate=pensioner_cert, insured_person=pensioner, published=True,
            published_at=now,
        )
        for employer, _plan, _staff, _number in employers:
            Document.objects.create(
                category=Document.Category.CONTRACT, title="Contrat d'affiliation", year=2015,
                employer=employer, published=True, published_at=now,
            )

    def _brokers(self, rng: random.Random) -> list[Agency]:
        """Two agencies: Brunner (broker@demo.ch holds 150 of its 180 policies, the other 30 are
        the agency's own; agency@demo.ch is its admin) and Ticino Broker (broker2@demo.ch).
        Surrender values year by year, premiums of 2026 with overdue ones at every dunning level,
        a cancellation and a clawback, and the second and third quarters' commission
        statements."""
        agencies = [
            Agency.objects.create(
                name="Brunner Assurances Sàrl", register_number="F01234567",
                account_manager="Yves Morel", account_manager_phone="+41 21 555 66 97",
                account_manager_email="y.morel@alpina-pension.example",
            ),
            Agency.objects.create(
                name="Ticino Broker SA", register_number="F07654321",
                account_manager="Chiara Fontana", account_manager_phone="+41 91 555 12 34",
                account_manager_email="c.fontana@alpina-pension.example",
            ),
        ]
        broker = self._user("broker@demo.ch", "Reto", "Brunner", agency=agencies[0],
                            role="broker")
        self._user("agency@demo.ch", "Monika", "Brunner", agency=agencies[0], role="agency_admin")
        broker2 = self._user("broker2@demo.ch", "Luca", "Bernasconi", agency=agencies[1],
                             role="broker")
        holders = PolicyHolder.objects.bulk_create(
            PolicyHolder(
                first_name=rng.choice(FIRST_NAMES_F + FIRST_NAMES_M),
                last_name=rng.choice(LAST_NAMES),
                birth_date=date(rng.randint(1950, 1995), rng.randint(1, 12), rng.randint(1, 28)),
                city=rng.choice(CITIES)[1],
            )
            for _ in range(220)
        )
        products = ["Alpina Épargne 3a", "Alpina Risque décès", "Alpina Mixte 3b"]
        frequencies = ["monthly", "quarterly", "yearly"]
        policies = Policy.objects.bulk_create(
            Policy(
                number=f"P-{700000 + i}", product=rng.choice(products), holder=rng.choice(holders),
                premium=money(rng.randrange(50, 600)), frequency=rng.choice(frequencies),
                status="active" if rng.random() < 0.9 else "paid_up",
                start_date=date(rng.randint(2005, 2024), rng.randint(1, 12), 1),
                end_date=date(rng.randint(2030, 2055), 12, 31),
                sum_insured=money(rng.randrange(20000, 400000, 1000)),
                insured=rng.choice(holders) if rng.random() < 0.1 else None,
            )
            for i in range(300)
        )
        # A client since last autumn who surrendered in August: a clawback in the 3rd quarter.
        surrendered = policies[5]
        surrendered.start_date, surrendered.status = date(YEAR - 1, 9, 1), "surrendered"
        surrendered.terminated_on, surrendered.frequency = date(YEAR, 8, 20), "monthly"
        surrendered.save()

        today = timezone.localdate()
        mandates, values, premiums, beneficiaries = [], [], [], []
        for i, policy in enumerate(policies):
            agency = agencies[0 if i < 180 else 1]
            holder = broker if i < 150 else None if i < 180 else broker2
            mandates.append(Mandate(agency=agency, policy=policy, broker=holder,
                                    start_date=policy.start_date))
            value = Decimal(0)
            for year in range(policy.start_date.year + 1, YEAR + 1):
                value = value * Decimal("1.015") + policy.premium * 12 * Decimal("0.85")
                values.append(PolicyValue(policy=policy, date=date(year, 1, 1),
                                          surrender_value=money(value)))
            if i % 4 == 0:
                beneficiaries.append(Beneficiary(
                    policy=policy, rank=1, name=f"{rng.choice(FIRST_NAMES_F)} "
                    f"{policy.holder.last_name}", relationship="Conjoint·e",
                    share=Decimal("100")))
            premiums.extend(self._premiums(policy, today, rng))
        Mandate.objects.bulk_create(mandates)
        PolicyValue.objects.bulk_create(values, batch_size=1000)
        Beneficiary.objects.bulk_create(beneficiaries)
        Premium.objects.bulk_create(premiums, batch_size=1000)
        self._dunning_examples(policies[:4], today)
        # A premium of June reversed in August: a negative line in the 3rd quarter.
        reversed_policy = next(p for p in policies[10:150] if p.frequency == "monthly")
        Premium.objects.filter(policy=reversed_policy, due_date=date(YEAR, 6, 1),
                               status="paid").update(status="cancelled",
                                                     cancelled_date=date(YEAR, 8, 12))
        self._policy_documents(policies[:6] + policies[180:182])

        for product, first, renewal in (("Alpina Épargne 3a", "0.0400", "0.0150"),
                                        ("Alpina Risque décès", "0.1000", "0.0300"),
                                        ("Alpina Mixte 3b", "0.0500", "0.0200")):
            CommissionRule.objects.create(product=product, first_year_rate=Decimal(first),
                                          renewal_rate=Decimal(renewal), clawback_months=24,
                                          valid_from=date(2000, 1, 1))
        CommissionRule.objects.create(
            agency=agencies[0], product="Alpina Épargne 3a", first_year_rate=Decimal("0.0450"),
            renewal_rate=Decimal("0.0175"), clawback_months=24, valid_from=date(2000, 1, 1))
        for agency in agencies:
            for quarter_start in (date(YEAR, 4, 1), date(YEAR, 7, 1)):
                commission_statements_compute(agency=agency, period_kind="quarter",
                                              day=quarter_start)
        return agencies

    def _premiums(self, policy: Policy, today: date, rng: random.Random) -> list[Premium]:
        """The premiums of 2026 (and of the first months of a policy started last autumn)."""
        step = {"monthly": 1, "quarterly": 3, "half_yearly": 6, "yearly": 12}[policy.frequency]
        due = policy.start_date if policy.start_date.year >= YEAR - 1 else date(
            YEAR, policy.start_date.month if step == 12 else 1, 1)
        out = []
        end = min(date(YEAR, 12, 31), policy.terminated_on or date(YEAR, 12, 31))
        while due <= end:
            if due >= today:
                out.append(Premium(policy=policy, due_date=due, amount=policy.premium,
                                   status=Premium.Status.DUE))
            elif rng.random() < 0.93 or (today - due).days > 100:
                out.append(Premium(policy=policy, due_date=due, amount=policy.premium,
                                   paid_date=due + timedelta(days=rng.randint(0, 12)),
                                   status=Premium.Status.PAID))
            else:
                out.append(Premium(policy=policy, due_date=due, amount=policy.premium,
                                   status=Premium.Status.OVERDUE,
                                   dunning_level=dunning_level((today - due).days)))
            month = due.month - 1 + step
            due = date(due.year + month // 12, month % 12 + 1, 1)
        return out

    def _dunning_examples(self, policies: list[Policy], today: date) -> None:
        """broker@demo.ch always has an overdue premium at each dunning level."""
        for policy, days in zip(policies, (6, 21, 45, 80), strict=True):
            Premium.objects.create(policy=policy, due_date=today - timedelta(days=days),
                                   amount=policy.premium, status=Premium.Status.OVERDUE,
                                   dunning_level=dunning_level(days))

    def _policy_documents(self, policies: list[Policy]) -> None:
        now = timezone.now()
        for policy in policies:
            Document.objects.create(category=Document.Category.POLICY,
                                    title=f"Police {policy.number}", year=policy.start_date.year,
                                    policy=policy, published=True, published_at=now)
            letter = Document(category=Document.Category.LETTER, title="Avis d'échéance",
                              year=YEAR, policy=policy, published=True, published_at=now)
            letter.file.save(f"avis-{policy.number}.pdf", ContentFile(pdf_build(
                "Avis d'échéance", [("facts", [("Police", policy.number),
                                               ("Prime", f"CHF {policy.premium}")])])),
                save=False)
            letter.save()

    def _user(self, email, first, last, *, insured=None, employer=None, agency=None, role=None):
        user = User.objects.create_user(
            email=email, password=DEMO_PASSWORD, first_name=first, last_name=last,
            insured_person=insured,
        )
        if insured is not None:
            Membership.objects.create(user=user, kind="insured", role="insured",
                                      insured_person=insured)
        if employer is not None:
            Membership.objects.create(user=user, kind="employer", role=role, employer=employer)
        if agency is not None:
            Membership.objects.create(user=user, kind="broker", role=role, agency=agency)
        TOTPDevice.objects.create(
            user=user, name="default", confirmed=True,
            key=base64.b32decode(DEMO_TOTP_SECRET).hex(),
        )
        # The login's backup step and the profile read the hashed BackupCodeDevice.
        backup = BackupCodeDevice.objects.create(user=user, name="backup", confirmed=True)
        BackupCode.objects.bulk_create(
            BackupCode(device=backup, code_hash=hash_code(token)) for token in DEMO_BACKUP_CODES
        )
        return user
