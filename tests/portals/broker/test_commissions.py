"""Commission statements in the portal: the broker's own (the agency admin: every broker's),
lines with basis, rate and amount, negative cancellations and clawbacks, total = sum of the
lines, CSV, XLSX and PDF."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from policies.models import Premium
from policies.services import commission_statements_compute
from tests.pdf_text import pdf_pages_text
from tests.portals.broker.conftest import policy_under

pytestmark = pytest.mark.django_db


@pytest.fixture
def quarter(agency, broker, colleague_broker, commission_rule):
    """Q1 2026: a renewal premium, a first-year one, a cancellation and a clawback for the
    broker; one premium for the colleague."""
    old = policy_under(agency, broker, number="P-810040", first_name="Olga", last_name="Ancienne",
                       start=date(2020, 1, 1))
    Premium.objects.create(policy=old, due_date=date(2026, 1, 1), amount=Decimal("400.00"),
                           paid_date=date(2026, 1, 4), status="paid")  # 400 x 2 % = 8.00
    Premium.objects.create(policy=old, due_date=date(2025, 12, 1), amount=Decimal("400.00"),
                           paid_date=date(2025, 12, 2), cancelled_date=date(2026, 2, 1),
                           status="cancelled")  # -400 x 2 % = -8.00
    new = policy_under(agency, broker, number="P-810041", first_name="Noé", last_name="Nouveau",
                       start=date(2025, 10, 1))
    Premium.objects.create(policy=new, due_date=date(2026, 1, 1), amount=Decimal("300.00"),
                           paid_date=date(2026, 1, 3), status="paid")  # 300 x 5 % = 15.00
    gone = policy_under(agency, broker, number="P-810042", first_name="Gil", last_name="Parti",
                        start=date(2025, 11, 1), status="surrendered",
                        terminated_on=date(2026, 3, 10))
    Premium.objects.create(policy=gone, due_date=date(2025, 11, 1), amount=Decimal("500.00"),
                           paid_date=date(2025, 11, 2), status="paid")  # clawback -25.00
    neighbour = policy_under(agency, colleague_broker, number="P-810043", first_name="Vic",
                             last_name="Voisin", start=date(2020, 1, 1))
    Premium.objects.create(policy=neighbour, due_date=date(2026, 1, 1), amount=Decimal("100.00"),
                           paid_date=date(2026, 1, 2), status="paid")
    statements = commission_statements_compute(agency=agency, period_kind="quarter",
                                               day=date(2026, 1, 1))
    return next(s for s in statements if s.broker_id == broker.pk)


def test_the_statement_shows_each_line_and_a_total_equal_to_their_sum(as_user, broker, quarter):
    response = as_user(broker).get(reverse("broker:commission-statement", args=[quarter.pk]))
    lines = [(r.object.policy.number, r.object.kind, r.object.amount)
             for r in response.context["listing"]["rows"]]
    assert lines == [
        ("P-810040", "renewal", Decimal("8.00")),
        ("P-810040", "cancellation", Decimal("-8.00")),
        ("P-810041", "first_year", Decimal("15.00")),
        ("P-810042", "clawback", Decimal("-25.00")),
    ]
    assert quarter.total == sum(amount for *_, amount in lines) == Decimal("-10.00")
    page = response.content.decode()
    assert "Décompte du 01.01.2026 au 31.03.2026" in page
    assert "Reprise de commission" in page and "Annulation de prime" in page
    assert "-25.00" in page and "5.00 %" in page and "CHF -10.00" in page
    assert "P-810043" not in page


def test_the_list_shows_the_brokers_statements_only(as_user, broker, quarter):
    response = as_user(broker).get(reverse("broker:commissions"))
    assert [r.object for r in response.context["listing"]["rows"]] == [quarter]


def test_the_agency_admin_sees_every_brokers_statement_with_their_name(as_user, agency_admin,
                                                                       quarter):
    response = as_user(agency_admin).get(reverse("broker:commissions"))
    assert len(response.context["listing"]["rows"]) == 2
    page = response.content.decode()
    assert "Courtier" in page and "Carla Collègue" in page


def test_csv_and_xlsx_hold_the_lines_with_negative_amounts(as_user, broker, quarter):
    client = as_user(broker)
    url = reverse("broker:commission-statement", args=[quarter.pk])
    csv = b"".join(client.get(url, {"export": "csv"}).streaming_content).decode("utf-8-sig")
    rows = [line.split(";") for line in csv.strip().splitlines()]
    assert rows[0] == ["Police", "Client", "Type", "Base (CHF)", "Taux", "Montant (CHF)"]
    assert ["P-810042", "Parti Gil", "Reprise de commission", "-500.00", "5.00 %", "-25.00"] in rows
    xlsx = client.get(url, {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    amounts = [row[5] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sum(Decimal(str(a)) for a in amounts) == quarter.total


def test_the_pdf_has_the_lines_and_the_total(as_user, broker, quarter):
    response = as_user(broker).get(reverse("broker:commission-statement-pdf", args=[quarter.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(pdf_pages_text(response.content))
    assert "P-810041" in text and "-25.00" in text and "-10.00" in text


def test_the_dashboard_names_the_last_statement(as_user, broker, quarter):
    page = as_user(broker).get(reverse("broker:home")).content.decode()
    assert "Dernier décompte : du 01.01.2026 au 31.03.2026" in page


@pytest.mark.parametrize("params", [{"sort": "x"}, {"export": "pdf"}, {"page": "-1"},
                                    {"period": "decade"}])
def test_bad_input_never_a_500(as_user, broker, quarter, params):
    client = as_user(broker)
    assert client.get(reverse("broker:commissions"), params).status_code == 200
    url = reverse("broker:commission-statement", args=[quarter.pk])
    assert client.get(url, params).status_code == 200


def test_a_statement_id_that_is_not_the_brokers_is_a_404(as_user, colleague_broker, quarter):
    client = as_user(colleague_broker)
    assert client.get(reverse("broker:commission-statement",
                              args=[quarter.pk])).status_code == 404
    assert client.get(reverse("broker:commission-statement-pdf",
                              args=[quarter.pk])).status_code == 404


def test_statement_fixture_of_the_matrix_is_the_brokers(broker, statement):
    assert statement.broker_id == broker.pk
    assert statement.period_end >= timezone.localdate() - timedelta(days=90)
