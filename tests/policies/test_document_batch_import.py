"""The batch import's report: every file is matched, set aside with a reason, or the whole batch
is refused before anything is stored or extracted."""

from __future__ import annotations

import pytest

from policies import document_batches as batches
from policies.models import Document, DocumentBatch
from tests import documents as d
from tests import factories as f

pytestmark = pytest.mark.django_db

AHV_CLAIRE = "756.3047.5009.62"


@pytest.fixture
def claire(employer):
    return f.InsuredPersonFactory(contract=f.ContractFactory(employer=employer),
                                  first_name="Claire", last_name="Favre", ahv_number=AHV_CLAIRE,
                                  personnel_number="P-10023")


def run(uploads, *, by, csv=None, employer=None, category="certificate", year=2026, title=""):
    batch = batches.batch_receive(uploads=uploads, csv_upload=csv, employer=employer,
                                  category=category, year=year, title=title, by=by)
    return batches.batch_process(batch_id=batch.pk)


def outcomes(batch: DocumentBatch) -> dict[str, tuple[str, str]]:
    return {entry["name"]: (entry["outcome"], entry["reason"]) for entry in batch.report}


def stored_files(settings) -> list:
    root = settings.PRIVATE_MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_file_names_match_by_ahv_with_or_without_dots_and_by_personnel_number(
        claire, employer, account_manager):
    second = f.InsuredPersonFactory(contract=f.ContractFactory(employer=employer))
    third = f.InsuredPersonFactory(contract=f.ContractFactory(employer=employer),
                                   personnel_number="P-20001")
    batch = run([d.upload(f"{AHV_CLAIRE}_certificat_2025.pdf", d.pdf("a")),
                 d.upload(f"{second.ahv_number.replace('.', '')}.pdf", d.pdf("b")),
                 d.upload("p-20001_attestation.pdf", d.pdf("c"))],
                by=account_manager, employer=employer, category="pension_statement")
    assert batch.status == "draft" and batch.matched_count == 3 and batch.problem_count == 0
    documents = {doc.insured_person_id: doc for doc in Document.objects.filter(batch=batch)}
    assert set(documents) == {claire.pk, second.pk, third.pk}
    assert all(not doc.published and doc.published_at is None for doc in documents.values())
    assert documents[claire.pk].year == 2025  # the year in the name wins over the default
    assert documents[second.pk].year == 2026
    assert documents[claire.pk].title == "Attestation de rente 2025"
    assert AHV_CLAIRE not in documents[claire.pk].file.name  # stored under a name of our own


def test_the_report_lists_unmatched_duplicates_non_pdfs_and_oversize(claire, account_manager,
                                                                      settings):
    settings.DOCUMENT_FILE_MAX_BYTES = 50_000
    same = d.pdf("same")
    batch = run([
        d.upload(f"{AHV_CLAIRE}_certificat.pdf", same),
        d.upload("copie.pdf", same),  # the same file twice
        d.upload(f"{AHV_CLAIRE.replace('.', '')}_bis.pdf", d.pdf("other")),  # same person/kind/year
        d.upload("756.1111.2222.33.pdf", d.pdf("x")),  # bad check digit
        d.upload("756.9217.0769.85.pdf", d.pdf("y")),  # valid, nobody has it
        d.upload("scan.pdf", d.pdf("z")),  # no number at all
        d.upload("lettre.pdf", b"Ceci est un texte, pas un PDF."),  # renamed text file
        d.upload("tronque.pdf", d.truncated_pdf()),  # PDF magic bytes, does not open
        d.upload("gros.pdf", d.pdf("big") + b"%" * 60_000),
    ], by=account_manager)
    assert outcomes(batch) == {
        f"{AHV_CLAIRE}_certificat.pdf": ("matched", ""),
        "copie.pdf": ("duplicate", "same_file"),
        "7563047500962_bis.pdf": ("duplicate", "same_person"),
        "756.1111.2222.33.pdf": ("unmatched", "ahv_invalid"),
        "756.9217.0769.85.pdf": ("unmatched", "ahv_unknown"),
        "scan.pdf": ("unmatched", "personnel_unknown"),
        "lettre.pdf": ("not_pdf", "not_pdf"),
        "tronque.pdf": ("not_pdf", "pdf_unreadable"),
        "gros.pdf": ("oversize", "oversize"),
    }
    assert batch.matched_count == 1 and batch.problem_count == 8
    assert Document.objects.filter(batch=batch).count() == 1
    # Only the matched PDF stays on disk; the uploads are gone once processed.
    assert len(stored_files(settings)) == 1


def test_a_csv_gives_person_kind_year_and_title_and_wins_over_the_name(claire, account_manager):
    csv = d.upload("liste.csv", (
        "Fichier;AVS;Type;Année;Titre\n"
        "scan-001.pdf;756.3047.5009.62;attestation;2024;Attestation spéciale\n"
        "absent.pdf;756.3047.5009.62;;;\n"
        "scan-002.pdf;756.3047.5009.62;inconnu;;\n"
    ).encode(), "text/csv")
    batch = run([d.upload("scan-001.pdf", d.pdf("1")), d.upload("scan-002.pdf", d.pdf("2"))],
                csv=csv, by=account_manager)
    report = outcomes(batch)
    assert report["scan-001.pdf"] == ("matched", "")
    assert report["scan-002.pdf"] == ("unmatched", "csv_row_invalid")
    assert report["absent.pdf"] == ("unmatched", "csv_file_missing")
    document = Document.objects.get(batch=batch)
    assert (document.category, document.year, document.title) == (
        "pension_statement", 2024, "Attestation spéciale")


def test_a_personnel_number_of_two_companies_needs_the_company(claire, other_employer,
                                                             account_manager, employer):
    f.InsuredPersonFactory(contract=f.ContractFactory(employer=other_employer),
                           personnel_number="P-10023")
    batch = run([d.upload("P-10023_attestation.pdf", d.pdf("1"))], by=account_manager)
    assert outcomes(batch)["P-10023_attestation.pdf"] == ("unmatched", "personnel_ambiguous")
    batch = run([d.upload("P-10023_attestation.pdf", d.pdf("1"))], by=account_manager,
                employer=employer)
    assert Document.objects.get(batch=batch).insured_person == claire


def test_a_zip_archive_is_read_entry_by_entry(claire, account_manager):
    data = d.archive({f"lot/{AHV_CLAIRE}_2026.pdf": d.pdf("1"), "lot/notes.txt": b"hello",
                      "lot/inner.zip": d.archive({"x.pdf": d.pdf("2")})})
    batch = run([d.upload("lot.zip", data, "application/zip")], by=account_manager)
    assert outcomes(batch) == {
        f"lot.zip/lot/{AHV_CLAIRE}_2026.pdf": ("matched", ""),
        "lot.zip/lot/notes.txt": ("not_pdf", "not_pdf"),
        "lot.zip/lot/inner.zip": ("not_pdf", "nested_archive"),
    }


def test_a_zip_bomb_is_refused_before_anything_is_stored_or_extracted(claire, account_manager,
                                                                      settings):
    with pytest.raises(batches.BatchRefused) as refused:
        batches.batch_receive(uploads=[d.upload("lot.zip", d.zip_bomb(), "application/zip")],
                              employer=None, category="certificate", year=2026,
                              by=account_manager)
    assert refused.value.code == "zip_bomb"
    assert "bombe ZIP" in refused.value.text
    assert not DocumentBatch.objects.exists() and not stored_files(settings)


def test_an_archive_that_would_unpack_to_too_much_is_refused(claire, account_manager, settings):
    settings.DOCUMENT_BATCH_MAX_UNZIPPED_BYTES = 100_000
    data = d.archive({f"{i}.pdf": d.pdf(str(i)) + b"%" * 30_000 for i in range(5)})
    with pytest.raises(batches.BatchRefused) as refused:
        batches.batch_receive(uploads=[d.upload("lot.zip", data)], employer=None,
                              category="certificate", year=2026, by=account_manager)
    assert refused.value.code == "archive_too_big"
    assert not DocumentBatch.objects.exists() and not stored_files(settings)


def test_too_many_files_and_unreadable_archives_are_refused(account_manager, settings):
    settings.DOCUMENT_BATCH_MAX_FILES = 3
    data = d.archive({f"{i}.pdf": d.pdf(str(i)) for i in range(4)})
    for uploads, code in (([d.upload("lot.zip", data)], "too_many_files"),
                          ([d.upload("lot.zip", b"PK\x03\x04broken")], "archive_unreadable")):
        with pytest.raises(batches.BatchRefused) as refused:
            batches.batch_receive(uploads=uploads, employer=None, category="certificate",
                                  year=2026, by=account_manager)
        assert refused.value.code == code
    assert not DocumentBatch.objects.exists() and not stored_files(settings)


def test_an_error_while_processing_leaves_no_document_and_no_file(claire, account_manager,
                                                                  settings, monkeypatch):
    batch = batches.batch_receive(
        uploads=[d.upload(f"{AHV_CLAIRE}.pdf", d.pdf("1")), d.upload("x.pdf", d.pdf("2"))],
        employer=None, category="certificate", year=2026, by=account_manager)
    monkeypatch.setattr(Document.objects, "bulk_create",
                        lambda *a, **k: (_ for _ in ()).throw(RuntimeError("disk full")))
    with pytest.raises(RuntimeError):
        batches.batch_process(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == "failed" and batch.report == []
    assert not Document.objects.exists() and not stored_files(settings)
