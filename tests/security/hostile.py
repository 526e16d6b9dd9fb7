"""Hypothesis strategies for hostile form posts: what an attacker, a broken client or a cat on
the keyboard sends to a form.

A payload is built from the fields a page offers (tests/security/discovery.py): each field is
left out, sent with a value the page offers or a plausible one (so that validation goes past
the first field), sent with a hostile value, or sent several times; extra fields are added;
the body is URL-encoded or multipart (with files of every kind), or not a form at all.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from functools import cache
from urllib.parse import quote_from_bytes

from hypothesis import strategies as st

from .discovery import Field, Form

OMIT = object()

SQL = [
    "' OR '1'='1", "' OR 1=1 --", "1; DROP TABLE accounts_user; --", "\" OR \"\"=\"",
    "admin'--", "1 UNION SELECT password FROM accounts_user", "%", "_", "\\", "%%_%", "';",
    "1' AND SLEEP(5)--", "$where: '1 == 1'", "{\"$gt\": \"\"}",
]
SCRIPT = [
    "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "javascript:alert(1)",
    "{{ 7*7 }}", "{% debug %}", "${7*7}", "<!--", "]]>", "&lt;&#x3C;", "</textarea><b>",
    "<svg/onload=alert(1)>", "data:text/html,<script>alert(1)</script>",
]
DATES = [
    "31.02.2026", "29.02.2025", "30.02.2024", "31.04.2026", "00.00.0000", "32.13.2026",
    "1.1.0", "01.01.10000", "31.12.9999", "01.01.0001", "9999-99-99", "2026-02-31",
    "-1.-1.-1", "1e10.1.2026", "31.12.", "..", "1.1.1", "29.2.00", "12/31/2026",
    "2026-13-01T00:00", "01.01.2026 25:61", "٣١.١٢.٢٠٢٦",
]
AHV = [
    "756.1234.5678.90", "756.1234.5678.9", "756.0000.0000.00", "7561234567890",
    "756.1234.5678.977", "000.0000.0000.00", "756 1234 5678 97 ", "756.1234.5678.97",
    "756.١٢٣٤.٥٦٧٨.٩٧", "756-1234-5678-97", "75612345678977777777",
]
NUMBERS = [
    "1e309", "-1e309", "1e-309", "-0", "-0.0", "+0", "NaN", "nan", "-NaN", "sNaN",
    "Infinity", "-Infinity", "inf", "1e999999999", "9" * 400, "0." + "0" * 300 + "1",
    "99999999999999999999", "-99999999999999999999", "1'000'000'000", "CHF -1", "1,2,3",
    "0x10", "1_000", "١٢٣", "½", "²", "１２３", "12.345.678,90", "- 5", "5-", "1e3",
    "2147483648", "-2147483649", "9223372036854775808", "0.001", "12,", ",5", "'", "CHF",
]
CODES = ["000000", "123456", "١٢٣٤٥٦", "¹²³⁴⁵⁶", "①②③④⑤⑥", "12345", "1234567", " 123456 ",
         "ABCD-EFGH-JKLM", "abcd-efgh-jklm", "DEMO-2026-ALPN", "-1", "12 34 56"]
EMAILS = ["a@b", "x" * 250 + "@example.ch", "ünïcode@exämple.ch", "x@[127.0.0.1]",
          "x@localhost", "a@b.c\nBcc: victim@example.ch", "\"a b\"@example.ch", "@", "a@@b.ch",
          "claire@example.ch", "CLAIRE@EXAMPLE.CH"]
PHONES = ["+41 79 000 00 00", "+999", "0" * 40, "+41791234567" * 3, "079 123 45 67",
          "+41 21 555 66 00", "+33 6 12 34 56 78", "+1 900 555 0100", "tel:+41791234567"]
IBANS = ["CH00 0000 0000 0000 0000 0", "CH44 3199 9123 0008 8901 2",
         "DE89 3704 0044 0532 0130 00", "CH93 0076 2011 6238 5295 7", "CH93", "XX" * 30]
WRONG_TYPES = ["on", "off", "true", "false", "True", "None", "null", "undefined", "[]", "{}",
               "[1, 2]", "{\"a\": 1}", "0", "1", "-1", "", " ", "\t", "\r\n", "yes", "no"]
CONTROL = ["\x00", "a\x00b", "\x00" * 10, "\x1b[31m", "\r\n\r\n", "\u202e", "\ufeff",
           "\u200b", "\ud7ff", "\U0010ffff", "\x7f", "\x85", "\u2028", "e\u0301" * 20]
FIXED = SQL + SCRIPT + DATES + AHV + NUMBERS + CODES + EMAILS + PHONES + IBANS + \
    WRONG_TYPES + CONTROL

BIG = 100 * 1024


def _long(unit: str, size: int) -> str:
    return (unit * (size // max(len(unit), 1) + 1))[:size]


hostile_text = st.one_of(
    st.sampled_from(FIXED),
    st.text(max_size=40),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Nd",
                                               "No", "So"]), max_size=16),
    st.builds(_long, st.sampled_from(["a", "é", "\x00", "9", "<", "💥", "ab'\""]),
              st.sampled_from([256, 1025, BIG])),
    st.integers().map(str),
    st.floats().map(repr),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)

# Field names that say what a plausible value looks like (so that one hostile field sits among
# acceptable ones and validation reaches it).
PLAUSIBLE = [
    (("email", "login", "username"), ["claire@example.ch", "new@example.ch",
                                      "756.3047.5009.62"]),
    (("ahv", "person_ref"), ["756.3047.5009.62", "P-17"]),
    (("birth", "date", "valid_until", "_from", "_to", "start", "end", "opens", "due"),
     ["12.04.1968", "01.01.2027", "1.2.26", "2026-12-31"]),
    (("salary", "amount", "balance", "outstanding", "rate", "percent", "degree", "premium",
      "capital", "share", "total", "value", "age"),
     ["85000", "12'500.50", "25", "64", "100"]),
    (("mobile", "phone", "number"), ["079 123 45 67", "+41 79 123 45 67", "P-810001"]),
    (("iban",), ["CH93 0076 2011 6238 5295 7"]),
    (("code", "token"), ["123456", "ABCD-EFGH-JKLM", "demo1111"]),
    (("password",), ["Correct-Horse-9", "Velo-Rouge-2024!"]),
    (("postcode", "npa"), ["1003", "75001"]),
    (("uid", "organisation_number", "register"), ["CHE-123.456.788", "F12345678"]),
]


def plausible_values(field: Field) -> list[str]:
    name = field.name.lower()
    found = [v for v in field.values if v is not None]
    for words, values in PLAUSIBLE:
        if any(word in name for word in words):
            found += values
    if field.kind in ("text", "textarea", "search") and not found:
        found += ["Favre", "Rue du Lac 1", "Lausanne"]
    return found or [""]


# --- files ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes
    content_type: str


@cache
def _files() -> dict[str, bytes]:
    from openpyxl import Workbook

    def zipped(entries: dict[str, bytes]) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in entries.items():
                archive.writestr(name, data)
        return buffer.getvalue()

    book = Workbook()
    sheet = book.active
    sheet.append(["Type", "Numéro AVS", "Date d'effet", "Salaire annuel (CHF)"])
    for row in (["salaire", "756.1234.5678.90", "31.02.2026", "1e309"],
                ["=cmd|' /C calc'!A0", None, "x" * 300, "-0"], ["\x00", 1, 2.5, None]):
        sheet.append([value.replace("\x00", "") if isinstance(value, str) else value
                      for value in row])
    xlsx = io.BytesIO()
    book.save(xlsx)
    csv_rows = "\n".join(f"salaire;756.1234.5678.90;31.02.2026;{n}e309" for n in range(600))
    return {
        "empty": b"",
        "text": b"hello",
        "fake_pdf": b"this is not a pdf at all",
        "pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF",
        "zip": zipped({"a.txt": b"a", "../../evil.txt": b"x"}),
        "zip_bomb": zipped({"xl/worksheets/sheet1.xml": b"\0" * (40 * 1024 * 1024),
                            "[Content_Types].xml": b"<Types/>"}),
        "fake_xlsx": zipped({"hello.txt": b"not a workbook"}),
        "xlsx": xlsx.getvalue(),
        "csv": ("Type;Numéro AVS;Date d'effet;Salaire annuel (CHF)\n"
                "salaire;756.1234.5678.90;31.02.2026;1e309\n;;;\n\x00;\x00;\x00\n").encode(),
        "csv_many": ("Type;Numéro AVS;Date d'effet;Salaire annuel (CHF)\n" + csv_rows).encode(),
        "csv_latin1": "Type;Nom\nsalaire;Müller é\n".encode("latin-1"),
        "csv_bom_utf16": "Type;Nom\nsalaire;x\n".encode("utf-16"),
        "exe": b"MZ\x90\x00" + bytes(range(256)) * 8,
        "png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
        "huge": b"A" * (10 * 1024 * 1024 + 1),
    }


FILENAMES = ["mutations.csv", "mutations.xlsx", "document.pdf", "../../etc/passwd",
             "x" * 300 + ".csv", "fichier é.xlsx", "<script>.csv", "con.csv", "", ".csv",
             "a.csv.exe", "archive.zip", "photo.png", "nul\x00.csv", "a\r\nb.csv"]
CONTENT_TYPES = ["text/csv", "application/pdf", "application/zip", "application/octet-stream",
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "text/html", "image/png", "multipart/form-data", ""]

uploads = st.builds(
    lambda kind, name, ctype: Upload(name, _files()[kind], ctype),
    st.sampled_from(sorted(["empty", "text", "fake_pdf", "pdf", "zip", "zip_bomb", "fake_xlsx",
                            "xlsx", "csv", "csv_many", "csv_latin1", "csv_bom_utf16", "exe",
                            "png", "huge"])),
    st.sampled_from(FILENAMES), st.sampled_from(CONTENT_TYPES),
)


# --- payloads ------------------------------------------------------------------------------------

@dataclass
class Payload:
    """What one hostile post sends: pairs (a name may repeat), and how the body is encoded."""

    pairs: list[tuple[str, object]]
    encoding: str  # "urlencoded", "multipart", "json", "raw"
    raw: bytes = b""

    def summary(self, width: int = 300) -> str:
        shown = [(k[:40], (repr(v)[:60] if not isinstance(v, Upload) else
                           f"<file {v.filename[:30]!r} {len(v.content)} B>"))
                 for k, v in self.pairs]
        return f"{self.encoding}: {shown}"[:width]


FORMSET_COUNTS = ("-TOTAL_FORMS", "-INITIAL_FORMS", "-MIN_NUM_FORMS", "-MAX_NUM_FORMS")
SMALL_COUNTS = ["-1", "", "x", "1e309", "NaN", "0", "3", "١", "²", "1.5", "\x00", " 1 "]


def _field_value(field: Field):
    """What one field gets: built once per form (strategy construction is not free)."""
    if field.kind == "file":
        return st.one_of(uploads, hostile_text)
    offered = st.sampled_from(plausible_values(field))
    if field.name.endswith(FORMSET_COUNTS):
        # A formset's counts: a large one makes Django's admin build up to 2,000 inline forms
        # (no error, but 15 s of work for one post): small and broken counts only.
        return st.one_of(offered, offered, offered, st.sampled_from(SMALL_COUNTS), st.just(OMIT))
    management = field.kind in ("hidden", "button")  # mostly as the page has them
    return st.one_of(
        offered, offered, offered, offered, *([offered] * 4 if management else []),
        hostile_text, hostile_text, hostile_text,
        st.just(OMIT), st.just(OMIT),
        st.lists(st.one_of(offered, hostile_text), min_size=2, max_size=3),
        uploads,
    )


_EXTRA = st.lists(st.tuples(
    st.one_of(st.sampled_from(["id", "pk", "user", "user_id", "is_staff", "is_superuser",
                               "employer", "status", "csrfmiddlewaretoken", "next",
                               "__proto__", "a[]", "a[b]", "", " ", "\x00", "x" * 1000]),
              st.text(max_size=12)),
    st.one_of(hostile_text, uploads)), max_size=3)

_RAW = st.one_of(
    st.sampled_from([b"%", b"%zz=%FF&&==&a=%FF%FE", b"a=" + b"%00" * 50,
                     b"=" * 200, b"&" * 2000, b"a" * 1200 + b"=1",
                     "&".join(f"f{i}=1" for i in range(1200)).encode(),
                     b"\xff\xfe\x00\x01", b"{\"json\": true}"]),
    st.binary(max_size=200),
)
_ENCODINGS = st.sampled_from(["urlencoded"] * 6 + ["multipart"] * 3 + ["json", "raw"])


def payloads(form: Form):
    """The strategy of hostile posts to one form (one tuple of draws, assembled)."""
    import random

    names = list(form.fields)
    values = st.tuples(*[_field_value(form.fields[name]) for name in names])

    def assemble(drawn) -> Payload:
        encoding, field_values, extra, shuffle, seed, raw = drawn
        if encoding == "raw":
            return Payload([], "raw", raw)
        pairs: list[tuple[str, object]] = []
        for name, value in zip(names, field_values, strict=True):
            if value is OMIT:
                continue
            for item in value if isinstance(value, list) else [value]:
                pairs.append((name, item))
        pairs += extra
        if shuffle == 0:
            random.Random(seed).shuffle(pairs)
        if encoding == "urlencoded" and any(isinstance(v, Upload) for _k, v in pairs):
            encoding = "multipart"
        return Payload(pairs, encoding)

    return st.tuples(_ENCODINGS, values, _EXTRA, st.integers(0, 3), st.integers(0, 2**16),
                     _RAW).map(assemble)


# --- encoding ------------------------------------------------------------------------------------

BOUNDARY = "HoStIlEbOuNdArY"


def _text(value) -> bytes:
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value


def encode(payload: Payload) -> tuple[bytes, str]:
    """(body, content type) exactly as sent: names and values as typed, repeated keys kept."""
    if payload.encoding == "raw":
        return payload.raw, "application/x-www-form-urlencoded"
    if payload.encoding == "json":
        import json

        data = {k: (v if isinstance(v, str) else f"<file {v.filename}>") for k, v in
                payload.pairs}
        return json.dumps(data).encode("utf-8", "surrogatepass"), "application/json"
    if payload.encoding == "urlencoded":
        body = "&".join(f"{quote_from_bytes(_text(k))}={quote_from_bytes(_text(v))}"
                        for k, v in payload.pairs)
        return body.encode(), "application/x-www-form-urlencoded"
    lines: list[bytes] = []
    for name, value in payload.pairs:
        lines.append(f"--{BOUNDARY}".encode())
        if isinstance(value, Upload):
            lines.append(b'Content-Disposition: form-data; name="' + _text(name) +
                         b'"; filename="' + _text(value.filename) + b'"')
            lines.append(b"Content-Type: " + _text(value.content_type or "text/plain"))
            lines.append(b"")
            lines.append(value.content)
        else:
            lines.append(b'Content-Disposition: form-data; name="' + _text(name) + b'"')
            lines.append(b"")
            lines.append(_text(value))
    lines.append(f"--{BOUNDARY}--".encode())
    lines.append(b"")
    return b"\r\n".join(lines), f"multipart/form-data; boundary={BOUNDARY}"


def query_string(payload: Payload) -> str:
    """A GET form's query: the same pairs, files sent as their names."""
    pairs = [(k, v.filename if isinstance(v, Upload) else v) for k, v in payload.pairs]
    if payload.encoding == "raw":
        return quote_from_bytes(payload.raw, safe="=&%")
    return "&".join(f"{quote_from_bytes(_text(k))}={quote_from_bytes(_text(v))}"
                    for k, v in pairs)
