"""Personas and objects of the employer portal tests (the company is `employer`, its admin
`hr_admin`; `other_employer` and its admin `other_employer_hr` own the foreign objects)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import AccessRequest
from policies import services
from policies.models import ContributionInvoice, ContributionLine, Document, MutationBatch
from tests import factories as f
from tests.conftest import _make


def employer_user(email: str, employer, role: str, **membership) -> object:
    user = f.UserFactory(email=email, first_name=email.split("@")[0].title(), last_name="Test")
    f.MembershipFactory(user=user, kind="employer", role=role, employer=employer, **membership)
    return _make(user)


@pytest.fixture
def clerk(terms, employer):
    return employer_user("clerk@boulangerie.ch", employer, "clerk")


@pytest.fixture
def third_party_mutations(terms, employer, hr_admin):
    return employer_user("fidu-rw@example.ch", employer, "third_party", granted_by=hr_admin,
                         grants_mutations=True)


@pytest.fixture
def expired_third_party(terms, employer, hr_admin):
    return employer_user("fidu-old@example.ch", employer, "third_party", granted_by=hr_admin,
                         valid_until=timezone.localdate() - timedelta(days=1))


def make_fiduciary(employer, other_employer, granted_by):
    """Read-only for the first company, read + mutations for the second."""
    user = employer_user("fiduciary@example.ch", employer, "third_party", granted_by=granted_by)
    f.MembershipFactory(user=user, kind="employer", role="third_party", employer=other_employer,
                        grants_mutations=True)
    return user


@pytest.fixture
def fiduciary(terms, employer, other_employer, hr_admin):
    return make_fiduciary(employer, other_employer, hr_admin)


@pytest.fixture
def contract(employer):
    return f.ContractFactory(employer=employer, number="C-100001")


@pytest.fixture
def staff_person(contract):
    return f.InsuredPersonFactory(contract=contract, first_name="Claire", last_name="Favre",
                                  personnel_number="P-17", annual_salary=Decimal("85000"))


@pytest.fixture
def other_person(other_employer):
    return f.InsuredPersonFactory(contract=f.ContractFactory(employer=other_employer),
                                  first_name="Otto", last_name="Autre")


def first_of_month() -> date:
    return timezone.localdate().replace(day=1)


@pytest.fixture
def mutation(employer, staff_person, hr_admin):
    return services.mutation_submit(
        employer=employer, kind="salary", effective_date=first_of_month(),
        data={"annual_salary": "90000.00"}, person=staff_person, submitted_by=hr_admin)


@pytest.fixture
def other_mutation(other_employer, other_person, other_employer_hr):
    return services.mutation_submit(
        employer=other_employer, kind="salary", effective_date=first_of_month(),
        data={"annual_salary": "90000.00"}, person=other_person,
        submitted_by=other_employer_hr)


def csv_upload(text: str, name: str = "mutations.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


@pytest.fixture
def batch(employer, staff_person, hr_admin):
    text = ("Type;Numéro AVS;Date d'effet;Salaire annuel (CHF)\n"
            f"salaire;{staff_person.ahv_number};{first_of_month():%d.%m.%Y};95000\n")
    created = services.batch_create(employer=employer, user=hr_admin, upload=csv_upload(text))
    return services.batch_validate(batch_id=created.pk)


@pytest.fixture
def other_batch(other_employer, other_person, other_employer_hr):
    text = ("Type;Numéro AVS;Date d'effet;Salaire annuel (CHF)\n"
            f"salaire;{other_person.ahv_number};{first_of_month():%d.%m.%Y};95000\n")
    created = services.batch_create(employer=other_employer, user=other_employer_hr,
                                    upload=csv_upload(text))
    return services.batch_validate(batch_id=created.pk)


def make_invoice(employer, person, number="F-2026-001", **kwargs) -> ContributionInvoice:
    contract = person.contract
    invoice = ContributionInvoice.objects.create(
        employer=employer, contract=contract, number=number,
        period_start=date(2026, 1, 1), period_end=date(2026, 1, 31), issued_on=date(2026, 1, 5),
        due_on=kwargs.pop("due_on", date(2026, 2, 28)), amount=Decimal("1234.50"), **kwargs)
    ContributionLine.objects.create(invoice=invoice, person=person,
                                    salary_basis=Decimal("85000"),
                                    employee_share=Decimal("617.25"),
                                    employer_share=Decimal("617.25"))
    return invoice


@pytest.fixture
def invoice(employer, staff_person):
    return make_invoice(employer, staff_person)


@pytest.fixture
def other_invoice(other_employer, other_person):
    return make_invoice(other_employer, other_person, number="F-2026-999")


def make_employer_document(employer, title="Contrat d'affiliation 2026") -> Document:
    document = Document(category="contract", title=title, year=2026, employer=employer,
                        published=True, published_at=timezone.now())
    document.file.save("contrat.pdf", ContentFile(b"%PDF-1.4 contrat"), save=False)
    document.save()
    return document


@pytest.fixture
def company_document(employer):
    return make_employer_document(employer)


@pytest.fixture
def other_document(other_employer):
    return make_employer_document(other_employer, title="Document Autre")


@pytest.fixture
def granted(employer, hr_admin, third_party_mutations):
    """The read + mutations third party's membership (the one an admin changes/revokes)."""
    return third_party_mutations.memberships.get(employer=employer)


@pytest.fixture
def other_granted(other_employer, other_employer_hr):
    user = employer_user("fidu-autre@example.ch", other_employer, "third_party",
                         granted_by=other_employer_hr)
    return user.memberships.get()


@pytest.fixture
def invitation(employer, hr_admin):
    from accounts.registration import registration_code_issue

    return registration_code_issue(kind="employer", role="third_party", employer=employer,
                                   email="invite@example.ch", created_by=hr_admin).code


@pytest.fixture
def other_invitation(other_employer, other_employer_hr):
    from accounts.registration import registration_code_issue

    return registration_code_issue(kind="employer", role="third_party", employer=other_employer,
                                   email="x@example.ch", created_by=other_employer_hr).code


@pytest.fixture
def access_request(employer, hr_admin):
    return AccessRequest.objects.create(
        kind="employer", organisation_name="Boulangerie", organisation_number=employer.uid,
        contact_first_name="Mallory", contact_last_name="Intrus", email="mallory@evil.example",
        mobile="+41795551234",
    )


def xlsx_bytes(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


__all__ = ["MutationBatch"]
