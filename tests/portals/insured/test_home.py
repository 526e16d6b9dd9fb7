"""Dashboard: personal data, certificate figures, documents and requests; pensioner view."""

from __future__ import annotations

import pytest
from django.urls import reverse

from simulations.services import service_request_from_simulation
from tests.portals.insured.conftest import make_document, save_simulation

pytestmark = pytest.mark.django_db


def test_it_shows_masked_ahv_certificate_figures_and_counts(as_user, insured, insured_person,
                                                           certificate_document, change_request):
    body = as_user(insured).get(reverse("insured:home")).content.decode()
    assert insured_person.ahv_masked in body
    assert insured_person.ahv_number not in body
    assert "187&#x27;650.35" in body or "187'650.35" in body  # savings capital
    assert "34&#x27;836.40" in body or "34'836.40" in body  # projected pension at 65
    assert "96&#x27;420.10" in body or "96'420.10" in body  # max buy-in
    assert "1 nouveau document" in body
    assert "1 demande en cours" in body


def test_the_full_ahv_number_needs_a_fresh_password(as_user, insured, insured_person):
    client = as_user(insured)
    response = client.get(reverse("insured:ahv-reveal"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("reauth"))
    from tests.portals.insured.conftest import reauthenticate

    reauthenticate(client)
    page = client.get(reverse("insured:ahv-reveal"))
    assert insured_person.ahv_number in page.content.decode()


def test_pensioner_sees_pensions_next_payment_and_history(as_user, pensioner, pension):
    person = pensioner.insured_person
    statement = make_document(person, category="pension_statement", year=2026,
                              title="Attestation de rente 2026")
    body = as_user(pensioner).get(reverse("insured:home")).content.decode()
    assert "Rente de vieillesse" in body
    assert "2&#x27;150.40" in body or "2'150.40" in body
    assert "25.03.2026" in body
    assert "Prochain versement" in body
    assert reverse("insured:document-download", args=[statement.pk]) in body
    assert "Rachat possible" not in body


def _query_count(django_assert_max_num_queries, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from policies.dashboard_cache import dashboard_touch

    # Measure the page as built from the database, not as served from the dashboard cache.
    dashboard_touch(client.session_person_id)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("insured:home")).status_code == 200
    return len(ctx.captured_queries)


def test_dashboard_queries_do_not_grow_with_documents_and_requests(
        as_user, insured, insured_person, django_assert_max_num_queries):
    client = as_user(insured)
    client.session_person_id = insured_person.pk
    make_document(insured_person)
    service_request_from_simulation(simulation=save_simulation(insured_person), user=insured)
    client.get(reverse("insured:home"))  # session write of last_seen
    one = _query_count(django_assert_max_num_queries, client)
    for i in range(20):
        make_document(insured_person, title=f"Courrier {i}", category="letter")
        service_request_from_simulation(simulation=save_simulation(insured_person), user=insured)
    twenty = _query_count(django_assert_max_num_queries, client)
    assert twenty == one
    with django_assert_max_num_queries(16):
        client.get(reverse("insured:home"))


def test_pensioner_dashboard_queries_do_not_grow_with_payments(as_user, pensioner, pension):
    from datetime import date

    from policies.models import PensionPayment

    client = as_user(pensioner)
    client.get(reverse("insured:home"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from policies.dashboard_cache import dashboard_touch

    dashboard_touch(pension.person_id)
    with CaptureQueriesContext(connection) as before:
        client.get(reverse("insured:home"))
    for month in range(4, 13):
        PensionPayment.objects.create(pension=pension, date=date(2025, month, 25),
                                      amount=pension.monthly_amount)
    with CaptureQueriesContext(connection) as after:
        client.get(reverse("insured:home"))
    assert len(after.captured_queries) == len(before.captured_queries)


def _unread(client) -> int:
    import re

    body = client.get(reverse("insured:home")).content.decode()
    return int(re.search(r"(\d+) nouveaux? documents?", body).group(1))


def test_a_warm_dashboard_reads_no_pension_data_and_still_shows_changes_at_once(
        as_user, insured, insured_person):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user(insured)
    before = _unread(client)
    with CaptureQueriesContext(connection) as warm:
        assert _unread(client) == before
    sql = " ".join(q["sql"] for q in warm.captured_queries)
    assert "policies_certificate" not in sql and "policies_document" not in sql
    document = make_document(insured_person, file_bytes=b"%PDF-1.4 lettre")  # version moves
    assert _unread(client) == before + 1
    client.get(reverse("insured:document-download", args=[document.pk]))  # marks it read
    assert _unread(client) == before


def test_the_cached_dashboard_follows_the_language(as_user, insured):
    client = as_user(insured)
    assert "Bonjour" in client.get(reverse("insured:home")).content.decode()
    client.post("/i18n/setlang/", {"language": "de", "next": "/insured/"})
    body = client.get(reverse("insured:home")).content.decode()
    assert "Bonjour" not in body


def test_a_certificate_moved_to_someone_else_leaves_the_first_dashboard(
        as_user, insured, insured_person, other_insured):
    client = as_user(insured)
    assert "187&#x27;650.35" in client.get(reverse("insured:home")).content.decode()
    certificate = insured_person.certificates.get()
    certificate.person = other_insured.insured_person
    certificate.year = 2025
    certificate.save()
    assert "187&#x27;650.35" not in client.get(reverse("insured:home")).content.decode()


def test_a_renamed_employer_shows_on_the_next_dashboard(as_user, insured, employer):
    client = as_user(insured)
    client.get(reverse("insured:home"))
    employer.name = "Boulangerie Renommée SA"
    employer.save()
    assert "Boulangerie Renommée SA" in client.get(reverse("insured:home")).content.decode()


def test_the_dashboard_the_session_remembers_is_used_only_for_its_own_person(
        as_user, insured, insured_person, other_insured):
    """The session remembers whose dashboard it showed, so the next visit reads it with the
    gate's cache round trip; a remembered person who is not the membership's own (a changed
    membership, or a forged value) is never shown."""
    from portals.insured.views import HomeView

    other_person = other_insured.insured_person
    as_user(other_insured).get(reverse("insured:home"))  # Otto's dashboard is in the cache
    client = as_user(insured)
    assert insured_person.last_name in client.get(reverse("insured:home")).content.decode()
    session = client.session
    session[HomeView.PERSON_HINT] = other_person.pk
    session.save()
    body = client.get(reverse("insured:home")).content.decode()
    assert insured_person.last_name in body
    assert other_person.last_name not in body and other_person.ahv_masked not in body
    assert client.session[HomeView.PERSON_HINT] == insured_person.pk
