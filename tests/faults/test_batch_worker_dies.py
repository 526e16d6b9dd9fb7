"""A file of mutations whose check dies half-way: the employer keeps seeing "check under way",
the check is run again (periodic resume of stalled checks, or the broker's redelivery) and
finishes, and confirming the file, even twice, makes each mutation once.

In-process (every run): the database connection lost at row 250 of 600 (an OperationalError in
the eager task). On the real stack: a worker SIGKILLed at row 250, then another worker.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from policies import mutations
from policies.models import Mutation, MutationBatch
from policies.tasks import mutation_batches_resume
from tests.faults.conftest import entries_file, upload
from tests.stack import needs_stack, wait_until

ROWS, DIES_AT = 600, 250  # over 500 rows: checked by a Celery task


def _stall(batch: MutationBatch) -> None:
    """The check showed no progress for 4 minutes (the resume waits 3)."""
    MutationBatch.objects.filter(pk=batch.pk).update(
        progress_at=timezone.now() - timedelta(minutes=4))


def _assert_checking(client, batch: MutationBatch) -> None:
    page = client.get(f"/employer/uploads/{batch.pk}/").content.decode()
    assert "Vérification en cours" in page
    progress = client.get(f"/employer/uploads/{batch.pk}/progress/").json()
    assert progress["status"] == "validating" and progress["done"] < ROWS


def _assert_confirmed_once(client, batch: MutationBatch) -> None:
    page = client.get(f"/employer/uploads/{batch.pk}/").content.decode()
    assert f"Transmettre les {ROWS} lignes valables" in page
    confirm = f"/employer/uploads/{batch.pk}/confirm/"
    assert client.post(confirm).status_code == 302
    again = client.post(confirm, follow=True)
    assert "Ce fichier ne peut plus être transmis." in again.content.decode()
    assert Mutation.objects.filter(batch=batch).count() == ROWS
    assert Mutation.objects.count() == ROWS
    assert len(set(Mutation.objects.values_list("data__ahv", flat=True))) == ROWS


def test_a_check_cut_off_by_the_database_is_resumed_and_finishes(
        as_user, hr_admin, monkeypatch, django_capture_on_commit_callbacks):
    client = as_user(hr_admin)
    checked = {"rows": 0}
    really_check = mutations.MutationChecker.check

    def lost_at_row(self, *args, **kwargs):
        checked["rows"] += 1
        if checked["rows"] == DIES_AT:
            raise OperationalError("terminating connection due to administrator command")
        return really_check(self, *args, **kwargs)

    monkeypatch.setattr(mutations.MutationChecker, "check", lost_at_row)
    with django_capture_on_commit_callbacks() as queued:
        assert upload(client, entries_file(ROWS)).status_code == 302
    batch = MutationBatch.objects.get()
    with pytest.raises(OperationalError):
        queued[0]()  # the task, as the worker ran it

    batch.refresh_from_db()
    assert batch.status == "validating" and batch.processed_rows == 200  # progress so far
    _assert_checking(client, batch)
    assert mutation_batches_resume.apply().get() == 0  # not stalled yet: left alone

    _stall(batch)
    assert mutation_batches_resume.apply().get() == 1  # eager: the check runs again now
    batch.refresh_from_db()
    assert (batch.status, batch.valid_count, batch.error_count) == ("ready", ROWS, 0)
    assert not batch.file  # read to the end, then dropped
    _assert_confirmed_once(client, batch)


@pytest.mark.usefixtures("transactional_db")
class TestOnTheRealStack:
    pytestmark = needs_stack

    def test_a_worker_killed_half_way_through_a_file(self, as_user, hr_admin, workers):
        dying = workers("dying", module="tests.faults.fault_worker",
                        env={"FAULT_DIE_AFTER_ROWS": str(DIES_AT)})
        client = as_user(hr_admin)
        assert upload(client, entries_file(ROWS)).status_code == 302
        batch = MutationBatch.objects.get()

        assert wait_until(lambda: not dying.running, 60), dying.text()
        assert f"FAULT: worker killed at row {DIES_AT + 1}" in dying.text()
        batch.refresh_from_db()
        assert batch.status == "validating" and batch.processed_rows == 200
        _assert_checking(client, batch)

        # Another worker; the check is resumed by the periodic job, and Redis also hands the
        # dead worker's unacknowledged task to it (visibility timeout of 2 s here): two runs.
        worker = workers("next", module="tests.faults.fault_worker",
                         env={"FAULT_VISIBILITY_TIMEOUT": "2"})
        _stall(batch)
        assert mutation_batches_resume() == 1
        assert wait_until(lambda: worker.text().count("mutation_batch_validate[") >= 4, 60), \
            worker.text()  # two tasks received, two succeeded
        batch.refresh_from_db()
        assert (batch.status, batch.valid_count, batch.error_count) == ("ready", ROWS, 0)
        _assert_confirmed_once(client, batch)
