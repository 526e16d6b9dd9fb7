"""The fund's rules for mutations reported by an employer, in one place for the form and the file.

A mutation is checked the same way whether it is typed into a form or read from a row of an
uploaded XLSX/CSV file: `MutationChecker.check(row)` takes the row as a dict of column keys
(values typed: str from a CSV, numbers and datetimes from an XLSX, or values a form already
cleaned) and returns the cleaned row and a list of `Problem(column, code, params)`. The messages
live in MESSAGES, in French source text, translated when shown: a report stays readable in
whichever language the user switches to.

Reading a file (`read_table`) refuses before parsing what is not a spreadsheet: over 10 MB, a
zip that is no XLSX or that would unpack to more than it may (zip bomb), binary garbage, more
than 50,000 rows.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from stdnum.ch import ssn
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError

from . import swiss
from .models import InsuredPerson, Mutation

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
ASYNC_ROWS = 500  # more rows: validated by a Celery task, with a progress bar
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024  # what a 10 MB XLSX of 50,000 rows may unpack to
MAX_ZIP_RATIO = 200  # a real sheet compresses about 10:1; a bomb 1000:1
MAX_ZIP_ENTRIES = 1000
MAX_SALARY = Decimal("10000000")
MONTHS_BACK = 12
MONTHS_AHEAD = 12
MAX_REPORTED_ERRORS = 1000  # all are counted; the first ones are listed

Kind = Mutation.Kind
FILE_KINDS = (Kind.ENTRY, Kind.EXIT, Kind.SALARY, Kind.DEGREE, Kind.UNPAID_LEAVE)

# The file's columns: key -> header in the template (in the user's language).
COLUMNS: dict[str, Any] = {
    "kind": _("Type"),
    "ahv": _("Numéro AVS"),
    "personnel_number": _("N° de personnel"),
    "last_name": _("Nom"),
    "first_name": _("Prénom"),
    "birth_date": _("Date de naissance"),
    "sex": _("Sexe (F/M)"),
    "effective_date": _("Date d'effet"),
    "annual_salary": _("Salaire annuel (CHF)"),
    "employment_degree": _("Taux d'occupation (%)"),
    "exit_reason": _("Motif de sortie"),
    "end_date": _("Fin du congé"),
}
REQUIRED_COLUMNS = ("kind", "effective_date")
# Words for the type column, in the template's language (the keys are accepted too).
KIND_WORDS: dict[str, Any] = {
    Kind.ENTRY: _("entrée"),
    Kind.EXIT: _("sortie"),
    Kind.SALARY: _("salaire"),
    Kind.DEGREE: _("taux"),
    Kind.UNPAID_LEAVE: _("congé"),
}
SEX_WORDS = {
    "F": {"f", "w", "d", "femme", "frau", "donna", "female", "woman"},
    "M": {"m", "h", "u", "homme", "mann", "uomo", "male", "man"},
}

MESSAGES: dict[str, Any] = {
    # the file
    "too_big": _("Le fichier dépasse 10 Mo. Divisez-le en plusieurs fichiers."),
    "empty": _("Le fichier est vide."),
    "not_spreadsheet": _("Ce fichier n'est pas un tableau XLSX ou CSV. Enregistrez-le au "
                         "format XLSX ou CSV et téléversez-le à nouveau."),
    "old_excel": _("Les anciens fichiers Excel (.xls) ne sont pas acceptés : enregistrez-le au "
                   "format XLSX (Excel 2007 et plus récent) ou CSV."),
    "zip_bomb": _("Ce fichier XLSX est anormalement compressé et a été refusé pour des raisons "
                  "de sécurité."),
    "too_many_rows": _("Le fichier contient plus de 50'000 lignes. Divisez-le en plusieurs "
                       "fichiers."),
    "no_header": _("La première ligne doit contenir les titres des colonnes du modèle."),
    "missing_columns": _("Colonnes manquantes : %(columns)s. Utilisez le modèle à télécharger."),
    "unknown_columns": _("Colonnes inconnues : %(columns)s. Utilisez le modèle à télécharger."),
    "no_rows": _("Le fichier ne contient aucune ligne de données sous les titres."),
    "unreadable": _("Ce fichier n'a pas pu être lu. Enregistrez-le à nouveau au format XLSX ou "
                    "CSV."),
    # a cell
    "required": _("Obligatoire pour ce type de mutation."),
    "kind_unknown": _("Type inconnu. Valeurs possibles : %(choices)s."),
    "formula": _("Les formules ne sont pas acceptées : saisissez la valeur elle-même."),
    "ahv_invalid": _("Numéro AVS invalide. Format attendu : 756.1234.5678.97."),
    "ahv_checksum": _("Numéro AVS invalide : le dernier chiffre ne correspond pas."),
    "person_unknown": _("Aucune personne assurée de votre entreprise avec ce numéro."),
    "person_not_active": _("Cette personne n'est plus active dans votre entreprise."),
    "person_active": _("Cette personne est déjà assurée et active dans votre entreprise."),
    "person_pensioner": _("Cette personne touche une rente : contactez-nous."),
    "other_employer": _("Cette personne est assurée auprès d'un autre employeur affilié : "
                        "contactez-nous."),
    "personnel_mismatch": _("Le numéro de personnel ne correspond pas à ce numéro AVS."),
    "date_invalid": _("Date invalide. Format attendu : JJ.MM.AAAA."),
    "date_impossible": _("Cette date n'existe pas : vérifiez le jour, le mois et l'année."),
    "too_old": _("Les mutations de plus de 12 mois en arrière ne peuvent pas être annoncées "
                 "en ligne : contactez-nous."),
    "too_far": _("Cette date est plus de 12 mois dans le futur."),
    "not_first": _("Un changement de salaire ou de taux prend effet le 1er d'un mois."),
    "exit_before_entry": _("La date de sortie ne peut pas précéder la date d'entrée "
                           "(%(entry)s)."),
    "entry_before_exit": _("La nouvelle entrée ne peut pas précéder la dernière sortie "
                           "(%(exit)s)."),
    "end_before_start": _("La fin du congé ne peut pas précéder son début."),
    "birth_date": _("Date de naissance invalide : la personne doit avoir entre 15 et 75 ans."),
    "sex_invalid": _("Indiquez F ou M."),
    "number_invalid": _("Saisissez un nombre, par exemple 85000."),
    "negative": _("Le montant ne peut pas être négatif."),
    "absurd": _("Ce montant dépasse CHF 10'000'000 : vérifiez votre saisie."),
    "degree_range": _("Le taux d'occupation doit être entre 1 et 100 %."),
    "text_too_long": _("Au plus %(max)s caractères."),
    "duplicate": _("Même mutation qu'à la ligne %(row)s."),
    "already_reported": _("Cette mutation a déjà été annoncée (%(case)s)."),
}


def message(code: str, params: dict | None = None) -> str:
    text = str(MESSAGES.get(code, MESSAGES["unreadable"]))
    return text % params if params else text


@dataclass(frozen=True)
class Problem:
    column: str  # a COLUMNS key, or "" for the whole row / file
    code: str
    params: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return message(self.code, self.params)


class FileRefused(Exception):
    def __init__(self, code: str, params: dict | None = None) -> None:
        super().__init__(code)
        self.code, self.params = code, params or {}

    @property
    def text(self) -> str:
        return message(self.code, self.params)


# --- values --------------------------------------------------------------------------------------

def _fold(text: str) -> str:
    """'N° de personnel' -> 'ndepersonnel': headers and words compared without case, accents,
    spaces or punctuation."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]", "", text.casefold())


def _in_every_language(labels: dict[str, Any]) -> dict[str, str]:
    """folded label (in fr, de, it, en) or key -> key."""
    found = {_fold(key): key for key in labels}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            found.update({_fold(str(label)): key for key, label in labels.items()})
    return found


def is_formula(value: Any) -> bool:
    return isinstance(value, str) and value.lstrip().startswith(("=", "+", "@"))


def text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def parse_date(value: Any, *, past: bool = False) -> date:
    """A date cell: a date from XLSX, or text as people type it. ValueError(code)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return swiss.parse_day(text_of(value), today=timezone.localdate(), past=past)
    except swiss.NotADate as error:
        raise ValueError("date_impossible" if error.reason == "day" else "date_invalid") from None


def parse_number(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("number_invalid")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float):
        text = str(value)
    else:
        text = re.sub(r"[\s'’`%]|^CHF", "", text_of(value), flags=re.IGNORECASE).replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError("number_invalid") from None
    # NaN, an infinite cell, or a number too long to be an amount (1e309): not a number here.
    if not number.is_finite() or number.adjusted() > 15:
        raise ValueError("number_invalid")
    return number


def parse_ahv(value: Any) -> str:
    try:
        return ssn.format(ssn.validate(text_of(value)))
    except InvalidChecksum:
        raise ValueError("ahv_checksum") from None
    except StdnumError:
        raise ValueError("ahv_invalid") from None


def months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month - (
        1 if later.day < earlier.day else 0)


# --- the rules -----------------------------------------------------------------------------------

@dataclass
class StaffEntry:
    pk: int
    ahv: str
    status: str
    entry_date: date
    exit_date: date | None
    personnel_number: str
    employer_id: int


class MutationChecker:
    """Checks rows against the employer's staff, loaded once (20,000 persons: one query)."""

    def __init__(self, *, employer_id: int, today: date | None = None,
                 staff: Iterable[StaffEntry] | None = None,
                 open_mutations: dict[tuple, str] | None = None) -> None:
        self.employer_id = employer_id
        self.today = today or timezone.localdate()
        if staff is None:
            staff = (
                StaffEntry(*row, employer_id) for row in InsuredPerson.objects.filter(
                    contract__employer_id=employer_id).values_list(
                    "pk", "ahv_number", "status", "entry_date", "exit_date", "personnel_number")
            )
        self.by_ahv: dict[str, StaffEntry] = {}
        self.by_personnel: dict[str, StaffEntry] = {}
        for entry in staff:
            self.by_ahv[entry.ahv] = entry
            if entry.personnel_number:
                self.by_personnel[entry.personnel_number.casefold()] = entry
        if open_mutations is None:
            open_mutations = {
                open_key(kind, person_id, ahv, effective): case
                for kind, person_id, ahv, effective, case in Mutation.objects.filter(
                    employer_id=employer_id, status__in=Mutation.OPEN_STATUSES).values_list(
                    "kind", "person_id", "data__ahv", "effective_date", "case_number")
            }
        self.open_mutations = open_mutations
        self.seen: dict[tuple, int] = {}
        self.outsiders: dict[str, StaffEntry] = {}  # AHV numbers insured elsewhere, looked up
        self.kind_words = _in_every_language(KIND_WORDS)

    # The persons of other companies that entries name, in one query per chunk of rows.
    def load_outsiders(self, ahv_numbers: Iterable[str]) -> None:
        wanted = [a for a in set(ahv_numbers) if a not in self.by_ahv and a not in self.outsiders]
        for start in range(0, len(wanted), 1000):
            for row in InsuredPerson.objects.filter(ahv_number__in=wanted[start:start + 1000])\
                    .values_list("pk", "ahv_number", "status", "entry_date", "exit_date",
                                 "personnel_number", "contract__employer_id"):
                self.outsiders[row[1]] = StaffEntry(*row)

    def parse_kind(self, value: Any) -> str | None:
        return self.kind_words.get(_fold(text_of(value)))

    def check(self, raw: dict[str, Any], *, row_number: int | None = None,
              kind: str | None = None) -> tuple[dict[str, Any], list[Problem]]:
        problems: list[Problem] = []
        row: dict[str, Any] = {}

        def bad(column: str, code: str, **params) -> None:
            problems.append(Problem(column, code, params))

        for column, value in raw.items():
            if is_formula(value):
                bad(column, "formula")
        if problems:
            return row, problems

        if kind is None:
            kind = self.parse_kind(raw.get("kind"))
            if kind is None or kind not in FILE_KINDS:
                choices = ", ".join(str(KIND_WORDS[k]) for k in FILE_KINDS)
                bad("kind", "kind_unknown", choices=choices)
                return row, problems
        row["kind"] = kind

        effective = self._date(raw, "effective_date", bad, required=True)
        if effective is not None:
            if effective < _months_ago(self.today, MONTHS_BACK):
                bad("effective_date", "too_old")
            elif effective > _months_ago(self.today, -MONTHS_AHEAD):
                bad("effective_date", "too_far")
            row["effective_date"] = effective

        person = self._person(raw, row, kind, bad)

        if kind == Kind.ENTRY:
            for column in ("last_name", "first_name"):
                text = text_of(raw.get(column))
                if not text:
                    bad(column, "required")
                elif len(text) > 100:
                    bad(column, "text_too_long", max=100)
                row[column] = text
            birth = self._date(raw, "birth_date", bad, required=True, past=True)
            if birth is not None:
                age = (effective or self.today).year - birth.year
                if not 15 <= age <= 75:
                    bad("birth_date", "birth_date")
                row["birth_date"] = birth
            sex = _fold(text_of(raw.get("sex")))
            if not sex:
                bad("sex", "required")
            else:
                found = next((k for k, words in SEX_WORDS.items() if sex in words), None)
                if found is None:
                    bad("sex", "sex_invalid")
                row["sex"] = found
            self._salary(raw, row, bad, required=True)
            self._degree(raw, row, bad, required=False)
            row.setdefault("employment_degree", Decimal("100"))
        elif kind == Kind.EXIT:
            reason = text_of(raw.get("exit_reason"))
            if len(reason) > 200:
                bad("exit_reason", "text_too_long", max=200)
            row["exit_reason"] = reason
            if person is not None and effective is not None and effective < person.entry_date:
                bad("effective_date", "exit_before_entry", entry=swiss.day(person.entry_date))
        elif kind == Kind.SALARY:
            self._salary(raw, row, bad, required=True)
            if effective is not None and effective.day != 1:
                bad("effective_date", "not_first")
        elif kind == Kind.DEGREE:
            self._degree(raw, row, bad, required=True)
            if effective is not None and effective.day != 1:
                bad("effective_date", "not_first")
        elif kind == Kind.UNPAID_LEAVE:
            end = self._date(raw, "end_date", bad, required=True)
            if end is not None:
                if effective is not None and end < effective:
                    bad("end_date", "end_before_start")
                row["end_date"] = end

        if not problems and effective is not None:
            key = (kind, row.get("ahv"), effective.isoformat())
            if key in self.seen and row_number is not None:
                bad("", "duplicate", row=self.seen[key])
            elif row_number is not None:
                self.seen[key] = row_number
            case = self.open_mutations.get(
                open_key(kind, person.pk if person else None, row.get("ahv"), effective))
            if case:
                bad("", "already_reported", case=case)
        return row, problems

    # --- pieces ------------------------------------------------------------------------------

    def _date(self, raw, column, bad, *, required: bool, past: bool = False) -> date | None:
        value = raw.get(column)
        if value in (None, ""):
            if required:
                bad(column, "required")
            return None
        try:
            return parse_date(value, past=past)
        except ValueError as error:
            bad(column, str(error))
            return None

    def _salary(self, raw, row, bad, *, required: bool) -> None:
        value = raw.get("annual_salary")
        if value in (None, ""):
            if required:
                bad("annual_salary", "required")
            return
        try:
            amount = parse_number(value)
        except ValueError as error:
            bad("annual_salary", str(error))
            return
        if amount < 0:
            bad("annual_salary", "negative")
        elif amount > MAX_SALARY:
            bad("annual_salary", "absurd")
        else:
            row["annual_salary"] = amount.quantize(Decimal("0.01"))

    def _degree(self, raw, row, bad, *, required: bool) -> None:
        value = raw.get("employment_degree")
        if value in (None, ""):
            if required:
                bad("employment_degree", "required")
            return
        try:
            degree = parse_number(value)
        except ValueError as error:
            bad("employment_degree", str(error))
            return
        if isinstance(value, float) and 0 < degree <= 1:
            degree *= 100  # a spreadsheet cell formatted as 80 % holds 0.8
        if not Decimal("1") <= degree <= Decimal("100"):
            bad("employment_degree", "degree_range")
        else:
            row["employment_degree"] = degree.quantize(Decimal("0.01"))

    def _person(self, raw, row, kind, bad) -> StaffEntry | None:
        """The person the row is about: by AHV number (or personnel number for changes of a
        known person). For an entry: nobody active, here or elsewhere."""
        ahv_raw = raw.get("ahv")
        personnel = text_of(raw.get("personnel_number"))
        if len(personnel) > 30:
            bad("personnel_number", "text_too_long", max=30)
            personnel = ""
        row["personnel_number"] = personnel
        ahv = None
        if ahv_raw not in (None, ""):
            try:
                ahv = parse_ahv(ahv_raw)
            except ValueError as error:
                bad("ahv", str(error))
                return None
        if kind == Kind.ENTRY:
            if ahv is None:
                bad("ahv", "required")
                return None
            row["ahv"] = ahv
            own = self.by_ahv.get(ahv)
            if own is not None:
                if own.status == InsuredPerson.Status.ACTIVE:
                    bad("ahv", "person_active")
                elif own.status == InsuredPerson.Status.PENSIONER:
                    bad("ahv", "person_pensioner")
                else:
                    row["reentry"] = True
                    row["person_id"] = own.pk
                    effective = row.get("effective_date")
                    if own.exit_date and effective and effective <= own.exit_date:
                        bad("effective_date", "entry_before_exit",
                            exit=swiss.day(own.exit_date))
                return own
            if ahv not in self.outsiders:
                self.load_outsiders([ahv])
            other = self.outsiders.get(ahv)
            if other is not None:
                if other.status != InsuredPerson.Status.LEFT:
                    bad("ahv", "other_employer")
                else:
                    row["reentry"] = True
                    row["person_id"] = other.pk
            return None
        person = None
        if ahv is not None:
            person = self.by_ahv.get(ahv)
            if person is not None and personnel and person.personnel_number and (
                    person.personnel_number.casefold() != personnel.casefold()):
                bad("personnel_number", "personnel_mismatch")
        elif personnel:
            person = self.by_personnel.get(personnel.casefold())
        else:
            bad("ahv", "required")
            return None
        if person is None:
            bad("ahv" if ahv else "personnel_number", "person_unknown")
            return None
        if person.status != InsuredPerson.Status.ACTIVE:
            bad("ahv" if ahv else "personnel_number", "person_not_active")
            return None
        row["ahv"] = person.ahv
        row["person_id"] = person.pk
        return person


def open_key(kind: str, person_id: int | None, ahv: str | None, effective: date) -> tuple:
    """What makes two reports the same: an entry by its AHV number (the person may not exist
    yet), any other change by its person; with the kind and the date."""
    who = ahv or "" if kind == Kind.ENTRY else person_id
    return (kind, who, effective.isoformat())


def _months_ago(today: date, months: int) -> date:
    """The same day `months` months earlier (negative: later), clamped to the month's end."""
    month_index = today.year * 12 + today.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for day in (today.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return date(year, month, 28)


def effective_date_problem(effective: date, today: date | None = None) -> str | None:
    today = today or timezone.localdate()
    if effective < _months_ago(today, MONTHS_BACK):
        return "too_old"
    if effective > _months_ago(today, -MONTHS_AHEAD):
        return "too_far"
    return None


# --- reading a file ------------------------------------------------------------------------------

@dataclass
class Table:
    columns: list[str]  # COLUMNS keys, in the file's order ("" for an ignored empty header)
    rows: Iterator[tuple[int, dict[str, Any]]]  # (row number as the user sees it, values)
    count: int  # data rows (after the header)
    close: Callable[[], None] = lambda: None


def sniff(head: bytes) -> str:
    """"xlsx", "csv", or raises FileRefused: judged from the first bytes, not the name."""
    if not head.strip():
        raise FileRefused("empty")
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRefused("old_excel")
    if b"\x00" in head:
        raise FileRefused("not_spreadsheet")
    # Text: most bytes printable (UTF-8 or Windows-1252 letters are fine).
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    if controls > len(head) // 100:
        raise FileRefused("not_spreadsheet")
    return "csv"


def zip_check(handle) -> None:
    """An XLSX is a zip: refuse one that is no workbook or would unpack to too much, before
    openpyxl inflates anything."""
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileRefused("not_spreadsheet") from None
    with archive:
        infos = archive.infolist()
        names = {info.filename for info in infos}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise FileRefused("not_spreadsheet")
        if len(infos) > MAX_ZIP_ENTRIES:
            raise FileRefused("zip_bomb")
        total = 0
        for info in infos:
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if total > MAX_UNZIPPED_BYTES or (info.file_size > 1_000_000 and
                                                ratio > MAX_ZIP_RATIO):
                raise FileRefused("zip_bomb")
    handle.seek(0)


def _header_map(header: list[Any]) -> tuple[list[str], list[str]]:
    known = _in_every_language(COLUMNS)
    columns, unknown = [], []
    for cell in header:
        text = text_of(cell)
        key = known.get(_fold(text), "") if text else ""
        if text and not key:
            unknown.append(text[:40])
        columns.append(key)
    return columns, unknown


def _check_header(columns: list[str], unknown: list[str]) -> None:
    if not any(columns):
        if unknown:
            raise FileRefused("unknown_columns", {"columns": ", ".join(unknown[:5])})
        raise FileRefused("no_header")
    missing = [str(COLUMNS[c]) for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise FileRefused("missing_columns", {"columns": ", ".join(missing)})
    if unknown:
        raise FileRefused("unknown_columns", {"columns": ", ".join(unknown[:5])})


def _rows_of(columns: list[str], source: Iterable[tuple[int, Iterable[Any]]]):
    for number, values in source:
        row = {}
        for key, value in zip(columns, values, strict=False):
            if key:
                row[key] = value.strip() if isinstance(value, str) else value
        if any(v not in (None, "") for v in row.values()):
            yield number, row


def read_table(handle, *, size: int) -> Table:
    """The rows of an uploaded XLSX or CSV. Raises FileRefused with a code from MESSAGES."""
    if size > MAX_UPLOAD_BYTES:
        raise FileRefused("too_big")
    head = handle.read(4096)
    handle.seek(0)
    if sniff(head) == "xlsx":
        return _read_xlsx(handle)
    return _read_csv(handle.read(MAX_UPLOAD_BYTES + 1))


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _read_csv(data: bytes) -> Table:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    if "\t" in first_line and first_line.count("\t") > first_line.count(delimiter):
        delimiter = "\t"
    lines = text.splitlines()
    if len(lines) - 1 > MAX_ROWS:
        raise FileRefused("too_many_rows")
    try:
        parsed = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error:
        raise FileRefused("unreadable") from None
    if not parsed:
        raise FileRefused("empty")
    columns, unknown = _header_map(parsed[0])
    _check_header(columns, unknown)
    rows = list(_rows_of(columns, enumerate(parsed[1:], start=2)))
    if len(rows) > MAX_ROWS:
        raise FileRefused("too_many_rows")
    if not rows:
        raise FileRefused("no_rows")
    return Table(columns=columns, rows=iter(rows), count=len(rows))


def _read_xlsx(handle) -> Table:
    from openpyxl import load_workbook

    zip_check(handle)
    try:
        workbook = load_workbook(handle, read_only=True, data_only=False)
        sheet = workbook.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        header = next(values, None)
    except Exception:  # openpyxl raises many kinds on a damaged file  # noqa: BLE001
        raise FileRefused("unreadable") from None
    if header is None:
        workbook.close()
        raise FileRefused("empty")
    columns, unknown = _header_map(list(header))
    try:
        _check_header(columns, unknown)
        rows = []
        for number, row in _rows_of(columns, enumerate(values, start=2)):
            rows.append((number, row))
            if len(rows) > MAX_ROWS:
                raise FileRefused("too_many_rows")
    except FileRefused:
        workbook.close()
        raise
    except Exception:  # noqa: BLE001
        workbook.close()
        raise FileRefused("unreadable") from None
    workbook.close()
    if not rows:
        raise FileRefused("no_rows")
    return Table(columns=columns, rows=iter(rows), count=len(rows))


def count_rows(handle, *, size: int) -> int:
    """The number of data rows, to choose between validating now and in the background."""
    table = read_table(handle, size=size)
    handle.seek(0)
    return table.count


def safe_name(name: str) -> str:
    """The uploaded file's name as shown back to the user (no path, no control characters)."""
    name = re.sub(r"[\x00-\x1f\x7f/\\]+", "-", str(name or "")).strip(" .-")
    return name[-120:] or "fichier"


# --- the report ----------------------------------------------------------------------------------

@dataclass
class Outcome:
    valid: list[dict[str, Any]]
    errors: list[list[Any]]  # [row, column, code, params], the first MAX_REPORTED_ERRORS
    error_count: int
    total: int


def jsonable(row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in row.items():
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        out[key] = value
    return out


def validate_table(table: Table, checker: MutationChecker, *,
                   progress: Callable[[int], None] | None = None, only_kind: str | None = None,
                   every: int = 250) -> Outcome:
    rows = list(table.rows)
    checker.load_outsiders(
        a for a in (_quiet_ahv(r.get("ahv")) for _n, r in rows) if a)
    valid, errors, error_count = [], [], 0
    for index, (number, raw) in enumerate(rows, start=1):
        cleaned, problems = checker.check(raw, row_number=number, kind=only_kind)
        if problems:
            error_count += len(problems)
            for problem in problems:
                if len(errors) < MAX_REPORTED_ERRORS:
                    errors.append([number, problem.column, problem.code, problem.params])
        else:
            cleaned["row"] = number
            valid.append(jsonable(cleaned))
        if progress is not None and index % every == 0:
            progress(index)
    return Outcome(valid=valid, errors=errors, error_count=error_count, total=len(rows))


def _quiet_ahv(value: Any) -> str | None:
    if value in (None, "") or is_formula(value):
        return None
    try:
        return parse_ahv(value)
    except ValueError:
        return None


# --- the template --------------------------------------------------------------------------------

TEMPLATE_EXAMPLES = [
    {"kind": Kind.ENTRY, "ahv": "756.9217.0769.85", "personnel_number": "1001",
     "last_name": "Exemple", "first_name": "Anna", "birth_date": date(1990, 4, 12), "sex": "F",
     "annual_salary": Decimal("72000"), "employment_degree": Decimal("80")},
    {"kind": Kind.SALARY, "ahv": "756.1234.5678.97", "annual_salary": Decimal("91000")},
    {"kind": Kind.EXIT, "personnel_number": "1002", "exit_reason": ""},
]


def template_rows(today: date | None = None) -> Iterator[list[Any]]:
    """The header in the active language, then example rows (to be overwritten)."""
    today = today or timezone.localdate()
    first = today.replace(day=1)
    yield [str(label) for label in COLUMNS.values()]
    for example in TEMPLATE_EXAMPLES:
        values = {**example, "kind": str(KIND_WORDS[example["kind"]]), "effective_date": first}
        yield [values.get(key, "") for key in COLUMNS]


def month_start(today: date | None = None) -> date:
    today = today or timezone.localdate()
    return today.replace(day=1)


def next_month_start(today: date | None = None) -> date:
    return (month_start(today) + timedelta(days=32)).replace(day=1)
