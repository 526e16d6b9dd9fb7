"""A real Celery worker makes a bulk letter job started in the admin: progress on the job row,
one PDF in the private files, fetched once through the admin.

Runs when CELERY_WORKER_TESTS=1 with DATABASE_URL on PostgreSQL and REDIS_URL set (.ci/run)."""

from __future__ import annotations

import os
import re
import time

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import BulkLetterJob, RegistrationCode, hash_code
from tests import factories as f
from tests.conftest import duty_member, login_verified
from tests.pdf_text import pdf_pages_text

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        os.environ.get("CELERY_WORKER_TESTS") != "1" or not settings.REDIS_URL
        or not settings.IS_POSTGRES,
        reason="needs CELERY_WORKER_TESTS=1, PostgreSQL and Redis (see .ci/run)",
    ),
]

JOBS = "/admin/accounts/bulkletterjob/"


def test_a_real_worker_makes_the_pdf_of_a_bulk_job(worker):
    from accounts.duties import ACCOUNT_MANAGER

    f.TermsFactory(version=1)
    manager = duty_member("manager@example.ch", ACCOUNT_MANAGER)
    persons = [f.InsuredPersonFactory(status="pensioner", street="Rue 1", postcode=str(1000 + i),
                                      city="Lausanne") for i in range(150)]
    client = login_verified(Client(), manager)
    response = client.post(f"{JOBS}new/", {"selection": "pensioners", "days": "90",
                                           "confirm": "1"})
    job = BulkLetterJob.objects.get()
    assert response["Location"] == f"{JOBS}{job.pk}/progress/"

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if not job.in_progress:
            break
        time.sleep(0.2)
    assert job.status == "done", worker.read_text()
    assert (job.total, job.done, job.issued) == (150, 150, 150)
    page = client.get(f"{JOBS}{job.pk}/progress/").content.decode()
    assert "150 / 150" in page

    pdf = client.post(f"{JOBS}{job.pk}/download/").content
    pages = pdf_pages_text(pdf)
    assert len(pages) == len(persons)
    plains = {re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", p).group(0) for p in pages}
    assert {c.code_hash for c in RegistrationCode.objects.all()} == {hash_code(p)
                                                                     for p in plains}
