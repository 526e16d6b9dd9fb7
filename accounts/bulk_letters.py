"""Registration codes and letters in bulk: a selection of insured persons without an account, one
code each, ONE PDF with every letter, made by a Celery task that reports its progress on the job.

- The persons are frozen when the job is confirmed (`person_ids`, in postcode order: the order of
  the PDF, as the post sorts). Whoever got an account meanwhile gets no letter.
- Re-running never leaves two live codes for a person: each new code revokes the person's unused
  ones in the same transaction (registration.insured_code_replace). The newest letter is the one
  that works; the preview says how many earlier codes will stop working.
- The plain codes exist only inside the PDF, a private file without URL, fetched once through a
  permission-checked view by the job's creator or a supervisor and deleted at that moment. A PDF
  nobody downloaded is deleted after FILE_DAYS days and its codes revoked (nobody holds them).
- A job that fails revokes the codes it issued: no code lives without its letter.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from io import BytesIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from policies.models import Employer, InsuredPerson
from policies.swiss import ahv as ahv_format
from policies.validators import normalize_ahv

from . import registration as reg
from .letters import LetterWriter, insured_letter
from .models import BulkLetterJob, RegistrationCode, User

logger = logging.getLogger(__name__)

MAX_LETTERS = 5000  # one job, one PDF: past this, a narrower selection (e.g. per employer)
CHUNK = 100  # persons per transaction; the progress moves after each chunk
FILE_DAYS = 7
STUCK_AFTER = timedelta(days=1)  # a job "running" this long lost its worker


def storage() -> FileSystemStorage:
    """The private files' directory, read at each call (the worker and the tests set it)."""
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


# --- Selections ---------------------------------------------------------------------------------


def _without_account(persons: QuerySet[InsuredPerson]) -> QuerySet[InsuredPerson]:
    return persons.filter(~Exists(User.objects.filter(insured_person=OuterRef("pk"))))


def _with_address(persons: QuerySet[InsuredPerson]) -> QuerySet[InsuredPerson]:
    return persons.exclude(street="").exclude(postcode="").exclude(city="")


@dataclass
class Selection:
    """What a selection holds, as the preview shows it before anything is issued."""

    person_ids: list[int] = field(default_factory=list)
    without_address: int = 0
    with_account: int = 0
    invalid: list[str] = field(default_factory=list)  # typed AHV numbers that are no number
    unknown: list[str] = field(default_factory=list)  # valid AHV numbers of nobody insured here
    live_codes: int = 0  # of the persons selected, how many hold a code that will be replaced
    listed: int = 0  # AHV list: how many distinct numbers were typed
    too_large: bool = False

    @property
    def count(self) -> int:
        return len(self.person_ids)


AHV_SPLIT = re.compile(r"[\r\n,;\t]+")


def _ahv_numbers(text: str) -> tuple[list[str], list[str]]:
    """The distinct AHV numbers of a pasted list (one per line, or separated by commas,
    semicolons, tabs or spaces; dots and spaces inside a number optional), and the entries that
    are not AHV numbers."""
    numbers: list[str] = []
    invalid: list[str] = []
    seen: set[str] = set()
    for entry in AHV_SPLIT.split(text or ""):
        entry = entry.strip()
        if not entry:
            continue
        try:
            parts = [normalize_ahv(entry)]  # "756 1234 5678 97" is one number
        except ValidationError:
            parts = []
            for part in entry.split():
                try:
                    parts.append(normalize_ahv(part))
                except ValidationError:
                    invalid.append(part[:20])
        for number in parts:
            if number not in seen:
                seen.add(number)
                numbers.append(number)
    return numbers, invalid


def selection_build(*, kind: str, employer: Employer | None = None, ahv_text: str = "",
                    limit: int | None = None) -> Selection:
    """The persons of a ready-made selection who can get a letter: no account yet, a postal
    address. `person_ids` stops at limit + 1 (enough to say the selection is too large)."""
    limit = MAX_LETTERS if limit is None else limit
    result = Selection()
    if kind == BulkLetterJob.Selection.PENSIONERS:
        base = InsuredPerson.objects.filter(status=InsuredPerson.Status.PENSIONER)
    elif kind == BulkLetterJob.Selection.EMPLOYER:
        base = InsuredPerson.objects.filter(
            contract__employer=employer,
            status__in=[InsuredPerson.Status.ACTIVE, InsuredPerson.Status.PENSIONER],
        )
    elif kind == BulkLetterJob.Selection.AHV_LIST:
        numbers, result.invalid = _ahv_numbers(ahv_text)
        result.listed = len(numbers)
        if len(numbers) > limit:
            result.too_large = True
            return result
        base = InsuredPerson.objects.filter(ahv_number__in=numbers)
        found = set(base.values_list("ahv_number", flat=True))
        result.unknown = [ahv_format(n) for n in numbers if n not in found]
    else:
        raise ValueError(kind)
    without = _without_account(base)
    result.with_account = base.count() - without.count()
    chosen = _with_address(without)
    result.without_address = without.count() - chosen.count()
    result.person_ids = list(
        chosen.order_by("postcode", "last_name", "first_name", "pk")
        .values_list("pk", flat=True)[: limit + 1]
    )
    result.too_large = result.count > limit
    if not result.too_large:
        result.live_codes = (
            RegistrationCode.objects.filter(
                kind="insured", insured_person_id__in=result.person_ids,
                redeemed_at__isnull=True, revoked_at__isnull=True,
                expires_at__gt=timezone.now(),
            ).values("insured_person_id").distinct().count()
        )
    return result


# --- Jobs ---------------------------------------------------------------------------------------


class SelectionRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "empty" | "too_large"


def job_create(*, created_by: User, kind: str, selection: Selection,
               employer: Employer | None = None, days: int = reg.CODE_VALIDITY_DAYS
               ) -> BulkLetterJob:
    """A queued job for the persons of `selection`; its task starts once the transaction
    commits. SelectionRefused when there is nobody to write to, or too many."""
    if selection.too_large or selection.count > MAX_LETTERS:
        raise SelectionRefused("too_large")
    if not selection.person_ids:
        raise SelectionRefused("empty")
    from .tasks import bulk_letters_run

    job = BulkLetterJob.objects.create(
        created_by=created_by, selection=kind, employer=employer, days=days,
        person_ids=selection.person_ids, total=selection.count,
    )
    transaction.on_commit(lambda: bulk_letters_run.delay(job.pk))
    return job


def _codes_revoke(job_id: int) -> int:
    return RegistrationCode.objects.filter(
        bulk_job_id=job_id, redeemed_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())


def job_run(*, job_id: int) -> str:
    """Issue the codes, chunk after chunk (the progress moves after each), write the letters into
    one PDF, keep it as a private file. Runs once: a second delivery of the task finds the job no
    longer queued and does nothing."""
    claimed = BulkLetterJob.objects.filter(
        pk=job_id, status=BulkLetterJob.Status.QUEUED
    ).update(status=BulkLetterJob.Status.RUNNING, started_at=timezone.now())
    if not claimed:
        return "skipped"
    job = BulkLetterJob.objects.select_related("created_by").get(pk=job_id)
    buffer = BytesIO()
    writer = LetterWriter(buffer)
    try:
        ids = list(job.person_ids)
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            issued_here, skipped, replaced = _chunk(job, chunk, writer)
            BulkLetterJob.objects.filter(pk=job.pk).update(
                done=F("done") + len(chunk), issued=F("issued") + issued_here,
                skipped=F("skipped") + skipped, replaced=F("replaced") + replaced,
            )
        name = ""
        if writer.count:
            writer.close()
            name = storage().save(f"bulk-letters/{uuid.uuid4().hex}.pdf",
                                  ContentFile(buffer.getvalue()))
        BulkLetterJob.objects.filter(pk=job.pk).update(
            status=BulkLetterJob.Status.DONE, file_name=name, finished_at=timezone.now(),
        )
        return "done"
    except Exception as exc:
        logger.exception("bulk letter job %s failed", job_id)
        revoked = _codes_revoke(job.pk)
        BulkLetterJob.objects.filter(pk=job.pk).update(
            status=BulkLetterJob.Status.FAILED, finished_at=timezone.now(),
            error=f"{type(exc).__name__} ({revoked} codes revoked)"[:300],
        )
        return "failed"


def _chunk(job: BulkLetterJob, chunk: list[int], writer: LetterWriter) -> tuple[int, int, int]:
    """One transaction: the letters are drawn only once their codes are committed."""
    letters = []
    replaced = 0
    with transaction.atomic():
        persons = {p.pk: p for p in InsuredPerson.objects.filter(pk__in=chunk)}
        registered = set(User.objects.filter(insured_person_id__in=chunk)
                         .values_list("insured_person_id", flat=True))
        for pk in chunk:
            person = persons.get(pk)
            if (person is None or pk in registered
                    or not (person.street and person.postcode and person.city)):
                continue
            issued, revoked = reg.insured_code_replace(
                person=person, created_by=job.created_by, days=job.days, bulk_job=job,
            )
            replaced += revoked
            letters.append(insured_letter(issued))
    for letter in letters:
        writer.add(letter)
    return len(letters), len(chunk) - len(letters), replaced


# --- Download and clean-up ----------------------------------------------------------------------


class NotAvailable(Exception):
    """Not finished, failed, or its file was downloaded (and deleted) already."""


def may_download(*, job: BulkLetterJob, user: User) -> bool:
    from .duties import holds

    return (job.created_by_id == user.pk and holds(user, "bulk_letters")) or holds(
        user, "accounts.download_any_bulkletterjob")


def job_download(*, job_id: int, user: User) -> tuple[BulkLetterJob, bytes]:
    """The PDF's bytes, once: the file is deleted as it is handed over."""
    with transaction.atomic():
        job = BulkLetterJob.objects.select_for_update().get(pk=job_id)
        if job.status != BulkLetterJob.Status.DONE or not job.file_name:
            raise NotAvailable
        files = storage()
        try:
            with files.open(job.file_name, "rb") as handle:
                content = handle.read()
        except FileNotFoundError:
            raise NotAvailable from None
        files.delete(job.file_name)
        now = timezone.now()
        job.file_name = ""
        job.downloaded_at = now
        job.downloaded_by = user
        job.file_deleted_at = now
        job.save(update_fields=["file_name", "downloaded_at", "downloaded_by",
                                "file_deleted_at"])
    return job, content


def housekeeping(now=None) -> dict[str, int]:
    """Daily: PDFs older than FILE_DAYS days are deleted and, as nobody downloaded them, their
    codes revoked; a job whose worker died (running for a day) fails and revokes its codes."""
    now = now or timezone.now()
    files = storage()
    deleted = revoked = failed = 0
    for job in BulkLetterJob.objects.exclude(file_name="").filter(
        finished_at__lt=now - timedelta(days=FILE_DAYS)
    ):
        files.delete(job.file_name)
        BulkLetterJob.objects.filter(pk=job.pk).update(file_name="", file_deleted_at=now)
        revoked += _codes_revoke(job.pk)
        deleted += 1
    for job in BulkLetterJob.objects.filter(
        status=BulkLetterJob.Status.RUNNING, started_at__lt=now - STUCK_AFTER
    ):
        revoked += _codes_revoke(job.pk)
        BulkLetterJob.objects.filter(pk=job.pk).update(
            status=BulkLetterJob.Status.FAILED, finished_at=now, error="worker lost")
        failed += 1
    return {"bulk_letter_files_deleted": deleted, "bulk_letter_codes_revoked": revoked,
            "bulk_letter_jobs_failed": failed}
