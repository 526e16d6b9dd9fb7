"""/employer/: company, contracts, staff counts, open mutations with their age, unread
documents, next invoice, one primary action; a fiduciary switches company in the header."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_home_shows_the_company_at_a_glance(as_user, hr_admin, contract, staff_person, mutation,
                                            company_document, invoice):
    page = as_user(hr_admin).get("/employer/").content.decode()
    assert "Boulangerie Test SA" in page and "C-100001" in page
    assert mutation.case_number in page and "depuis 0 jour" in page
    assert "1 document non lu" in page
    assert invoice.number in page and "1&#x27;234.50" in page
    assert "Annoncer une mutation" in page


def test_a_read_only_third_party_has_no_report_action(as_user, third_party, contract):
    page = as_user(third_party).get("/employer/").content.decode()
    assert "Annoncer une mutation" not in page


def test_a_fiduciary_with_two_companies_chooses_and_switches(client, fiduciary, employer,
                                                             other_employer, contract,
                                                             staff_person):
    from tests.conftest import login_verified

    login_verified(client, fiduciary)
    response = client.get("/employer/")
    assert response.status_code == 302 and "kind=employer" in response["Location"]
    first, second = fiduciary.memberships.order_by("pk")
    client.post("/portal/", {"membership": second.pk})
    page = client.get("/employer/").content.decode()
    assert "Autre Entreprise SA" in page and "Vous travaillez pour" in page
    assert client.get(f"/employer/staff/{staff_person.pk}/").status_code == 404
    client.post("/portal/", {"membership": first.pk})
    assert client.get(f"/employer/staff/{staff_person.pk}/").status_code == 200
    # Read-only here, read + mutations there: the capability follows the active company.
    assert client.get("/employer/mutations/new/").status_code == 403
    client.post("/portal/", {"membership": second.pk})
    assert client.get("/employer/mutations/new/").status_code == 200
