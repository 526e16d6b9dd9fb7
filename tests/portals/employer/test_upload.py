"""Bulk upload of mutations: a template in the user's language; every row checked with a
report (row, column, message); a preview; "submit the N valid rows" or "fix and upload again";
nothing saved from a file that is not confirmed; files over 500 rows checked by a Celery task
with a progress bar; limits and hostile files refused before parsing."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest

from policies.models import Mutation, MutationBatch
from tests import factories as f
from tests.portals.employer.conftest import first_of_month, xlsx_bytes

pytestmark = pytest.mark.django_db

HEADER = ["Type", "Numéro AVS", "N° de personnel", "Nom", "Prénom", "Date de naissance",
          "Sexe (F/M)", "Date d'effet", "Salaire annuel (CHF)", "Taux d'occupation (%)",
          "Motif de sortie", "Fin du congé"]
NEW_AHV = "756.9217.0769.85"


def day(value) -> str:
    return value.strftime("%d.%m.%Y")


def row(**values) -> list:
    keys = ["kind", "ahv", "personnel", "last", "first", "birth", "sex", "date", "salary",
            "degree", "reason", "end"]
    return [values.get(k, "") for k in keys]


def upload(client, content: bytes, name: str = "mutations.xlsx", url="/employer/uploads/"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(url, {"file": SimpleUploadedFile(name, content)})


def csv_bytes(rows, delimiter=";", encoding="utf-8") -> bytes:
    lines = [delimiter.join(str(c) for c in r) for r in [HEADER, *rows]]
    return ("\n".join(lines) + "\n").encode(encoding)


def good_salary(person, amount="95000"):
    return row(kind="salaire", ahv=person.ahv_number, date=day(first_of_month()), salary=amount)


def good_entry(ahv=NEW_AHV):
    return row(kind="entrée", ahv=ahv, last="Neuve", first="Nina", birth="12.04.1990", sex="F",
               date=day(first_of_month()), salary="72000", degree="80")


def test_the_template_comes_in_the_users_language(as_user, hr_admin):
    client = as_user(hr_admin)
    response = client.get("/employer/uploads/template/")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    assert [c.value for c in sheet[1]] == HEADER
    client.cookies["django_language"] = "de"
    german = client.get("/employer/uploads/template/?format=csv").content.decode("utf-8-sig")
    assert german.splitlines()[0].startswith("Art;AHV-Nummer")


def test_a_good_file_is_previewed_and_submitted_only_when_confirmed(as_user, hr_admin,
                                                                    staff_person, contract):
    client = as_user(hr_admin)
    response = upload(client, xlsx_bytes([HEADER, good_salary(staff_person), good_entry()]))
    batch = MutationBatch.objects.get()
    assert response["Location"] == f"/employer/uploads/{batch.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "Transmettre les 2 lignes valables" in page and "Neuve Nina" in page
    assert not Mutation.objects.exists()  # nothing before confirmation
    assert not batch.file  # the file itself is not kept once read
    confirmed = client.post(f"/employer/uploads/{batch.pk}/confirm/")
    assert confirmed.status_code == 302
    batch.refresh_from_db()
    mutations = Mutation.objects.order_by("case_number")
    assert [m.kind for m in mutations] == ["salary", "entry"]
    assert all(m.case_number.startswith(batch.case_number) for m in mutations)
    assert client.post(f"/employer/uploads/{batch.pk}/confirm/").status_code == 302
    assert Mutation.objects.count() == 2  # confirming twice submits once


def test_fix_and_upload_again_discards_the_file(as_user, hr_admin, staff_person):
    client = as_user(hr_admin)
    upload(client, xlsx_bytes([HEADER, good_salary(staff_person)]))
    batch = MutationBatch.objects.get()
    client.post(f"/employer/uploads/{batch.pk}/discard/")
    batch.refresh_from_db()
    assert batch.status == "discarded"
    assert client.post(f"/employer/uploads/{batch.pk}/confirm/").status_code == 302
    assert not Mutation.objects.exists()


@pytest.fixture
def other_company_person(other_person):
    return other_person


BAD_ROWS = [
    # (row builder, column shown, message)
    (lambda p, o: row(kind="promotion", ahv=p.ahv_number, date=day(first_of_month())),
     "Type", "Type inconnu"),
    (lambda p, o: row(kind="salaire", ahv="756.0000.0000.00", date=day(first_of_month()),
                      salary="1"), "Numéro AVS", "le dernier chiffre ne correspond pas"),
    (lambda p, o: row(kind="salaire", ahv="756.9217.0769.85", date=day(first_of_month()),
                      salary="90000"), "Numéro AVS", "Aucune personne assurée de votre"),
    (lambda p, o: row(kind="salaire", ahv=o.ahv_number, date=day(first_of_month()),
                      salary="90000"), "Numéro AVS", "Aucune personne assurée de votre"),
    (lambda p, o: row(kind="salaire", ahv=p.ahv_number, date="31.02.2026", salary="1"),
     "Date d'effet", "Cette date n'existe pas"),
    (lambda p, o: row(kind="sortie", ahv=p.ahv_number, date=day(p.entry_date - timedelta(1))),
     "Date d'effet", "plus de 12 mois"),
    (lambda p, o: row(kind="salaire", ahv=p.ahv_number, date=day(first_of_month()),
                      salary="-100"), "Salaire annuel (CHF)", "ne peut pas être négatif"),
    (lambda p, o: row(kind="salaire", ahv=p.ahv_number, date=day(first_of_month()),
                      salary="25000000"), "Salaire annuel (CHF)", "CHF 10'000'000"),
    (lambda p, o: row(kind="salaire", ahv=p.ahv_number, date=day(first_of_month()),
                      salary="=A1*2"), "Salaire annuel (CHF)", "formules ne sont pas"),
    (lambda p, o: row(kind="entrée", ahv=p.ahv_number, last="X", first="Y", birth="1.1.1980",
                      sex="F", date=day(first_of_month()), salary="1"),
     "Numéro AVS", "déjà assurée et active"),
    (lambda p, o: row(kind="congé", ahv=p.ahv_number, date=day(first_of_month()),
                      end=day(first_of_month() - timedelta(days=1))),
     "Fin du congé", "ne peut pas précéder son début"),
    (lambda p, o: row(kind="entrée", ahv=NEW_AHV, last="Neuve", birth="12.04.1990", sex="X",
                      date=day(first_of_month()), salary="72000"), "Prénom", "Obligatoire"),
]


@pytest.mark.parametrize("builder,column,message", BAD_ROWS)
def test_each_bad_row_is_reported_with_row_column_and_message(
        as_user, hr_admin, staff_person, other_person, builder, column, message):
    client = as_user(hr_admin)
    response = upload(client, xlsx_bytes([HEADER, good_salary(staff_person),
                                          builder(staff_person, other_person)]))
    batch = MutationBatch.objects.get()
    report = [(r, c) for r, c, _code, _p in batch.errors]
    assert 3 in [r for r, _c in report]
    page = client.get(response["Location"]).content.decode().replace("&#x27;", "'")
    assert message in page and f"<td>{column}</td>" in page.replace("&#x27;", "'")
    assert batch.valid_count == 1 and not Mutation.objects.exists()


def test_an_exit_before_the_entry_date_is_reported(as_user, hr_admin, staff_person):
    staff_person.entry_date = first_of_month()
    staff_person.save()
    upload(as_user(hr_admin), xlsx_bytes([HEADER, row(
        kind="sortie", ahv=staff_person.ahv_number,
        date=day(first_of_month() - timedelta(days=3)))]))
    assert MutationBatch.objects.get().errors[0][2] == "exit_before_entry"


def test_duplicate_rows_are_reported_on_the_second(as_user, hr_admin, staff_person):
    upload(as_user(hr_admin), xlsx_bytes([HEADER, good_salary(staff_person),
                                          good_salary(staff_person, "96000")]))
    batch = MutationBatch.objects.get()
    assert batch.errors == [[3, "", "duplicate", {"row": 2}]]


def test_an_already_reported_change_is_reported(as_user, hr_admin, staff_person, mutation):
    upload(as_user(hr_admin), xlsx_bytes([HEADER, good_salary(staff_person)]))
    assert MutationBatch.objects.get().errors[0][2] == "already_reported"


@pytest.mark.parametrize("encoding,delimiter", [("utf-8", ";"), ("cp1252", ","),
                                                ("utf-8", ",")])
def test_csv_in_utf8_or_windows_1252_with_semicolons_or_commas(as_user, hr_admin, contract,
                                                               encoding, delimiter):
    entry = good_entry()
    entry[3] = "Müller-Brühl"
    response = upload(as_user(hr_admin), csv_bytes([entry], delimiter, encoding),
                      name="mutations.csv")
    batch = MutationBatch.objects.get()
    assert batch.valid_count == 1, batch.errors
    assert batch.rows[0]["last_name"] == "Müller-Brühl"
    assert response.status_code == 302


def test_headers_in_another_language_are_understood(as_user, hr_admin, staff_person):
    german = ["Art", "AHV-Nummer", "Gültig ab", "Jahreslohn (CHF)"]
    upload(as_user(hr_admin), xlsx_bytes([german, ["Lohn", staff_person.ahv_number,
                                                   day(first_of_month()), "99000"]]))
    batch = MutationBatch.objects.get()
    assert batch.valid_count == 1, batch.errors


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (300 * 1024 * 1024))
    return buffer.getvalue()


@pytest.mark.parametrize("content,name,message", [
    (b"", "vide.csv", "Le fichier est vide"),
    (b"\x00\x01\x02\xff\xfe" * 500, "garbage.xlsx", "n'est pas un tableau XLSX ou CSV"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "ancien.xls", "anciens fichiers Excel"),
    (b"PK\x03\x04 not really a zip", "faux.xlsx", "n'est pas un tableau XLSX ou CSV"),
    (b"Nom;Adresse\nA;B\n", "autre.csv", "Colonnes manquantes"),
    ("Type;Numéro AVS;Date d'effet\n".encode(), "entete.csv", "aucune ligne de données"),
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\x00\x00", "doc.xlsx",
     "n'est pas un tableau XLSX ou CSV"),
])
def test_files_that_are_no_spreadsheet_are_refused_with_a_message(as_user, hr_admin, content,
                                                                   name, message):
    response = upload(as_user(hr_admin), content, name=name)
    text = response.content.decode().replace("&#x27;", "'")
    if response.status_code == 302:
        text = as_user(hr_admin).get(response["Location"]).content.decode().replace(
            "&#x27;", "'")
    assert message in text
    assert not Mutation.objects.exists()


def test_a_zip_bomb_named_xlsx_is_refused_before_it_is_unpacked(as_user, hr_admin):
    bomb = _zip_bomb()
    assert len(bomb) < 1024 * 1024
    response = upload(as_user(hr_admin), bomb, name="salaires.xlsx")
    assert "anormalement compressé" in response.content.decode()
    assert not MutationBatch.objects.exists()


def test_a_file_over_10_mb_is_refused_unread(as_user, hr_admin, tmp_path, settings):
    response = upload(as_user(hr_admin), b"Type;Date d'effet\n" + b"x" * (11 * 1024 * 1024),
                      name="gros.csv")
    assert "dépasse 10 Mo" in response.content.decode()
    assert not MutationBatch.objects.exists()


def test_a_100_mb_file_is_refused_with_the_same_message(as_user, hr_admin):
    response = upload(as_user(hr_admin), b"\0" * (100 * 1024 * 1024), name="enorme.xlsx")
    assert response.status_code == 200
    assert "dépasse 10 Mo" in response.content.decode()


def test_more_than_50000_rows_are_refused(as_user, hr_admin, staff_person):
    line = ";".join(good_salary(staff_person))
    content = csv_bytes([]) + ((line + "\n") * 50_001).encode()
    response = upload(as_user(hr_admin), content, name="grand.csv")
    assert "plus de 50'000 lignes" in response.content.decode().replace("&#x27;", "'")
    assert not MutationBatch.objects.exists()


def test_a_file_over_500_rows_is_checked_in_the_background_with_progress(
        as_user, hr_admin, contract, django_capture_on_commit_callbacks):
    people = f.InsuredPersonFactory.create_batch(501, contract=contract)
    rows = [HEADER] + [good_salary(p) for p in people]
    client = as_user(hr_admin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = upload(client, xlsx_bytes(rows))
    batch = MutationBatch.objects.get()
    assert batch.status == "validating" and batch.total_rows == 501
    page = client.get(response["Location"]).content.decode()
    assert "<progress" in page and 'http-equiv="refresh"' in page and "js/progress.js" in page
    progress = client.get(f"/employer/uploads/{batch.pk}/progress/").json()
    assert progress == {"status": "validating", "done": 0, "total": 501, "percent": 0}
    for callback in callbacks:  # the Celery task (eager in tests)
        callback()
    batch.refresh_from_db()
    assert batch.status == "ready" and batch.valid_count == 501
    assert client.get(f"/employer/uploads/{batch.pk}/progress/").json()["percent"] == 100
    page = client.get(response["Location"]).content.decode()
    assert "<progress" not in page and "Transmettre les 501 lignes valables" in page


def test_another_companys_file_is_a_404(as_user, hr_admin, other_batch):
    client = as_user(hr_admin)
    assert client.get(f"/employer/uploads/{other_batch.pk}/").status_code == 404
    assert client.post(f"/employer/uploads/{other_batch.pk}/confirm/").status_code == 404
    assert not Mutation.objects.exists()


def test_a_read_only_third_party_cannot_upload(as_user, third_party, staff_person):
    response = upload(as_user(third_party), xlsx_bytes([HEADER, good_salary(staff_person)]))
    assert response.status_code == 403
    assert not MutationBatch.objects.exists()


def test_a_check_that_crashes_ends_with_a_message_not_an_endless_progress_bar(
        hr_admin, staff_person, monkeypatch):
    from policies import services
    from policies.tasks import mutation_batch_validate
    from tests.portals.employer.conftest import csv_upload

    created = services.batch_create(employer=staff_person.contract.employer, user=hr_admin,
                                    upload=csv_upload("Type;Date d'effet\nsalaire;01.01.2026\n"))

    def crash(**kwargs):
        raise RuntimeError("worker lost its database")

    monkeypatch.setattr(services, "batch_validate", crash)
    with pytest.raises(RuntimeError):
        mutation_batch_validate(created.pk)
    created.refresh_from_db()
    assert created.status == "failed" and created.failure == "unreadable"
