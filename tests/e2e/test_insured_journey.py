"""Insured portal in Chromium: the main journey from login to a request seen by support in
admin, axe-core on every page, and every page at phone width without sideways scrolling."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import axe_violations, login, shot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def journey_data(insured, insured_person):
    from django.utils import timezone

    from accounts.models import SupportContact
    from policies.models import Document

    certificate = insured_person.certificates.get()
    Document.objects.create(category="certificate", title="Certificat de prévoyance 2026",
                            year=2026, certificate=certificate, insured_person=insured_person,
                            published=True, published_at=timezone.now())
    SupportContact.objects.create(kind="insured", name="Centre clients LPP",
                                  phone="+41 21 555 66 80", email="lpp@alpina.example",
                                  hours="Lundi à vendredi, 8 h - 17 h")
    return certificate


def _no_sideways_scroll(page, name):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"{name} scrolls sideways at 375 px ({width} px)"


def test_login_dashboard_certificate_pdf_retirement_request_seen_in_admin(
        page, chromium, live_server, journey_data, insured, support):
    login(page, insured, PASSWORD)
    page.wait_for_url("**/insured/")
    assert page.get_by_role("heading", level=1).inner_text() == "Bonjour Claire"
    shot(page, "insured-home-1280")
    assert axe_violations(page) == []

    page.get_by_role("link", name="Tous mes documents").click()
    page.wait_for_url("**/insured/documents/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Certificat de prévoyance 2026").click()
    assert download.value.suggested_filename.endswith(".pdf")
    with open(download.value.path(), "rb") as handle:
        assert handle.read(4) == b"%PDF"

    page.goto("/insured/simulations/")
    page.get_by_role("link", name="Simuler ma retraite").click()
    page.fill("input[name='retirement_age']", "62")
    page.fill("input[name='lump_sum_percent']", "30")
    page.get_by_role("button", name="Calculer").click()
    chart = page.locator("svg.chart")
    chart.wait_for()
    assert chart.is_visible()
    assert page.locator("table.options tr.chosen th").first.inner_text().startswith("62")
    shot(page, "insured-retirement-1280")
    assert axe_violations(page) == []

    page.get_by_role("button", name="Enregistrer la simulation").click()
    page.wait_for_url("**/insured/simulations/*/")
    page.get_by_role("link", name="Faire une demande à partir de cette simulation").click()
    page.wait_for_url("**/insured/simulations/*/request/")
    assert page.get_by_text("Ce qui se passe ensuite").is_visible()
    shot(page, "insured-request-confirm-1280")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Envoyer la demande").click()
    page.wait_for_url("**/insured/requests/*/")
    case_number = page.locator(".lead").inner_text().split(":")[-1].strip()
    assert case_number.startswith("D-")
    assert page.get_by_text("Reçue").first.is_visible()
    shot(page, "insured-request-1280")
    assert axe_violations(page) == []

    admin = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="fr-CH",
                                 base_url=live_server.url).new_page()
    login(admin, support, PASSWORD)
    admin.goto("/admin/simulations/servicerequest/")
    assert admin.get_by_role("link", name=case_number).is_visible()
    admin.get_by_role("link", name=case_number).click()
    admin.wait_for_url("**/change/")
    admin.get_by_text("Favre Claire").first.wait_for()
    shot(admin, "insured-request-admin-1280")
    admin.context.close()


INSURED_PAGES = [
    "/insured/", "/insured/documents/", "/insured/simulations/",
    "/insured/simulations/buy-in/", "/insured/simulations/wef/",
    "/insured/simulations/retirement/", "/insured/requests/", "/insured/personal/",
    "/insured/personal/address/", "/insured/personal/civil-status/", "/insured/my-data/",
    "/insured/help/",
]


def _slug(path: str) -> str:
    return path.strip("/").replace("/", "-") or "root"


def test_every_insured_page_passes_axe_and_fits_a_phone(page, phone_page, journey_data, insured):
    from policies.services import change_request_submit
    from simulations.models import Simulation
    from simulations.services import retirement_simulate, service_request_from_simulation

    person = insured.insured_person
    result = retirement_simulate(person=person, certificate=journey_data, retirement_age=63,
                                 lump_sum_share=__import__("decimal").Decimal("0.25"))
    simulation = Simulation.objects.create(person=person, kind="retirement",
                                           inputs={"retirement_age": 63}, result=result)
    service_request = service_request_from_simulation(simulation=simulation)
    change = change_request_submit(person=person, kind="address", data={"city": "Sion"},
                                   effective_date=__import__("datetime").date.today())
    pages = INSURED_PAGES + [f"/insured/simulations/{simulation.pk}/",
                             f"/insured/requests/{service_request.pk}/",
                             f"/insured/personal/changes/{change.pk}/"]
    login(page, insured, PASSWORD)
    page.wait_for_url("**/insured/")
    # The same TOTP cannot be used twice: the phone shares the desktop session instead.
    phone_page.context.add_cookies(page.context.cookies())
    problems = {}
    for path in pages:
        page.goto(path)
        violations = axe_violations(page)
        if violations:
            problems[path] = violations
        phone_page.goto(path)
        shot(phone_page, f"insured-{_slug(path)}-375")
        _no_sideways_scroll(phone_page, path)
    # Form errors shown too.
    page.goto("/insured/simulations/wef/")
    page.get_by_role("button", name="Calculer").click()
    page.locator(".error").first.wait_for()
    shot(page, "insured-wef-errors-1280")
    violations = axe_violations(page)
    if violations:
        problems["wef errors"] = violations
    assert problems == {}


def test_reauthentication_pages_and_pensioner_view(page, phone_page, pensioner):
    from datetime import date
    from decimal import Decimal

    from policies.models import Pension, PensionPayment

    pension = Pension.objects.create(person=pensioner.insured_person, kind="old_age",
                                     monthly_amount=Decimal("2150.40"), start_date=date(2020, 4, 1))
    for month in (1, 2, 3):
        PensionPayment.objects.create(pension=pension, date=date(2026, month, 25),
                                      amount=Decimal("2150.40"))
    login(page, pensioner, PASSWORD)
    page.wait_for_url("**/insured/")
    shot(page, "insured-pensioner-home-1280")
    assert axe_violations(page) == []
    page.goto("/insured/personal/bank-account/")
    # A login counts as a re-authentication for a few minutes; after that, the password again.
    if page.locator("input[name='password']").count():
        page.fill("input[name='password']", PASSWORD)
        page.get_by_role("button", name="Confirmer").click()
        page.wait_for_url("**/insured/personal/bank-account/")
    page.fill("input[name='iban']", "CH44 3199 9123 0008 8901 2")
    page.get_by_role("button", name="Envoyer la demande").click()
    assert page.get_by_text("QR-IBAN").first.is_visible()
    shot(page, "insured-bank-account-errors-1280")
    assert axe_violations(page) == []
    page.goto("/insured/ahv/")
    assert pensioner.insured_person.ahv_number in page.content()
    assert axe_violations(page) == []
    phone_page.context.add_cookies(page.context.cookies())
    phone_page.goto("/insured/")
    shot(phone_page, "insured-pensioner-home-375")
    _no_sideways_scroll(phone_page, "pensioner home")
