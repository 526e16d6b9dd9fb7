"""The annual salary declaration: every active person with last year's salary and degree,
edited page by page or filled from a file, submitted once as one batch of salary mutations
under one case number; a reminder on the home page until then; the fund sets the dates."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from policies.models import DeclarationPeriod, Mutation, MutationBatch, SalaryDeclaration
from tests import factories as f
from tests.portals.employer.conftest import xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(contract, staff_person):
    f.InsuredPersonFactory(contract=contract, status="left", exit_date=date(2020, 1, 31))
    return [staff_person, *f.InsuredPersonFactory.create_batch(
        54, contract=contract, annual_salary=Decimal("60000"))]


def _line_fields(page: str, prefix: str) -> bool:
    return f'name="{prefix}-annual_salary"' in page


def test_the_declaration_lists_every_active_person_page_by_page(as_user, hr_admin, staff):
    client = as_user(hr_admin)
    page = client.get("/employer/declaration/").content.decode()
    declaration = SalaryDeclaration.objects.get()
    assert declaration.lines.count() == 55  # the one who left is not listed
    assert "Page 1 sur 2" in page and "Favre Claire" in page
    assert "85&#x27;000.00" in page


def test_a_page_is_saved_in_place_and_checked(as_user, hr_admin, staff):
    client = as_user(hr_admin)
    client.get("/employer/declaration/")
    declaration = SalaryDeclaration.objects.get()
    lines = list(declaration.lines.order_by("person__last_name", "person__first_name",
                                            "pk")[:50])
    data = {"page": "1", "save": ""}
    for line in lines:
        data[f"l{line.pk}-annual_salary"] = str(line.annual_salary)
        data[f"l{line.pk}-employment_degree"] = str(line.employment_degree)
    first = lines[0]
    data[f"l{first.pk}-annual_salary"] = "-1"
    refused = client.post("/employer/declaration/", data)
    assert "ne peut pas être négatif" in refused.content.decode()
    data[f"l{first.pk}-annual_salary"] = "99'000"
    assert client.post("/employer/declaration/", data).status_code == 302
    first.refresh_from_db()
    assert first.annual_salary == Decimal("99000") and first.changed


def test_submitting_makes_one_batch_of_salary_mutations_with_one_case_number(
        as_user, hr_admin, staff):
    client = as_user(hr_admin)
    client.get("/employer/declaration/")
    response = client.post("/employer/declaration/submit/", follow=True)
    declaration = SalaryDeclaration.objects.get()
    assert declaration.status == "submitted" and declaration.case_number
    mutations = Mutation.objects.filter(kind="salary")
    assert mutations.count() == 55
    assert {m.effective_date for m in mutations} == {date(timezone.localdate().year, 1, 1)}
    assert all(m.case_number.startswith(declaration.case_number) for m in mutations)
    assert declaration.case_number in response.content.decode()
    again = client.post("/employer/declaration/submit/", follow=True)
    assert "déjà été transmise" in again.content.decode()
    assert Mutation.objects.count() == 55


def test_the_declaration_can_be_filled_from_a_file(as_user, hr_admin, staff, other_person):
    client = as_user(hr_admin)
    client.get("/employer/declaration/")
    person = staff[0]
    january = f"01.01.{timezone.localdate().year}"
    content = xlsx_bytes([["Type", "Numéro AVS", "Date d'effet", "Salaire annuel (CHF)"],
                          ["salaire", person.ahv_number, january, "101000"],
                          ["salaire", other_person.ahv_number, january, "1"]])
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post("/employer/declaration/",
                           {"file": SimpleUploadedFile("salaires.xlsx", content)})
    batch = MutationBatch.objects.get()
    assert response["Location"] == f"/employer/uploads/{batch.pk}/"
    assert batch.valid_count == 1 and batch.error_count == 1
    page = client.get(response["Location"]).content.decode()
    assert "Reprendre la ligne valable dans la déclaration" in page
    client.post(f"/employer/uploads/{batch.pk}/confirm/")
    line = SalaryDeclaration.objects.get().lines.get(person=person)
    assert line.annual_salary == Decimal("101000") and line.changed
    assert not Mutation.objects.exists()  # only the declaration's submission reports


def test_the_home_page_reminds_until_submitted(as_user, hr_admin, staff):
    year = timezone.localdate().year
    DeclarationPeriod.objects.create(year=year, opens_on=date(year, 1, 1),
                                     due_on=timezone.localdate() + timedelta(days=5))
    client = as_user(hr_admin)
    home = client.get("/employer/").content.decode()
    assert f"Déclaration des salaires {year}" in home
    client.get("/employer/declaration/")
    client.post("/employer/declaration/submit/")
    assert f"Déclaration des salaires {year}</strong>" not in client.get(
        "/employer/").content.decode()


def test_no_reminder_before_the_period_opens(as_user, hr_admin, staff):
    year = timezone.localdate().year
    DeclarationPeriod.objects.create(year=year, opens_on=timezone.localdate() + timedelta(1),
                                     due_on=timezone.localdate() + timedelta(days=30))
    home = as_user(hr_admin).get("/employer/").content.decode()
    assert "Commencer la déclaration" not in home


def test_a_read_only_third_party_cannot_declare(as_user, third_party, staff):
    client = as_user(third_party)
    assert client.get("/employer/declaration/").status_code == 403
    assert client.post("/employer/declaration/submit/").status_code == 403
