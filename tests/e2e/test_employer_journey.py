"""Employer portal in Chromium: login -> overview -> search -> upload an XLSX with two bad rows
-> report -> submit the valid rows -> follow the status once support books it in the admin; the
progress bar of a file still being checked; a fiduciary switches company; axe-core on every
page and every page at phone width without sideways scrolling."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from tests import factories as f
from tests.conftest import PASSWORD
from tests.e2e.conftest import axe_violations, login, shot
from tests.portals.employer.conftest import (
    make_employer_document,
    make_fiduciary,
    make_invoice,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = ["Type", "Numéro AVS", "Date d'effet", "Salaire annuel (CHF)"]


@pytest.fixture
def company(employer, hr_admin):
    contract = f.ContractFactory(employer=employer, number="C-100001")
    favre = f.InsuredPersonFactory(contract=contract, first_name="Claire", last_name="Favre",
                                   personnel_number="P-17")
    f.InsuredPersonFactory.create_batch(40, contract=contract)
    make_invoice(employer, favre)
    make_employer_document(employer)
    return contract, favre


def _month() -> str:
    return timezone.localdate().replace(day=1).strftime("%d.%m.%Y")


def _no_sideways_scroll(page, name):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"{name} scrolls sideways at 375 px ({width} px)"


def test_overview_search_upload_report_submit_and_follow_the_booking(
        page, chromium, live_server, company, hr_admin, account_manager, tmp_path):
    contract, favre = company
    login(page, hr_admin, PASSWORD)
    page.wait_for_url("**/employer/")
    shot(page, "employer-home-1280")
    assert axe_violations(page) == []

    page.get_by_role("link", name="Personnel", exact=True).click()
    page.fill("input[name='q']", favre.ahv_number.replace(".", ""))
    page.get_by_role("button", name="Afficher").click()
    page.get_by_role("link", name="Favre Claire").click()
    page.wait_for_url(f"**/employer/staff/{favre.pk}/")
    shot(page, "employer-person-1280")
    assert axe_violations(page) == []

    people = list(contract.insured_persons.order_by("pk"))
    rows = [HEADER] + [["salaire", p.ahv_number, _month(), "91000"] for p in people]
    rows += [["salaire", "756.0000.0000.00", _month(), "1"],
             ["salaire", favre.ahv_number, _month(), "-5"]]
    upload = tmp_path / "mutations.xlsx"
    upload.write_bytes(xlsx_bytes(rows))
    page.goto("/employer/uploads/")
    assert axe_violations(page) == []
    page.set_input_files("input[name='file']", str(upload))
    page.get_by_role("button", name="Vérifier le fichier").click()
    page.wait_for_url("**/employer/uploads/*/")
    page.get_by_role("heading", name="Rapport des erreurs").wait_for()
    report = page.locator("table.report tbody tr")
    assert report.count() == 2
    shot(page, "employer-upload-report-1280")
    assert axe_violations(page) == []
    page.get_by_role("button", name=f"Transmettre les {len(people)} lignes valables").click()
    page.wait_for_url("**/employer/mutations/?q=*")
    case = page.url.rsplit("=", 1)[-1]
    first = page.locator("table.list-table tbody th a").first
    mutation_case = first.inner_text()
    assert mutation_case.startswith(case)
    first.click()
    page.get_by_text("Transmise").first.wait_for()
    shot(page, "employer-mutation-submitted-1280")
    assert axe_violations(page) == []

    admin = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="fr-CH",
                                 base_url=live_server.url).new_page()
    login(admin, account_manager, PASSWORD)
    admin.goto(f"/admin/policies/mutation/?q={mutation_case}")
    admin.locator("input[name='_selected_action']").first.check()
    admin.select_option("select[name='action']", "book")
    admin.locator("button[name='index']").click()
    admin.get_by_text("1 mutation enregistrée").wait_for()
    shot(admin, "employer-mutation-admin-1280")
    admin.context.close()

    page.reload()
    assert page.locator(".timeline li.current").inner_text().startswith("Enregistrée")
    shot(page, "employer-mutation-booked-1280")


def test_a_large_file_shows_its_progress_and_the_page_moves_on_by_itself(
        page, company, hr_admin):
    from policies.models import MutationBatch

    batch = MutationBatch.objects.create(employer=company[0].employer, created_by=hr_admin,
                                         filename="gros.xlsx", total_rows=10_000,
                                         processed_rows=2_500)
    login(page, hr_admin, PASSWORD)
    page.wait_for_url("**/employer/")
    page.goto(f"/employer/uploads/{batch.pk}/")
    assert page.locator("progress").get_attribute("value") == "25"
    shot(page, "employer-upload-progress-1280")
    assert axe_violations(page) == []
    MutationBatch.objects.filter(pk=batch.pk).update(processed_rows=7_500)
    from playwright.sync_api import expect

    expect(page.locator("progress")).to_have_js_property("value", 75, timeout=10_000)
    MutationBatch.objects.filter(pk=batch.pk).update(status="ready", processed_rows=10_000,
                                                     valid_count=0)
    page.get_by_role("heading", name="Lignes lues").wait_for()


def test_a_fiduciary_switches_company_in_the_header(page, terms, company, employer,
                                                   other_employer, hr_admin):
    fiduciary = make_fiduciary(employer, other_employer, hr_admin)
    login(page, fiduciary, PASSWORD)
    page.wait_for_url(re.compile(r"/portal/"))
    shot(page, "employer-chooser-1280")
    page.get_by_role("button", name="Boulangerie Test SA").click()
    page.wait_for_url("**/employer/")
    assert page.get_by_role("heading", level=1).inner_text() == "Boulangerie Test SA"
    page.locator("details.org-switch summary").click()
    page.get_by_role("button", name="Autre Entreprise SA").click()
    page.wait_for_url("**/employer/")
    assert page.get_by_role("heading", level=1).inner_text() == "Autre Entreprise SA"
    shot(page, "employer-switched-1280")
    assert axe_violations(page) == []


def test_every_employer_page_passes_axe_and_fits_a_phone(page, phone_page, company, hr_admin,
                                                         third_party):
    from policies import services

    contract, favre = company
    mutation = services.mutation_submit(
        employer=contract.employer, kind="salary",
        effective_date=timezone.localdate().replace(day=1),
        data={"annual_salary": "90000.00"}, person=favre, submitted_by=hr_admin)
    services.mutation_reject(mutation=mutation, by=hr_admin, reason="Salaire déjà annoncé.")
    invoice = contract.employer.invoices.get()
    membership = third_party.memberships.get()
    pages = [
        "/employer/", "/employer/staff/", f"/employer/staff/{favre.pk}/", "/employer/mutations/",
        f"/employer/mutations/{mutation.pk}/", "/employer/mutations/new/",
        "/employer/mutations/new/entry/", "/employer/mutations/new/exit/",
        "/employer/mutations/new/salary/", "/employer/mutations/new/address/",
        "/employer/uploads/", "/employer/declaration/", "/employer/contributions/",
        f"/employer/contributions/{invoice.pk}/", "/employer/documents/", "/employer/access/",
        "/employer/access/invite/", f"/employer/access/{membership.pk}/",
        "/employer/access-requests/", "/employer/help/",
    ]
    login(page, hr_admin, PASSWORD)
    page.wait_for_url("**/employer/")
    phone_page.context.add_cookies(page.context.cookies())
    problems = {}
    for path in pages:
        page.goto(path)
        violations = axe_violations(page)
        if violations:
            problems[path] = violations
        phone_page.goto(path)
        name = path.strip("/").replace("/", "-")
        shot(phone_page, f"{name}-375")
        _no_sideways_scroll(phone_page, path)
    page.goto("/employer/mutations/new/entry/")
    page.get_by_role("button", name="Transmettre la mutation").click()
    page.locator(".error").first.wait_for()
    shot(page, "employer-entry-errors-1280")
    violations = axe_violations(page)
    if violations:
        problems["entry errors"] = violations
    assert problems == {}
    assert Decimal(favre.annual_salary) and date.today()
