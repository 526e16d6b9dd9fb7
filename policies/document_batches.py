"""A batch of PDFs for insured persons: received, checked, matched, confirmed.

1. `batch_receive` (in the upload request): refuses the whole batch, before anything is stored or
   extracted, when it cannot be handled safely (an archive that is unreadable, would unpack to too
   much or looks like a zip bomb, too many files, an unreadable CSV); otherwise it keeps the
   uploaded files in private storage under names of its own and creates the batch row.
2. `batch_process` (inline for a few files, a Celery task for more, with a progress page): reads
   every file once, checks it (size, PDF by its bytes and by a PDF parser), matches it to a person
   by the AHV or personnel number in its name or in the CSV, finds duplicates, stores the matched
   ones and creates their documents, unpublished, all at once. On any error nothing stays: no
   document and no file, and the batch says why.
3. `batch_confirm` publishes every document of the batch in one transaction and tells each owner
   once, by e-mail (and SMS) in their language, without any personal data; `batch_discard` drops
   the documents and their files instead.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
import unicodedata
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models.functions import Upper
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, User

from . import swiss
from .dashboard_cache import dashboard_touch
from .models import Document, DocumentBatch, Employer, InsuredPerson, private_storage
from .validators import normalize_ahv

logger = logging.getLogger(__name__)

Outcome = str
MATCHED, UNMATCHED, DUPLICATE, NOT_PDF, OVERSIZE = (
    "matched", "unmatched", "duplicate", "not_pdf", "oversize")
OUTCOMES: dict[str, Any] = {
    MATCHED: _("Attribués"),
    UNMATCHED: _("Sans personne"),
    DUPLICATE: _("Doublons"),
    NOT_PDF: _("Pas un PDF"),
    OVERSIZE: _("Trop volumineux"),
}

# Why a whole upload was refused (nothing kept), or why one file was set aside (the report).
MESSAGES: dict[str, Any] = {
    # whole upload
    "too_big": _("L'envoi dépasse %(limit)s : rien n'a été importé. Envoyez les fichiers en "
                 "plusieurs lots."),
    "no_files": _("Choisissez au moins un fichier PDF ou une archive ZIP."),
    "too_many_files": _("Le lot compte %(count)s fichiers ; %(limit)s au plus par lot : rien "
                        "n'a été importé."),
    "archive_too_big": _("L'archive « %(name)s » se décompresserait en plus de %(limit)s : rien "
                         "n'a été importé ni décompressé."),
    "zip_bomb": _("L'archive « %(name)s » est anormalement compressée (bombe ZIP possible) : "
                  "rien n'a été importé ni décompressé."),
    "archive_unreadable": _("L'archive « %(name)s » est illisible ou protégée par un mot de "
                            "passe : rien n'a été importé."),
    "csv_unreadable": _("Le fichier CSV « %(name)s » est illisible : il faut une ligne d'en-tête "
                        "avec au moins les colonnes « fichier » et « AVS » ou « numéro de "
                        "personnel »."),
    "csv_too_big": _("Le fichier CSV « %(name)s » dépasse %(limit)s."),
    "failed": _("Le lot n'a pas pu être traité : rien n'a été importé. Réessayez ou "
                "contactez l'informatique."),
    # one file
    "oversize": _("Plus de %(limit)s."),
    "not_pdf": _("Le contenu n'est pas un PDF (quelle que soit l'extension)."),
    "pdf_unreadable": _("PDF endommagé ou protégé par un mot de passe : il ne s'ouvre pas."),
    "nested_archive": _("Archive dans l'archive : non décompressée."),
    "no_number": _("Aucun numéro AVS ni numéro de personnel dans le nom du fichier ni dans le "
                   "CSV."),
    "ahv_invalid": _("Le numéro AVS %(number)s n'est pas valable (chiffre de contrôle)."),
    "ahv_unknown": _("Aucune personne assurée avec le numéro AVS %(number)s."),
    "personnel_unknown": _("Aucune personne assurée avec le numéro de personnel %(number)s."),
    "personnel_ambiguous": _("Le numéro de personnel %(number)s existe dans plusieurs "
                             "entreprises : choisissez l'entreprise du lot."),
    "csv_row_invalid": _("Ligne %(row)s du CSV : %(problem)s"),
    "csv_file_missing": _("Ligne %(row)s du CSV : ce fichier ne fait pas partie de l'envoi."),
    "same_file": _("Même contenu que « %(other)s »."),
    "same_person": _("Un autre fichier du lot (« %(other)s ») est déjà destiné à cette personne "
                     "pour ce type de document et cette année."),
    "existing": _("Attention : cette personne a déjà un document de ce type pour cette année."),
}


def message(code: str, params: dict | None = None) -> str:
    text = str(MESSAGES.get(code, MESSAGES["failed"]))
    return text % (params or {}) if params else text


def megabytes(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size // 1024} Ko"
    return f"{size // (1024 * 1024)} Mo"


class BatchRefused(Exception):
    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code, self.params = code, params

    @property
    def text(self) -> str:
        return message(self.code, self.params)


# --- names, numbers, CSV ------------------------------------------------------------------------

AHV_IN_NAME = re.compile(r"(?<!\d)756[.\s_-]?\d{4}[.\s_-]?\d{4}[.\s_-]?\d{2}(?!\d)")
YEAR_TOKEN = re.compile(r"^(19[5-9]\d|20\d\d)$")
TOKEN_SPLIT = re.compile(r"[_\s]+")
CSV_MAX_BYTES = 2 * 1024 * 1024
ZIP_MAX_RATIO = 100  # a PDF compresses 1:1 to 5:1; a zip bomb 1000:1
ZIP_RATIO_FROM = 1024 * 1024  # small entries may compress well (a text-only PDF)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]", "", text.casefold())


CSV_COLUMNS = {
    "file": ("fichier", "nomdufichier", "file", "filename", "datei", "dateiname", "nomefile"),
    "ahv": ("avs", "numeroavs", "noavs", "ahv", "ahvnummer", "ahvnr", "nss", "ssn"),
    "personnel_number": ("personnel", "numerodepersonnel", "ndepersonnel", "nodepersonnel",
                         "personnelnumber", "personalnummer", "numeropersonale"),
    "category": ("type", "categorie", "category", "kind", "typ", "kategorie", "tipo",
                 "categoria"),
    "year": ("annee", "year", "jahr", "anno"),
    "title": ("titre", "title", "titel", "titolo"),
}
_COLUMN_OF = {word: key for key, words in CSV_COLUMNS.items() for word in words}


def _categories() -> dict[str, str]:
    """Folded code or label (in every portal language) -> category code."""
    found: dict[str, str] = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for value, label in Document.Category.choices:
                found[_fold(label)] = value
    for value in Document.Category.values:
        found[_fold(value)] = value
    found.update({"certificat": "certificate", "attestation": "pension_statement"})
    return found


@dataclass
class Meta:
    """What the name or the CSV says about a file."""

    ahv: str = ""  # as written (validated later)
    personnel: str = ""
    category: str = ""
    year: int | None = None
    title: str = ""
    csv_row: int | None = None
    file: str = ""  # the name the CSV row gives
    problem: tuple[str, dict] | None = None


def meta_from_name(name: str) -> Meta:
    """756.3047.5009.62_certificat_2026.pdf, 7563047500962.pdf, P-10023_attestation.pdf."""
    stem = PurePosixPath(name).stem
    meta = Meta()
    found = AHV_IN_NAME.search(stem)
    rest = stem
    if found:
        meta.ahv = found.group(0)
        rest = stem[:found.start()] + " " + stem[found.end():]
    tokens = [t for t in TOKEN_SPLIT.split(rest) if t]
    for token in tokens:
        if YEAR_TOKEN.match(token):
            meta.year = int(token)
            break
    if not meta.ahv and tokens and not YEAR_TOKEN.match(tokens[0]):
        meta.personnel = tokens[0]
    return meta


def parse_csv(name: str, data: bytes) -> dict[str, Meta]:
    """File name (folded, without folders) -> what its CSV row says."""
    if len(data) > CSV_MAX_BYTES:
        raise BatchRefused("csv_too_big", name=name, limit=megabytes(CSV_MAX_BYTES))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    lines = text.splitlines()
    if not lines:
        raise BatchRefused("csv_unreadable", name=name)
    delimiter = max(";,\t", key=lines[0].count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, [])
    columns = [_COLUMN_OF.get(_fold(cell)) for cell in header]
    if "file" not in columns or not ({"ahv", "personnel_number"} & set(columns)):
        raise BatchRefused("csv_unreadable", name=name)
    categories = _categories()
    rows: dict[str, Meta] = {}
    for number, cells in enumerate(reader, start=2):
        values = {key: (cells[i].strip() if i < len(cells) else "")
                  for i, key in enumerate(columns) if key}
        if not any(values.values()):
            continue
        meta = Meta(ahv=values.get("ahv", ""), personnel=values.get("personnel_number", ""),
                    title=values.get("title", "")[:200], csv_row=number,
                    file=values.get("file", "")[:200])
        if values.get("category"):
            meta.category = categories.get(_fold(values["category"]), "")
            if not meta.category:
                meta.problem = ("csv_row_invalid", {"row": number, "problem": gettext(
                    "type de document inconnu « %(value)s ».") % {"value": values["category"]}})
        if values.get("year"):
            if YEAR_TOKEN.match(values["year"]):
                meta.year = int(values["year"])
            else:
                meta.problem = ("csv_row_invalid", {"row": number, "problem": gettext(
                    "année invalide « %(value)s ».") % {"value": values["year"]}})
        key = _fold(PurePosixPath(values.get("file", "").replace("\\", "/")).name)
        if key:
            rows[key] = meta
    return rows


# --- receiving ------------------------------------------------------------------------------------

PDF_MAGIC = b"%PDF-"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def _head(upload) -> bytes:
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    return head


def _zip_entries(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    return [info for info in archive.infolist()
            if not info.is_dir() and not PurePosixPath(info.filename).name.startswith(".")
            and "__MACOSX" not in info.filename]


def archive_check(name: str, upload) -> tuple[int, int]:
    """(entries, bytes once unpacked), read from the archive's directory only; refuses an
    unreadable or encrypted archive and one that looks like a zip bomb."""
    try:
        archive = zipfile.ZipFile(upload)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise BatchRefused("archive_unreadable", name=name) from None
    with archive:
        entries = _zip_entries(archive)
        total = 0
        for info in entries:
            if info.flag_bits & 0x1:
                raise BatchRefused("archive_unreadable", name=name)
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > ZIP_RATIO_FROM and ratio > ZIP_MAX_RATIO:
                raise BatchRefused("zip_bomb", name=name)
            if total > settings.DOCUMENT_BATCH_MAX_UNZIPPED_BYTES:
                raise BatchRefused("archive_too_big", name=name,
                                   limit=megabytes(settings.DOCUMENT_BATCH_MAX_UNZIPPED_BYTES))
    upload.seek(0)
    return len(entries), total


def _staging_path(batch_id: int, index: int) -> str:
    return f"document-batches/{batch_id}/{index:05d}-{uuid.uuid4().hex}.bin"


@transaction.atomic
def batch_receive(*, uploads: list, csv_upload=None, employer: Employer | None, category: str, year: int, title: str = "",
                  by: User) -> DocumentBatch:
    """Checks what can be checked without extracting anything, then stores the uploads for
    `batch_process`. BatchRefused: nothing was created or kept."""
    if not uploads:
        raise BatchRefused("no_files")
    staged: list[dict[str, Any]] = []
    count = 0
    for upload in uploads:
        name = PurePosixPath(str(upload.name).replace("\\", "/")).name[:200] or "?"
        if _head(upload).startswith(ZIP_MAGIC):
            entries, _size = archive_check(name, upload)
            count += entries
            staged.append({"name": name, "kind": "zip", "upload": upload})
        else:
            count += 1
            staged.append({"name": name, "kind": "file", "upload": upload})
    if count > settings.DOCUMENT_BATCH_MAX_FILES:
        raise BatchRefused("too_many_files", count=count, limit=settings.DOCUMENT_BATCH_MAX_FILES)
    rows: dict[str, Any] = {}
    if csv_upload is not None:
        csv_name = PurePosixPath(str(csv_upload.name)).name[:200]
        if csv_upload.size > CSV_MAX_BYTES:
            raise BatchRefused("csv_too_big", name=csv_name, limit=megabytes(CSV_MAX_BYTES))
        rows = {key: meta.__dict__ for key, meta in
                parse_csv(csv_name, csv_upload.read()).items()}
    batch = DocumentBatch.objects.create(
        created_by=by, employer=employer, category=category, year=year, title=title[:200],
        total_files=count,
    )
    storage = private_storage()
    written: list[str] = []
    try:
        for index, item in enumerate(staged):
            upload = item.pop("upload")
            upload.seek(0)
            item["path"] = storage.save(_staging_path(batch.pk, index), upload)
            written.append(item["path"])
        batch.staged = [*staged, {"kind": "csv", "rows": rows}]
        batch.save(update_fields=["staged"])
    except Exception:
        # The row is rolled back with the transaction; the files must go by hand.
        for path in written:
            storage.delete(path)
        raise
    return batch


def staged_delete(batch: DocumentBatch) -> None:
    storage = private_storage()
    for item in batch.staged:
        if item.get("path"):
            storage.delete(item["path"])


# --- processing -----------------------------------------------------------------------------------

@dataclass
class Item:
    name: str  # as shown in the report (folder/name inside an archive)
    size: int | None  # declared size, when known before reading
    read: Any  # () -> bytes (at most the limit + 1)
    meta: Meta = field(default_factory=Meta)


def _items(batch: DocumentBatch, opened: list) -> Iterator[Item]:
    storage = private_storage()
    limit = settings.DOCUMENT_FILE_MAX_BYTES
    for staged in batch.staged:
        kind = staged.get("kind")
        if kind == "file":
            path = staged["path"]
            yield Item(name=staged["name"], size=storage.size(path),
                       read=lambda path=path: _read_file(storage, path, limit))
        elif kind == "zip":
            handle = storage.open(staged["path"], "rb")
            opened.append(handle)
            archive = zipfile.ZipFile(handle)
            opened.append(archive)
            for info in _zip_entries(archive):
                name = f"{staged['name']}/{info.filename}"[:300]
                yield Item(name=name, size=info.file_size,
                           read=lambda info=info, archive=archive: _read_entry(archive, info,
                                                                               limit))


def _read_file(storage, path: str, limit: int) -> bytes:
    with storage.open(path, "rb") as handle:
        return handle.read(limit + 1)


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    with archive.open(info) as handle:  # stops at the declared size; a bad CRC raises
        return handle.read(limit + 1)


def pdf_problem(data: bytes) -> str | None:
    """None for a PDF that opens; else why not. Judged by the bytes and by pypdf, never by the
    name: a renamed Word file or a truncated PDF is no PDF."""
    if data[:4] == b"PK\x03\x04":
        return "nested_archive"
    if not data.lstrip(b"\x00\t\n\r ")[:5] == PDF_MAGIC:
        return "not_pdf"
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return "pdf_unreadable"
        if len(reader.pages) < 1:
            return "pdf_unreadable"
        reader.pages[0].mediabox  # noqa: B018 - the first page must be readable
    except (PyPdfError, ValueError, TypeError, KeyError, IndexError, AttributeError,
            RecursionError, OSError, NotImplementedError, AssertionError):
        return "pdf_unreadable"
    except Exception:  # pypdf raises many kinds on hostile input: never a 500, never a crash
        logger.info("pdf check: unexpected error", exc_info=True)
        return "pdf_unreadable"
    return None


@dataclass
class Persons:
    by_ahv: dict[str, InsuredPerson]
    by_personnel: dict[str, list[InsuredPerson]]


def _persons(metas: list[Meta], employer_id: int | None) -> Persons:
    ahvs = set()
    for meta in metas:
        if meta.ahv:
            try:
                ahvs.add(normalize_ahv(meta.ahv))
            except Exception:  # noqa: S112 - reported per file
                continue
    personnel = {meta.personnel.upper() for meta in metas if meta.personnel and not meta.ahv}
    by_ahv = {p.ahv_number: p for p in InsuredPerson.objects.filter(ahv_number__in=ahvs)}
    by_personnel: dict[str, list[InsuredPerson]] = {}
    if personnel:
        found = InsuredPerson.objects.annotate(pn=Upper("personnel_number")).filter(
            pn__in=personnel)
        if employer_id is not None:
            found = found.filter(contract__employer_id=employer_id)
        for person in found:
            by_personnel.setdefault(person.pn, []).append(person)
    return Persons(by_ahv=by_ahv, by_personnel=by_personnel)


def _match(meta: Meta, persons: Persons) -> tuple[InsuredPerson | None, str, dict]:
    if meta.ahv:
        try:
            number = normalize_ahv(meta.ahv)
        except Exception:
            return None, "ahv_invalid", {"number": meta.ahv}
        person = persons.by_ahv.get(number)
        return (person, "", {}) if person else (
            None, "ahv_unknown", {"number": swiss.ahv_masked(number)})
    if meta.personnel:
        found = persons.by_personnel.get(meta.personnel.upper(), [])
        if len(found) == 1:
            return found[0], "", {}
        return None, ("personnel_ambiguous" if found else "personnel_unknown"), {
            "number": meta.personnel[:40]}
    return None, "no_number", {}


def _person_label(person: InsuredPerson) -> str:
    return f"{person.last_name} {person.first_name} · {swiss.ahv_masked(person.ahv_number)}"


def _title(batch: DocumentBatch, meta: Meta, category: str, year: int) -> str:
    if meta.title:
        return meta.title
    if batch.title:
        return batch.title
    standard = Document.STANDARD_TITLES.get(category)
    if standard:
        return standard % {"year": year}
    with translation.override("fr"):
        return f"{Document.Category(category).label} {year}"


PROGRESS_EVERY = 10
INLINE_FILES = 20  # more files: a Celery task, with the batch page showing the progress


def batch_process(*, batch_id: int) -> DocumentBatch:
    """Check, match and store every file of the batch; then create its documents (unpublished)
    and the report in one transaction. On any error: no document, no file, status "failed"."""
    batch = DocumentBatch.objects.get(pk=batch_id)
    if batch.status != DocumentBatch.Status.PROCESSING:
        return batch
    storage = _document_storage()
    stored: list[str] = []
    opened: list = []
    try:
        report, documents = _process(batch, storage, stored, opened)
        with transaction.atomic():
            locked = DocumentBatch.objects.select_for_update().get(pk=batch.pk)
            if locked.status != DocumentBatch.Status.PROCESSING:
                raise RuntimeError("batch changed while processing")
            Document.objects.bulk_create(documents)
            locked.status = DocumentBatch.Status.DRAFT
            locked.report = report
            locked.processed_files = locked.total_files = len(report)
            locked.matched_count = sum(1 for r in report if r["outcome"] == MATCHED)
            locked.problem_count = len(report) - locked.matched_count
            locked.save(update_fields=["status", "report", "processed_files", "total_files",
                                       "matched_count", "problem_count"])
        batch = locked
    except Exception:
        for path in stored:
            storage.delete(path)
        batch_fail(batch=batch)
        raise
    finally:
        for handle in reversed(opened):
            handle.close()
    staged_delete(batch)
    DocumentBatch.objects.filter(pk=batch.pk).update(staged=[])
    return batch


def _process(batch: DocumentBatch, storage, stored: list[str], opened: list):
    """(report, unsaved documents); every file it stores is listed in `stored`."""
    csv_rows: dict[str, dict] = next(
        (s.get("rows", {}) for s in batch.staged if s.get("kind") == "csv"), {})
    items = list(_items(batch, opened))
    used_rows: set[str] = set()
    for item in items:
        key = _fold(PurePosixPath(item.name).name)
        if key in csv_rows:
            item.meta = Meta(**csv_rows[key])
            used_rows.add(key)
            name_meta = meta_from_name(item.name)
            if item.meta.year is None:
                item.meta.year = name_meta.year
        else:
            item.meta = meta_from_name(item.name)
    persons = _persons([item.meta for item in items], batch.employer_id)
    existing = set(Document.objects.filter(
        insured_person__in={p.pk for p in persons.by_ahv.values()}
        | {p.pk for group in persons.by_personnel.values() for p in group},
    ).values_list("insured_person_id", "category", "year"))

    limit = settings.DOCUMENT_FILE_MAX_BYTES
    report: list[dict[str, Any]] = []
    documents: list[Document] = []
    seen_hashes: dict[str, str] = {}
    seen_targets: dict[tuple, str] = {}
    for index, item in enumerate(items, start=1):
        entry: dict[str, Any] = {"name": item.name, "outcome": "", "reason": "", "params": {}}
        report.append(entry)
        if index % PROGRESS_EVERY == 0:
            DocumentBatch.objects.filter(pk=batch.pk).update(processed_files=index)

        def setaside(outcome: str, reason: str, params: dict | None = None,
                     entry: dict[str, Any] = entry) -> None:
            entry.update(outcome=outcome, reason=reason, params=params or {})

        if item.size is not None and item.size > limit:
            setaside(OVERSIZE, "oversize", {"limit": megabytes(limit)})
            continue
        try:
            data = item.read()
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError):
            setaside(NOT_PDF, "pdf_unreadable")
            continue
        if len(data) > limit:
            setaside(OVERSIZE, "oversize", {"limit": megabytes(limit)})
            continue
        problem = pdf_problem(data)
        if problem:
            setaside(NOT_PDF, problem)
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest in seen_hashes:
            setaside(DUPLICATE, "same_file", {"other": seen_hashes[digest]})
            continue
        seen_hashes[digest] = item.name
        meta = item.meta
        if meta.problem:
            setaside(UNMATCHED, *meta.problem)
            continue
        person, reason, params = _match(meta, persons)
        if person is None:
            setaside(UNMATCHED, reason, params)
            continue
        category = meta.category or batch.category
        year = meta.year or batch.year
        entry.update(person=_person_label(person), category=category, year=year)
        target = (person.pk, category, year)
        if target in seen_targets:
            setaside(DUPLICATE, "same_person", {"other": seen_targets[target]})
            continue
        seen_targets[target] = item.name
        title = _title(batch, meta, category, year)
        path = storage.save(
            f"documents/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.pdf", ContentFile(data))
        stored.append(path)
        documents.append(Document(
            category=category, title=title, year=year, file=path, insured_person=person,
            published=False, batch=batch,
        ))
        entry.update(outcome=MATCHED, title=title)
        if target in existing:
            entry.update(reason="existing")
    for key, row in csv_rows.items():
        if key not in used_rows:
            report.append({"name": row.get("file") or key, "outcome": UNMATCHED, "reason": "csv_file_missing",
                           "params": {"row": row.get("csv_row")}})
    return report, documents


def _document_storage():
    return Document._meta.get_field("file").storage


def batch_fail(*, batch: DocumentBatch, code: str = "failed") -> None:
    """Nothing of a failed batch stays: its documents, their files and the uploads go."""
    storage = _document_storage()
    for document in Document.objects.filter(batch=batch):
        if document.file:
            storage.delete(document.file.name)
    Document.objects.filter(batch=batch).delete()
    staged_delete(batch)
    DocumentBatch.objects.filter(pk=batch.pk).update(
        status=DocumentBatch.Status.FAILED, failure=code, staged=[], report=[],
        matched_count=0)


# --- deciding -------------------------------------------------------------------------------------

class BatchStateError(Exception):
    pass


def _notify_owners(person_ids: set[int]) -> int:
    """One notice per user, whatever the number of their new documents."""
    from .services import notice_send

    users = {m.user for m in Membership.objects.filter(
        kind=Membership.Kind.INSURED, insured_person_id__in=person_ids, user__is_active=True,
    ).select_related("user")}
    for user in sorted(users, key=lambda u: u.pk):
        with translation.override(user.language or settings.LANGUAGE_CODE):
            notice_send(
                user=user, subject=gettext("Un nouveau document vous attend"),
                email_template="emails/document_published.txt",
                sms_text=gettext("Un nouveau document vous attend dans votre espace de "
                                 "prévoyance."),
            )
    return len(users)


@transaction.atomic
def batch_confirm(*, batch: DocumentBatch, by: User) -> int:
    """Publish every document of the batch at once and tell their owners; returns how many."""
    locked = DocumentBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status != DocumentBatch.Status.DRAFT:
        raise BatchStateError(locked.status)
    documents = Document.objects.filter(batch=locked, published_at__isnull=True)
    person_ids = set(documents.values_list("insured_person_id", flat=True)) - {None}
    now = timezone.now()
    count = documents.update(published=True, published_at=now)
    locked.status = DocumentBatch.Status.CONFIRMED
    locked.confirmed_by, locked.confirmed_at = by, now
    locked.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    for person_id in person_ids:
        dashboard_touch(person_id)
    _notify_owners(person_ids)
    batch.status, batch.confirmed_at = locked.status, now
    return count


@transaction.atomic
def batch_discard(*, batch: DocumentBatch) -> int:
    locked = DocumentBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status != DocumentBatch.Status.DRAFT:
        raise BatchStateError(locked.status)
    documents = list(Document.objects.filter(batch=locked, published_at__isnull=True))
    paths = [d.file.name for d in documents if d.file]
    Document.objects.filter(pk__in=[d.pk for d in documents]).delete()
    locked.status = DocumentBatch.Status.DISCARDED
    locked.save(update_fields=["status"])
    storage = _document_storage()
    transaction.on_commit(lambda: [storage.delete(path) for path in paths])
    batch.status = locked.status
    return len(documents)
