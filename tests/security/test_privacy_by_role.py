"""Privacy by role: an employer (admin, clerk, third party) and a broker (the mandate holder and
the agency admin) never see a person's savings capital, buy-in potential, WEF amount, pensions,
IBAN, health (disability) data, private documents, simulations or own requests to the fund.

One insured person of the company, Sophie Sentinelle, carries distinct sentinel values in every
such field; she is also a client of the broker (a policy holder of the same name and birth date).
Each persona's portal is walked from its URLs in the resolver and by following every link of
every page (lists, details, exports, PDFs); every answer is read as text (HTML, CSV, the cells
of an XLSX workbook through openpyxl, the text of a PDF) and must hold no sentinel, in any
spelling: Swiss grouping (' and ’), other groupings, with or without decimals, monthly or
yearly."""

from __future__ import annotations

import html
import io
import re
from collections import Counter, deque
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from policies.models import Document, Mandate, Pension, PensionPayment
from policies.services import change_request_submit
from simulations.models import Simulation
from simulations.services import service_request_from_simulation
from tests import factories as f
from tests.pdf_text import pdf_pages_text
from tests.security.access_matrix import ALLOWED, AccessMatrix
from tests.security.test_access_matrix import client_for, quiet_refusals
from tests.security.world import build_world

pytestmark = pytest.mark.django_db

# Distinct figures that appear nowhere else (cents below .50: rounding keeps the francs).
CERTIFICATE = {
    "savings_capital": Decimal("917353.12"),
    "bvg_savings_capital": Decimal("826461.23"),
    "projected_capital_65": Decimal("735571.34"),
    "projected_pension_65": Decimal("646813.41"),  # yearly
    "disability_pension": Decimal("537917.42"),  # yearly, health related
    "spouse_pension": Decimal("428173.43"),
    "death_capital": Decimal("318927.14"),
    "max_buy_in": Decimal("297137.21"),
    "wef_available": Decimal("186247.32"),
    "insured_salary": Decimal("175357.31"),
}
YEARLY = ("projected_pension_65", "disability_pension", "spouse_pension")
DISABILITY_MONTHLY = Decimal("41732.29")  # a disability pension being paid
SIMULATION = {"capital_at_retirement": "612347.18", "annual_pension": "523461.27",
              "monthly_pension": "43621.36", "lump_sum": "183704.15"}
IBAN = "CH5004835012345678117"
NEW_IBAN = "CH2600762011623852999"  # asked for in a change request, not yet approved
HOLDER = "Sentinelle-Titulaire Quarz"
DOCUMENT_TITLE = "Attestation AI Sentinelle 5521"

SEPARATORS = ("", "'", "’", " ", "\u202f", "\xa0", ",", ".")


def money_forms(value: Decimal) -> set[str]:
    value = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    whole, cents = f"{value:.2f}".split(".")
    forms = set()
    for sep in SEPARATORS:
        grouped = f"{int(whole):,}".replace(",", sep)
        forms.add(grouped)  # without decimals
        forms.update({f"{grouped}.{cents}", f"{grouped},{cents}"})
    return forms


def iban_forms(value: str) -> set[str]:
    grouped = " ".join(value[i:i + 4] for i in range(0, len(value), 4))
    return {value, grouped, grouped.replace(" ", "\xa0"), value[-6:],
            f"{value[:4]} **** **** {value[-4:]}"}


def ahv_forms(value: str) -> set[str]:
    return {value, value.replace(".", ""), value.replace(".", " ")}


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def sentinel(world):
    """Sophie Sentinelle: staff of the company, a client of the broker, and every private
    figure set to a sentinel."""
    employer = world["employer"]
    person = f.InsuredPersonFactory(
        contract=world["contract"], first_name="Sophie", last_name="Sentinelle",
        birth_date=date(1970, 2, 3), personnel_number="P-99", iban=IBAN,
        bank_account_holder=HOLDER, bank_currency="CHF", annual_salary=Decimal("91000"))
    f.CertificateFactory(person=person, annual_salary=Decimal("91000"), **CERTIFICATE)
    pension = Pension.objects.create(person=person, kind="disability",
                                     monthly_amount=DISABILITY_MONTHLY,
                                     start_date=date(2024, 1, 1))
    PensionPayment.objects.create(pension=pension, date=date(2026, 1, 25),
                                  amount=DISABILITY_MONTHLY)
    simulation = Simulation.objects.create(
        person=person, kind="retirement", inputs={"retirement_age": 63},
        result={**SIMULATION, "retirement_age": 63, "retirement_year": 2033,
                "lump_sum_share": "0.3", "conversion_rate": "0.062",
                "bvg_minimum_applied": False, "series": {"capital": []}, "options": []})
    request = service_request_from_simulation(simulation=simulation)
    bank_change = change_request_submit(person=person, kind="bank_account",
                                        data={"iban": NEW_IBAN}, effective_date=date(2026, 7, 1))
    document = Document(category="other", title=DOCUMENT_TITLE, year=2026,
                        insured_person=person, published=True, published_at=timezone.now())
    document.file.save("ai.pdf", ContentFile(b"%PDF-1.4 attestation"), save=False)
    document.save()
    # The same human is a client of the broker (third pillar).
    holder = f.PolicyHolderFactory(first_name="Sophie", last_name="Sentinelle",
                                   birth_date=date(1970, 2, 3))
    policy = f.PolicyFactory(number="P-819999", holder=holder)
    Mandate.objects.create(agency=world["agency"], policy=policy, broker=world.user("broker"),
                           start_date=date(2020, 1, 1))
    forbidden: dict[str, set[str]] = {}
    for field, value in CERTIFICATE.items():
        forbidden[field] = money_forms(value)
        if field in YEARLY:  # the same pension shown per month
            forbidden[field] |= money_forms(value / 12)
    forbidden["disability pension paid"] = (money_forms(DISABILITY_MONTHLY)
                                            | money_forms(DISABILITY_MONTHLY * 12))
    for key, value in SIMULATION.items():
        forbidden[f"simulation {key}"] = money_forms(Decimal(value))
    forbidden["IBAN"] = iban_forms(IBAN)
    forbidden["IBAN asked for"] = iban_forms(NEW_IBAN)
    forbidden["account holder"] = {HOLDER}
    forbidden["private document"] = {DOCUMENT_TITLE}
    forbidden["own requests"] = {request.case_number, bank_change.case_number}
    return {"person": person, "employer": employer, "forbidden": forbidden}


def _links(page: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(r'href="([^"#]+)', page)]


def _text(response) -> tuple[str, str]:
    """(kind, text) of an answer: PDF text, XLSX cell values, or the decoded body."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    if "pdf" in kind:
        return "pdf", "\n".join(pdf_pages_text(content))
    if "spreadsheet" in kind:
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(content), read_only=True)
        cells = [str(cell) for sheet in workbook.worksheets
                 for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None]
        return "xlsx", "\n".join(cells)
    if "csv" in kind:
        return "csv", content.decode("utf-8-sig", "replace")
    return ("html" if "html" in kind else "other"), content.decode("utf-8", "replace")


def walk(client, starts: list[str], prefixes: tuple[str, ...], budget: int = 500):
    """Every page reachable from `starts` inside `prefixes` (GET only), with the export
    variants of each page: yields (url, kind, text)."""
    queue, seen, per_path = deque(starts), set(), Counter()
    while queue and len(seen) < budget:
        url = queue.popleft()
        path, _, query = url.partition("?")
        if url in seen or not path.startswith(prefixes) or "logout" in path:
            continue
        if query and "export=" not in query and per_path[path] >= 6:
            continue  # filters, sorts and pages of one list: a few are enough
        seen.add(url)
        per_path[path] += 1
        response = client.get(url)
        if response.status_code != 200:
            continue
        kind, text = _text(response)
        yield url, kind, text
        if kind == "html":
            queue.extend(_links(text))
            if not query:
                queue.extend([f"{path}?export=csv", f"{path}?export=xlsx"])


def _sweep(world, persona: str, portal: str, forbidden: dict[str, set[str]], must_reach: str):
    matrix = AccessMatrix(world)
    starts = [f"/{portal}/"]
    for entry in matrix.entries:
        if entry.key.startswith(f"{portal}:"):
            for target in matrix.targets(entry):
                if matrix.expect(persona, entry, target).outcome == ALLOWED:
                    starts.append(target.path)
    client = client_for(world, persona)
    kinds, leaks, reached = Counter(), [], False
    with quiet_refusals():
        for url, kind, text in walk(client, starts, (f"/{portal}/", "/profile/")):
            kinds[kind] += 1
            reached = reached or must_reach in text
            for field, forms in forbidden.items():
                shown = sorted(form for form in forms if form and form in text)
                if shown:
                    leaks.append(f"{persona} {url} ({kind}): {field} {shown}")
    return kinds, leaks, reached


@pytest.mark.parametrize("persona", ["hr_admin", "clerk", "third_party"])
def test_no_employer_page_export_or_pdf_shows_a_persons_private_figures(world, sentinel,
                                                                        persona):
    kinds, leaks, reached = _sweep(world, persona, "employer", sentinel["forbidden"],
                                   must_reach="Sentinelle")
    print(f"{persona}: {sum(kinds.values())} answers read {dict(kinds)}")  # noqa: T201
    assert reached, "the walk never reached the person's pages"
    assert kinds["html"] >= 20 and kinds["csv"] >= 2 and kinds["xlsx"] >= 2
    if persona != "third_party":
        assert kinds["pdf"] >= 1
    assert leaks == []


@pytest.mark.parametrize("persona", ["broker", "agency_admin"])
def test_no_broker_page_export_or_pdf_shows_a_persons_pension_data(world, sentinel, persona):
    forbidden = {**sentinel["forbidden"], "AHV number": ahv_forms(sentinel["person"].ahv_number),
                 "employer": {"Boulangerie Test SA"}}
    kinds, leaks, reached = _sweep(world, persona, "broker", forbidden, must_reach="Sentinelle")
    print(f"{persona}: {sum(kinds.values())} answers read {dict(kinds)}")  # noqa: T201
    assert reached, "the walk never reached the client's pages"
    assert kinds["html"] >= 15 and kinds["pdf"] >= 1
    assert leaks == []


def test_the_forms_of_a_sentinel_cover_the_swiss_spellings():
    forms = money_forms(Decimal("917353.12"))
    assert {"917'353.12", "917’353.12", "917353.12", "917 353,12", "917'353", "917353"} <= forms
