"""A PostgreSQL connection lost in the middle of a request: the person sees a styled 503 page
in their language ("try again in a minute", Retry-After), nothing half-written stays behind,
and the next request works without restarting anything.

The request is an employer confirming a checked file: N mutations and their events written in
one transaction. In-process (every run): an OperationalError injected at the cursor when the
events are inserted, after the mutations were. On the real stack: gunicorn's request is held
inside that same INSERT (a trigger waits on a lock the test holds), and the test kills its
backend with pg_terminate_backend from another connection.
"""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connection
from django.test import Client

from policies.models import Mutation, MutationBatch
from tests.conftest import login_verified
from tests.faults.conftest import Browser, ready_batch
from tests.stack import needs_stack, wait_until

TITLE = {"fr": "Service momentanément indisponible",
         "de": "Dienst vorübergehend nicht verfügbar"}
NOT_SAVED = "Ce que vous venez d'envoyer n'a pas été enregistré."


def _lost_at_events(execute, sql, params, many, context):
    if sql.startswith('INSERT INTO "policies_mutationevent"'):
        raise OperationalError("server closed the connection unexpectedly")
    return execute(sql, params, many, context)


def test_a_lost_connection_mid_request_gives_a_styled_503_and_writes_nothing(
        hr_admin, employer, settings):
    settings.DEBUG = False  # the error pages production shows
    batch = ready_batch(employer, hr_admin, 3)
    client = login_verified(Client(raise_request_exception=False), hr_admin)
    assert client.get(f"/employer/uploads/{batch.pk}/").status_code == 200  # the preview
    confirm = f"/employer/uploads/{batch.pk}/confirm/"

    with connection.execute_wrapper(_lost_at_events):
        response = client.post(confirm)

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert TITLE["fr"] in page and NOT_SAVED in page
    assert "portal.css" in page and "Traceback" not in page
    assert not Mutation.objects.exists()  # the mutations inserted before the failure: gone
    batch.refresh_from_db()
    assert batch.status == "ready" and batch.case_number is None

    client.cookies["django_language"] = "de"
    with connection.execute_wrapper(_lost_at_events):
        german = client.post(confirm)
    assert german.status_code == 503
    assert TITLE["de"] in german.content.decode() and 'lang="de"' in german.content.decode()
    del client.cookies["django_language"]

    # The database answers again: the same click goes through, once.
    response = client.post(confirm)
    assert response.status_code == 302
    assert Mutation.objects.filter(batch=batch).count() == 3
    batch.refresh_from_db()
    assert batch.status == "confirmed"


def test_a_lost_connection_on_a_page_offers_to_retry(insured, settings, monkeypatch):
    from simulations import selectors

    settings.DEBUG = False

    def lost(*args, **kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(selectors, "insured_dashboard", lost)
    client = login_verified(Client(raise_request_exception=False), insured)
    response = client.get("/insured/")
    assert response.status_code == 503
    page = response.content.decode()
    assert TITLE["fr"] in page and 'href="/insured/"' in page and NOT_SAVED not in page


# --- the real stack -------------------------------------------------------------------------------

WAIT_LOCK = 4242


@pytest.fixture
def held_inside_the_insert(transactional_db):
    """Requests that insert mutation events wait inside the INSERT until the lock is released."""
    import psycopg

    with connection.cursor() as cursor:
        cursor.execute(f"""
            CREATE FUNCTION faults_hold() RETURNS trigger AS $$
            BEGIN PERFORM pg_advisory_xact_lock({WAIT_LOCK}); RETURN NULL; END $$
            LANGUAGE plpgsql;
            CREATE TRIGGER faults_hold BEFORE INSERT ON policies_mutationevent
            FOR EACH STATEMENT EXECUTE FUNCTION faults_hold();""")
    db = connection.settings_dict
    holder = psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432,
                             user=db["USER"], dbname=db["NAME"], autocommit=True)
    holder.execute("SELECT pg_advisory_lock(%s)", [WAIT_LOCK])
    try:
        yield holder
    finally:
        holder.close()
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS faults_hold ON policies_mutationevent; "
                           "DROP FUNCTION IF EXISTS faults_hold();")


def _waiting_backend(holder) -> int | None:
    row = holder.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO \"policies_mutationevent\"%%'"
    ).fetchone()
    return row[0] if row else None


@pytest.mark.usefixtures("transactional_db")
class TestOnTheRealStack:
    pytestmark = needs_stack

    def test_a_backend_killed_mid_request(self, hr_admin, employer, web_server,
                                          held_inside_the_insert):
        batch = ready_batch(employer, hr_admin, 3)
        web = web_server()
        browser = Browser(web)
        browser.login(hr_admin)
        detail = f"/employer/uploads/{batch.pk}/"
        assert browser.get(detail).status_code == 200

        answer = {}
        request = threading.Thread(target=lambda: answer.setdefault(
            "response", browser.post(f"{detail}confirm/", {})))
        request.start()
        pid = wait_until(lambda: _waiting_backend(held_inside_the_insert), 30)
        assert pid, "the request never reached the INSERT"
        # The mutations are written (not committed) and the events are being inserted: kill.
        held_inside_the_insert.execute("SELECT pg_terminate_backend(%s)", [pid])
        request.join(30)

        response = answer["response"]
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "30"
        assert TITLE["fr"] in response.text and NOT_SAVED in response.text
        assert not Mutation.objects.exists()
        assert MutationBatch.objects.get(pk=batch.pk).status == "ready"

        held_inside_the_insert.execute("SELECT pg_advisory_unlock(%s)", [WAIT_LOCK])
        # The same server process, a new connection: the page, then the confirmation, once.
        assert browser.get(detail).status_code == 200
        response = browser.post(f"{detail}confirm/", {})
        assert response.status_code == 302
        assert Mutation.objects.filter(batch=batch).count() == 3
        assert MutationBatch.objects.get(pk=batch.pk).status == "confirmed"
        assert "Booting worker" in web.text() and web.text().count("Booting worker") == 1
