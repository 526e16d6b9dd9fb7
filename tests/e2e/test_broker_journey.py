"""Broker portal in Chromium: login -> inquiry tile -> policy number -> values tab with the chart
-> valuation PDF -> payments -> commission statement as CSV; axe-core on every page, and every
page at phone width without sideways scrolling."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import axe_violations, login, shot
from tests.portals.broker.conftest import (  # noqa: F401 - fixtures of the broker portal
    agency,
    agency_admin,
    commission_rule,
    document,
    ended_broker,
    former_agency,
    policy,
    statement,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _no_sideways_scroll(page, name):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"{name} scrolls sideways at 375 px ({width} px)"


@pytest.mark.usefixtures("policy", "document", "statement")
def test_login_tile_values_chart_pdf_payments_commissions_csv(page, broker):
    login(page, broker, PASSWORD)
    page.wait_for_url("**/broker/")
    assert page.get_by_role("heading", level=1).inner_text() == "Courtage Test Sàrl"
    shot(page, "broker-home-1280")
    assert axe_violations(page) == []

    page.fill("#tile_number", "p 810 001")
    page.get_by_role("button", name="Renseignement sur les valeurs").click()
    page.wait_for_url("**/broker/policies/P-810001/values/")
    chart = page.locator("svg.chart")
    chart.wait_for()
    assert chart.is_visible()
    assert "CHF 12'780.25" in page.locator(".stat-number").inner_text()
    shot(page, "broker-values-1280")
    assert axe_violations(page) == []

    with page.expect_download() as download:
        page.get_by_role("link", name="Attestation de valeur (PDF)").click()
    assert download.value.suggested_filename == "valeur-de-rachat-P-810001.pdf"
    with open(download.value.path(), "rb") as handle:
        assert handle.read(4) == b"%PDF"

    page.get_by_role("link", name="Détails du contrat").click()
    page.wait_for_url("**/broker/policies/P-810001/")
    assert page.get_by_text("Marc Vermeil").is_visible()
    shot(page, "broker-details-1280")
    assert axe_violations(page) == []

    page.get_by_role("navigation", name="Portail partenaires").get_by_role(
        "link", name="Paiements").click()
    page.wait_for_url("**/broker/payments/")
    assert page.locator("table.list-table").get_by_text("2e rappel").is_visible()
    shot(page, "broker-payments-1280")
    assert axe_violations(page) == []

    page.get_by_role("navigation", name="Portail partenaires").get_by_role(
        "link", name="Commissions").click()
    page.wait_for_url("**/broker/commissions/")
    assert axe_violations(page) == []
    page.locator("table.list-table tbody a").first.click()
    page.wait_for_url("**/broker/commissions/*/")
    shot(page, "broker-commission-1280")
    assert axe_violations(page) == []
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    assert download.value.suggested_filename.endswith(".csv")
    with open(download.value.path(), encoding="utf-8-sig") as handle:
        text = handle.read()
    assert text.startswith("Police;Client;Type;Base (CHF);Taux;Montant (CHF)")
    assert "P-810001" in text


@pytest.mark.usefixtures("policy")
def test_a_wrong_number_on_the_tile_gets_a_clear_message(page, broker):
    login(page, broker, PASSWORD)
    page.wait_for_url("**/broker/")
    page.fill("#tile_number", "hello")
    page.get_by_role("button", name="Renseignement sur les valeurs").click()
    page.wait_for_url("**/broker/inquiry/**")
    assert page.get_by_text("Ce n'est pas un numéro de police").is_visible()
    shot(page, "broker-inquiry-error-1280")
    assert axe_violations(page) == []
    page.fill("#id_number", "P-899999")
    page.get_by_role("button", name="Renseignement sur les valeurs").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Police introuvable"
    shot(page, "broker-not-found-1280")
    assert axe_violations(page) == []


BROKER_PAGES = ["/broker/", "/broker/portfolio/", "/broker/inquiry/", "/broker/payments/",
                "/broker/documents/", "/broker/commissions/", "/broker/account/", "/broker/help/",
                "/broker/policies/P-810001/", "/broker/policies/P-810001/values/",
                "/broker/policies/P-899999/"]


def _slug(path: str) -> str:
    return path.strip("/").replace("/", "-") or "root"


@pytest.mark.parametrize("persona", ["broker", "agency_admin"])
@pytest.mark.usefixtures("document")
def test_every_broker_page_passes_axe_and_fits_a_phone(request, page, phone_page, persona):
    user = request.getfixturevalue(persona)
    holder_id = request.getfixturevalue("policy").holder_id
    statement_id = request.getfixturevalue("statement").pk
    pages = BROKER_PAGES + [f"/broker/clients/{holder_id}/",
                            f"/broker/commissions/{statement_id}/"]
    login(page, user, PASSWORD)
    page.wait_for_url("**/broker/")
    phone_page.context.add_cookies(page.context.cookies())
    problems = {}
    for path in pages:
        page.goto(path)
        violations = axe_violations(page)
        if violations:
            problems[path] = violations
        phone_page.goto(path)
        shot(phone_page, f"{persona}-{_slug(path)}-375")
        _no_sideways_scroll(phone_page, path)
    page.goto("/broker/portfolio/")
    shot(page, f"{persona}-portfolio-1280")
    assert problems == {}
