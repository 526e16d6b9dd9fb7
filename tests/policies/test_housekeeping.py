"""Daily clean-up of personal data nobody needs any more: checked files never confirmed, and the
log of policy lookups after 90 days."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from policies.models import MutationBatch, PolicyLookup
from policies.tasks import housekeeping
from tests import factories as f

pytestmark = pytest.mark.django_db


def _batch(employer, *, status, days_old, confirmed=False):
    batch = MutationBatch.objects.create(
        employer=employer, status=status, filename="mutations.xlsx",
        rows=[{"ahv": "756.9217.0769.85", "salary": "91000"}],
        confirmed_at=timezone.now() if confirmed else None,
    )
    MutationBatch.objects.filter(pk=batch.pk).update(
        created_at=timezone.now() - timedelta(days=days_old))
    return batch


def test_unconfirmed_files_older_than_a_week_are_deleted_confirmed_ones_stay(employer):
    stale = _batch(employer, status=MutationBatch.Status.READY, days_old=8)
    failed = _batch(employer, status=MutationBatch.Status.FAILED, days_old=30)
    fresh = _batch(employer, status=MutationBatch.Status.READY, days_old=2)
    sent = _batch(employer, status=MutationBatch.Status.CONFIRMED, days_old=300, confirmed=True)
    result = housekeeping.apply().get()
    assert result["unconfirmed_files_deleted"] == 2
    remaining = set(MutationBatch.objects.values_list("pk", flat=True))
    assert remaining == {fresh.pk, sent.pk}
    assert stale.pk not in remaining and failed.pk not in remaining


def test_policy_lookups_are_kept_ninety_days():
    user = f.UserFactory()
    old = PolicyLookup.objects.create(user=user, number="P-700001", found=True)
    PolicyLookup.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=91))
    recent = PolicyLookup.objects.create(user=user, number="P-700002", found=False)
    assert housekeeping.apply().get()["policy_lookups_deleted"] == 1
    assert list(PolicyLookup.objects.values_list("pk", flat=True)) == [recent.pk]


def test_a_document_batch_stuck_in_processing_for_a_day_is_failed_and_emptied(settings):
    from policies.document_batches import batch_receive
    from policies.models import DocumentBatch
    from tests import documents as d

    user = f.UserFactory()
    stuck = batch_receive(uploads=[d.upload("a.pdf", d.pdf())], employer=None,
                          category="letter", year=2026, by=user)
    fresh = batch_receive(uploads=[d.upload("b.pdf", d.pdf("b"))], employer=None,
                          category="letter", year=2026, by=user)
    DocumentBatch.objects.filter(pk=stuck.pk).update(
        created_at=timezone.now() - timedelta(days=2))
    assert housekeeping.apply().get()["stuck_document_batches_failed"] == 1
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.status == "failed" and stuck.staged == []
    assert fresh.status == "processing"
    files = [p.name for p in settings.PRIVATE_MEDIA_ROOT.rglob("*") if p.is_file()]
    assert len(files) == 1  # only the fresh batch's upload
