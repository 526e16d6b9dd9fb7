"""An employer never sees savings capital, buy-in potential, WEF, pension amounts, IBAN or
health (disability) data: every employer page, export and PDF is rendered with sentinel values
in those fields and none of them may appear."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest

from policies import swiss
from policies.models import Pension
from tests import factories as f
from tests.pdf_text import pdf_pages_text
from tests.portals.employer.test_permissions import CASES, MATRIX, NEEDS, declaration  # noqa: F401

pytestmark = pytest.mark.django_db

SENTINEL_MONEY = {
    "savings_capital": Decimal("913579.11"),
    "bvg_savings_capital": Decimal("813579.12"),
    "projected_capital_65": Decimal("713579.13"),
    "projected_pension_65": Decimal("613579.14"),
    "disability_pension": Decimal("513579.15"),
    "spouse_pension": Decimal("413579.16"),
    "death_capital": Decimal("313579.17"),
    "max_buy_in": Decimal("213579.18"),
    "wef_available": Decimal("193579.19"),
    "insured_salary": Decimal("173579.21"),
}
PENSION = Decimal("7531.23")
IBAN = "CH5604835012345678009"
HOLDER = "Sentinelle Titulaire"


def forbidden_texts() -> list[str]:
    texts = [IBAN, swiss.iban(IBAN), IBAN[-6:], HOLDER]
    for value in [*SENTINEL_MONEY.values(), PENSION]:
        texts += [str(value), swiss.amount(value), swiss.chf(value),
                  f"{value:.2f}".replace(".", ",")]
    return texts


@pytest.fixture(autouse=True)
def sentinels(staff_person):
    """The company's person carries a certificate, a pension and a bank account with values
    that must never reach an employer."""
    staff_person.iban, staff_person.bank_account_holder = IBAN, HOLDER
    staff_person.bank_currency = "CHF"
    staff_person.save()
    f.CertificateFactory(person=staff_person, annual_salary=Decimal("85000"),
                         **SENTINEL_MONEY)
    Pension.objects.create(person=staff_person, kind="disability", monthly_amount=PENSION,
                           start_date=date(2024, 1, 1))


def _texts(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    if "pdf" in kind:
        return "\n".join(pdf_pages_text(content))
    if "spreadsheet" in kind:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "".join(archive.read(name).decode("utf-8", "replace")
                           for name in archive.namelist() if name.endswith(".xml"))
    return content.decode("utf-8", "replace")


GETS = [name for name, (case, _cap) in CASES.items() if case.method == "get"]


@pytest.mark.parametrize("name", GETS)
def test_no_employer_page_or_export_shows_the_persons_pension_data(request, name, hr_admin):
    url = MATRIX.url(request, name)
    client = MATRIX.client_as(request, "hr_admin", name)
    urls = [url, f"{url}?export=csv", f"{url}?export=xlsx"] if "?" not in url else [url]
    seen = 0
    for address in urls:
        response = client.get(address)
        assert response.status_code == 200, address
        text = _texts(response)
        seen += 1
        for forbidden in forbidden_texts():
            assert forbidden not in text, f"{forbidden} on {address}"
    assert seen


def test_the_person_detail_shows_what_the_employer_reported(as_user, hr_admin, staff_person):
    page = as_user(hr_admin).get(f"/employer/staff/{staff_person.pk}/").content.decode()
    assert staff_person.ahv_number in page and "P-17" in page
    assert "85&#x27;000.00" in page or "85'000.00" in page
