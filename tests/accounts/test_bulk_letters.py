"""Bulk registration letters: a ready-made selection, a Celery job with progress, ONE PDF with one
letter per person, downloaded once by its creator or a supervisor, no duplicate live codes on a
re-run, clear messages for an empty or too large selection."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from accounts import bulk_letters as bulk
from accounts import registration as reg
from accounts.duties import ACCOUNT_MANAGER
from accounts.models import AdminAudit, BulkLetterJob, RegistrationCode, hash_code
from tests import factories as f
from tests.conftest import duty_member, login_verified
from tests.pdf_text import pdf_pages_text

pytestmark = pytest.mark.django_db

JOBS = "/admin/accounts/bulkletterjob/"
NEW = f"{JOBS}new/"
CODE_RE = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}")


@pytest.fixture
def pensioners(db):
    """Three pensioners without an account (in postcode order: 1003, 1700, 8001), one who has
    an account, one without a street, and an active member."""
    persons = [
        f.InsuredPersonFactory(status="pensioner", first_name=name, street="Rue 1",
                               postcode=postcode, city=city, language=language)
        for name, postcode, city, language in [("Zoé", "8001", "Zürich", "de"),
                                                ("Anna", "1003", "Lausanne", "fr"),
                                                ("Bruno", "1700", "Fribourg", "fr")]
    ]
    registered = f.InsuredPersonFactory(status="pensioner", street="Rue 2", postcode="1000",
                                        city="Lausanne")
    f.UserFactory(email="registered@example.ch", insured_person=registered)
    f.InsuredPersonFactory(status="pensioner", street="", postcode="1000", city="Lausanne")
    f.InsuredPersonFactory(status="active", street="Rue 3", postcode="1000", city="Lausanne")
    return persons


def _start(client, capture, **data):
    form = {"selection": "pensioners", "days": "90", "confirm": "1", **data}
    with capture(execute=True):
        return client.post(NEW, form)


def _download(client, job) -> bytes:
    response = client.post(f"{JOBS}{job.pk}/download/")
    assert response["Content-Type"] == "application/pdf", response.content[:500]
    return response.content


def test_the_preview_says_what_the_selection_holds_before_anything_is_issued(
        as_user, account_manager, pensioners):
    reg.insured_code_issue(person=pensioners[0], created_by=None)
    response = as_user(account_manager).post(NEW, {"selection": "pensioners", "days": "90",
                                                   "preview": "1"})
    page = response.content.decode()
    assert "3 lettres seront préparées." in page
    assert "1 personne a déjà un code valable : il sera révoqué." in page
    assert "1 personne a déjà un compte (pas de lettre)." in page
    assert "1 personne sans adresse postale complète (pas de lettre)." in page
    assert 'name="confirm"' in page
    assert not BulkLetterJob.objects.exists()
    assert RegistrationCode.objects.count() == 1


def test_a_job_makes_one_pdf_with_one_letter_per_person_and_only_hashes_stay(
        as_user, account_manager, pensioners, django_capture_on_commit_callbacks):
    client = as_user(account_manager)
    response = _start(client, django_capture_on_commit_callbacks)
    job = BulkLetterJob.objects.get()
    assert response["Location"] == f"{JOBS}{job.pk}/progress/"
    assert (job.status, job.total, job.done, job.issued) == ("done", 3, 3, 3)
    row = AdminAudit.objects.get(name="bulk_letters")
    assert row.actor == account_manager and row.detail["persons"] == 3

    progress = client.get(f"{JOBS}{job.pk}/progress/").content.decode()
    assert "3 / 3" in progress and "Télécharger le PDF" in progress
    assert 'http-equiv="refresh"' not in progress

    pages = pdf_pages_text(_download(client, job))
    assert len(pages) == 3
    assert ["Anna" in pages[0], "Bruno" in pages[1], "Zoé" in pages[2]] == [True] * 3
    assert "Geben Sie Ihre vollständige AHV-Nummer" in pages[2]  # Zoé reads German
    plains = [CODE_RE.search(page).group(0) for page in pages]
    codes = RegistrationCode.objects.filter(bulk_job=job)
    assert sorted(c.code_hash for c in codes) == sorted(hash_code(p) for p in plains)
    assert AdminAudit.objects.filter(action="download", name="bulk_letters_download",
                                     actor=account_manager).exists()

    # The file went with the download: a second one gets a message, not the codes.
    job.refresh_from_db()
    assert job.file_name == "" and job.downloaded_by == account_manager
    again = client.post(f"{JOBS}{job.pk}/download/", follow=True)
    assert again["Content-Type"].startswith("text/html")
    assert "pas (ou plus) disponible" in again.content.decode()
    assert list(Path(bulk.storage().path("bulk-letters")).glob("*")) == []


def test_a_rerun_replaces_the_codes_and_never_leaves_two_live_ones(
        as_user, account_manager, pensioners, django_capture_on_commit_callbacks):
    client = as_user(account_manager)
    _start(client, django_capture_on_commit_callbacks)
    _start(client, django_capture_on_commit_callbacks)
    first, second = BulkLetterJob.objects.order_by("pk")
    assert second.replaced == 3
    for person in pensioners:
        live = RegistrationCode.objects.filter(insured_person=person, revoked_at__isnull=True)
        assert list(live.values_list("bulk_job", flat=True)) == [second.pk]
    assert not RegistrationCode.objects.filter(bulk_job=first, revoked_at__isnull=True).exists()


def test_a_job_still_running_shows_its_progress_and_reloads_itself(as_user, account_manager,
                                                                  pensioners):
    job = BulkLetterJob.objects.create(created_by=account_manager, selection="pensioners",
                                       person_ids=[p.pk for p in pensioners], total=3, done=1,
                                       status="running")
    page = as_user(account_manager).get(f"{JOBS}{job.pk}/progress/").content.decode()
    assert '<meta http-equiv="refresh" content="3">' in page
    assert "1 / 3" in page and "Télécharger le PDF" not in page
    response = as_user(account_manager).post(f"{JOBS}{job.pk}/download/", follow=True)
    assert "pas (ou plus) disponible" in response.content.decode()


def test_only_the_creator_or_a_supervisor_fetches_the_pdf(
        as_user, account_manager, supervisor, agent, pensioners,
        django_capture_on_commit_callbacks):
    _start(as_user(account_manager), django_capture_on_commit_callbacks)
    job = BulkLetterJob.objects.get()
    colleague = duty_member("manager2@example.ch", ACCOUNT_MANAGER)
    for other in (colleague, agent):
        client = login_verified(Client(), other)
        for url in (f"{JOBS}{job.pk}/progress/", f"{JOBS}{job.pk}/download/"):
            assert client.post(url).status_code == 403, (other, url)
            assert AdminAudit.objects.filter(action="refused", actor=other, path=url).exists()
    job.refresh_from_db()
    assert job.file_name  # still there
    pages = pdf_pages_text(_download(login_verified(Client(), supervisor), job))
    assert len(pages) == 3


def test_an_agent_cannot_start_a_job(as_user, agent, pensioners):
    client = as_user(agent)
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, {"selection": "pensioners", "days": "90",
                             "confirm": "1"}).status_code == 403
    assert not BulkLetterJob.objects.exists() and not RegistrationCode.objects.exists()
    assert AdminAudit.objects.filter(action="refused", actor=agent, path=NEW).count() == 2
    assert "Lettres en série" not in client.get("/admin/accounts/registrationcode/").content.decode()


def test_an_employer_selection_takes_its_staff_without_an_account(
        as_user, supervisor, employer, django_capture_on_commit_callbacks):
    contract = f.ContractFactory(employer=employer)
    staff = [f.InsuredPersonFactory(contract=contract, street="Rue 1", postcode="1000",
                                    city="Lausanne") for _ in range(2)]
    f.InsuredPersonFactory(street="Rue 1", postcode="1000", city="Lausanne")  # elsewhere
    client = as_user(supervisor)
    assert "Choisissez l&#x27;employeur." in client.post(
        NEW, {"selection": "employer", "days": "90", "preview": "1"}).content.decode()
    _start(client, django_capture_on_commit_callbacks, selection="employer",
           employer=str(employer.pk))
    job = BulkLetterJob.objects.get()
    assert job.employer == employer and job.issued == 2
    assert set(RegistrationCode.objects.values_list("insured_person", flat=True)) == {
        p.pk for p in staff}


def test_a_pasted_ahv_list_reports_what_it_could_not_match(
        as_user, account_manager, pensioners, django_capture_on_commit_callbacks):
    anna = pensioners[1]
    unknown = f.next_ahv()
    text = f"{anna.ahv_number}\n{anna.ahv_number.replace('.', '')}\nnot-a-number\n{unknown}"
    page = as_user(account_manager).post(NEW, {"selection": "ahv_list", "ahv_list": text,
                                               "days": "90", "preview": "1"}).content.decode()
    assert "1 lettre sera préparée." in page
    assert "not-a-number" in page and unknown in page


def test_bad_selections_give_messages_and_start_nothing(as_user, account_manager, monkeypatch,
                                                        pensioners,
                                                        django_capture_on_commit_callbacks):
    client = as_user(account_manager)
    # Nobody to write to.
    empty = f.EmployerFactory()
    page = _start(client, django_capture_on_commit_callbacks, selection="employer",
                  employer=str(empty.pk)).content.decode()
    assert "Personne à qui écrire dans cette sélection" in page
    # 10,000 persons pasted.
    numbers = "\n".join(f.next_ahv() for _ in range(10_000))
    page = _start(client, django_capture_on_commit_callbacks, selection="ahv_list",
                  ahv_list=numbers).content.decode()
    assert "La liste compte 10&#x27;000 numéros ; un lot est limité à 5&#x27;000 lettres." in page
    # A ready-made selection past the limit.
    monkeypatch.setattr(bulk, "MAX_LETTERS", 2)
    page = _start(client, django_capture_on_commit_callbacks).content.decode()
    assert "un lot est limité à 2 lettres" in page
    # No selection, a validity out of range, an unknown employer.
    for data in ({"selection": ""}, {"days": "9999"}, {"selection": "employer",
                                                       "employer": "999999"}):
        assert _start(client, django_capture_on_commit_callbacks, **data).status_code == 200
    assert not BulkLetterJob.objects.exists() and not RegistrationCode.objects.exists()


def test_a_person_registered_meanwhile_gets_no_letter(account_manager, pensioners):
    selection = bulk.selection_build(kind="pensioners")
    f.UserFactory(email="anna@example.ch", insured_person=pensioners[1])
    job = bulk.job_create(created_by=account_manager, kind="pensioners", selection=selection)
    assert bulk.job_run(job_id=job.pk) == "done"
    assert bulk.job_run(job_id=job.pk) == "skipped"  # a second delivery of the task
    job.refresh_from_db()
    assert (job.issued, job.skipped) == (2, 1)
    assert not RegistrationCode.objects.filter(insured_person=pensioners[1]).exists()


def test_a_failing_job_revokes_the_codes_it_issued(account_manager, pensioners, monkeypatch):
    job = bulk.job_create(created_by=account_manager, kind="pensioners",
                          selection=bulk.selection_build(kind="pensioners"))
    monkeypatch.setattr(bulk, "CHUNK", 1)
    calls = []

    def broken(issued):
        calls.append(issued)
        if len(calls) == 2:
            raise RuntimeError("printer on fire")
        from accounts.letters import insured_letter

        return insured_letter(issued)

    monkeypatch.setattr(bulk, "insured_letter", broken)
    assert bulk.job_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == "failed" and job.file_name == ""
    assert RegistrationCode.objects.filter(bulk_job=job).exists()
    assert not RegistrationCode.objects.filter(bulk_job=job, revoked_at__isnull=True).exists()


def test_housekeeping_deletes_a_pdf_nobody_fetched_and_revokes_its_codes(account_manager,
                                                                        pensioners):
    job = bulk.job_create(created_by=account_manager, kind="pensioners",
                          selection=bulk.selection_build(kind="pensioners"))
    bulk.job_run(job_id=job.pk)
    job.refresh_from_db()
    path = bulk.storage().path(job.file_name)
    assert bulk.housekeeping()["bulk_letter_files_deleted"] == 0
    result = bulk.housekeeping(timezone.now() + timedelta(days=8))
    assert result["bulk_letter_files_deleted"] == 1 and result["bulk_letter_codes_revoked"] == 3
    job.refresh_from_db()
    assert job.file_name == "" and job.file_deleted_at is not None
    assert not Path(path).exists()
    assert not RegistrationCode.objects.filter(revoked_at__isnull=True).exists()


def test_the_daily_housekeeping_runs_it(db):
    from policies.tasks import housekeeping

    assert housekeeping()["bulk_letter_files_deleted"] == 0
