"""The list toolkit (portals/common/lists.py) through a real page: search, filters, sort,
pagination and exports answer whatever a URL carries, and exports hold exactly the listed
columns, defused, streamed."""

from __future__ import annotations

import csv
import io
import re
import tracemalloc
from datetime import date
from decimal import Decimal
from html import unescape

import pytest
from django.http import FileResponse, StreamingHttpResponse
from openpyxl import load_workbook
from stdnum import ean

from policies.models import InsuredPerson
from tests import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.portals.common.list_urls")]
URL = "/people/"


@pytest.fixture
def people():
    contract = f.ContractFactory(employer=f.EmployerFactory(name="Boulangerie Test SA"))
    rows = [("Favre", "Claire", "85000", "active"), ("Favre", "Marc", "62000.50", "left"),
            ("Müller", "Anna", "120000", "active"), ("Rossi", "Luca", "45000", "pensioner")]
    return [f.InsuredPersonFactory(contract=contract, last_name=last, first_name=first,
                                   annual_salary=Decimal(salary), status=status)
            for last, first, salary, status in rows]


def names(response) -> list[str]:
    return [unescape(n) for n in re.findall(r'<th scope="row">(.*?)</th>',
                                            response.content.decode())]


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:]), delimiter=";"))


def xlsx_rows(response) -> list[list]:
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


# --- the page ------------------------------------------------------------------------------

def test_it_lists_every_row_sorted_by_the_default_column(client, people):
    response = client.get(URL)
    assert response.status_code == 200
    assert names(response) == ["Favre Claire", "Favre Marc", "Müller Anna", "Rossi Luca"]
    assert "4 lignes" in response.content.decode()


def test_search_finds_rows_where_every_word_matches(client, people):
    assert names(client.get(URL, {"q": "favre"})) == ["Favre Claire", "Favre Marc"]
    assert names(client.get(URL, {"q": "  Favre   marc "})) == ["Favre Marc"]
    assert names(client.get(URL, {"q": "nobody"})) == []
    assert "Aucune ligne ne correspond" in client.get(URL, {"q": "nobody"}).content.decode()


@pytest.mark.parametrize("typed", ["Fav\x00re", "x" * 5000, "%", "_", "' OR 1=1 --", "<script>"])
def test_any_search_text_gets_a_page(client, people, typed):
    response = client.get(URL, {"q": typed})
    assert response.status_code == 200
    assert "<script>" not in response.content.decode()


def test_a_filter_narrows_the_rows_and_stays_selected(client, people):
    response = client.get(URL, {"status": "active"})
    assert names(response) == ["Favre Claire", "Müller Anna"]
    assert '<option value="active" selected>' in response.content.decode()


def test_a_filter_with_choices_from_the_view_narrows_by_its_lookup(client, people):
    other = f.InsuredPersonFactory(last_name="Autre", first_name="Otto")
    assert names(client.get(URL, {"contract": other.contract_id})) == ["Autre Otto"]


@pytest.mark.parametrize("params", [
    {"status": "bogus"}, {"status": "' OR 1=1 --"}, {"contract": "999999"},
    {"contract": "abc"}, {"unknown": "x"}, {"status": ""},
])
def test_an_unknown_filter_value_is_ignored(client, people, params):
    response = client.get(URL, params)
    assert response.status_code == 200
    assert len(names(response)) == 4


def test_sorting_on_a_whitelisted_column_both_ways(client, people):
    response = client.get(URL, {"sort": "-salary"})
    assert names(response) == ["Müller Anna", "Favre Claire", "Favre Marc", "Rossi Luca"]
    html = response.content.decode()
    assert 'aria-sort="descending"' in html
    assert 'href="?sort=salary"' in html  # the header sorts the other way next
    assert names(client.get(URL, {"sort": "salary"}))[0] == "Rossi Luca"


@pytest.mark.parametrize("sort", ["password", "-ahv_number", "contract__employer__uid", "", "-"])
def test_an_unknown_sort_key_is_ignored(client, people, sort):
    response = client.get(URL, {"sort": sort})
    assert response.status_code == 200
    assert names(response) == ["Favre Claire", "Favre Marc", "Müller Anna", "Rossi Luca"]


def test_a_cell_is_shown_in_swiss_format(client, people):
    html = client.get(URL, {"q": "Marc"}).content.decode()
    assert "62&#x27;000.50" in html and "01.01.2016" in html and "Sortie" in html


def test_the_page_costs_the_same_queries_whatever_the_rows(client, many,
                                                           django_assert_num_queries):
    with django_assert_num_queries(3):  # count, page (with employer), the contract choices
        client.get(URL, {"contract": many[0].contract_id, "page": "2"})


# --- pagination ----------------------------------------------------------------------------

@pytest.fixture
def many(people):
    contract = people[0].contract
    return [f.InsuredPersonFactory(contract=contract, last_name=f"Zeta{n:02d}") for n in range(21)]


def page_number(response) -> str:
    return re.search(r'aria-current="page"><span class="visually-hidden">Page </span>(\d+)',
                     response.content.decode()).group(1)


@pytest.mark.parametrize("page,expected", [
    ("1", "1"), ("2", "2"), ("3", "3"), ("999", "3"), ("last", "3"), ("-1", "1"), ("0", "1"),
    ("abc", "1"), ("", "1"), ("1e3", "1"), ("9" * 40, "3"),
])
def test_a_page_out_of_range_shows_the_nearest_page(client, many, page, expected):
    response = client.get(URL, {"page": page})
    assert response.status_code == 200
    assert page_number(response) == expected


def test_page_links_keep_the_search_filters_and_sort(client, many):
    html = unescape(client.get(URL, {"q": "zeta", "status": "active", "sort": "-entry",
                                     "page": "2"}).content.decode())
    assert 'href="?q=zeta&status=active&sort=-entry&page=3" rel="next"' in html
    assert 'href="?q=zeta&status=active&sort=-entry&page=1" rel="prev"' in html
    assert 'name="sort" value="-entry"' in html  # a new search keeps the sort


# --- exports -------------------------------------------------------------------------------

def test_the_csv_holds_exactly_the_listed_columns_with_bom_and_semicolons(client, people):
    page = client.get(URL).content.decode()
    listed = [unescape(re.sub(r"<.*?>", "", h)).replace(" ▲", "").strip()
              for h in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', page)]
    response = client.get(URL, {"export": "csv"})
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Cache-Control"] == "no-store, private"
    assert re.fullmatch(r'attachment; filename="assures-\d{8}\.csv"',
                        response["Content-Disposition"])
    rows = csv_rows(response)
    assert rows[0] == listed == ["Nom", "Employeur", "Statut", "Salaire annuel", "Entrée"]
    assert rows[1] == ["Favre Claire", "Boulangerie Test SA", "Active", "85000.00",
                       "01.01.2016"]
    assert len(rows) == 5


def test_an_export_follows_the_search_filters_and_sort_and_ignores_the_page(client, many):
    rows = csv_rows(client.get(URL, {"q": "zeta", "sort": "-name", "page": "2",
                                     "export": "csv"}))
    assert len(rows) == 1 + 21  # every matching row, not one page
    assert rows[1][0].startswith("Zeta20") and rows[-1][0].startswith("Zeta00")


def test_the_xlsx_holds_the_listed_columns_with_numbers_and_dates(client, people):
    response = client.get(URL, {"export": "xlsx", "status": "active"})
    assert isinstance(response, FileResponse)
    assert response["Cache-Control"] == "no-store, private"
    assert response["Content-Disposition"].endswith('.xlsx"')
    rows = xlsx_rows(response)
    assert rows[0] == ["Nom", "Employeur", "Statut", "Salaire annuel", "Entrée"]
    assert rows[1][0] == "Favre Claire" and rows[1][3] == 85000
    assert rows[1][4].date() == date(2016, 1, 1)
    assert len(rows) == 3


def test_an_unknown_export_format_shows_the_page(client, people):
    response = client.get(URL, {"export": "pdf"})
    assert response.status_code == 200 and "Content-Disposition" not in response


@pytest.mark.parametrize("typed", [
    '=HYPERLINK("http://evil.example","x")', "+41 79 123 45 67", "-2+3", "@SUM(A1)",
    "\t=1+1", " =1+1",
])
def test_a_formula_typed_into_a_name_is_written_as_text(client, people, typed):
    person = people[0]
    InsuredPerson.objects.filter(pk=person.pk).update(first_name="Claire", last_name=typed)
    expected = f"'{typed} Claire"
    csv_cells = [row[0] for row in csv_rows(client.get(URL, {"export": "csv"}))]
    assert expected in csv_cells
    xlsx_cells = [row[0] for row in xlsx_rows(client.get(URL, {"export": "xlsx"}))]
    assert expected in xlsx_cells


def test_a_plain_name_is_not_touched(client, people):
    cells = [row[0] for row in csv_rows(client.get(URL, {"export": "csv"}))]
    assert "Favre Claire" in cells and not any(c.startswith("'") for c in cells)


# --- 20,000 rows ---------------------------------------------------------------------------

def _bulk_people(count: int) -> None:
    contract = f.ContractFactory()
    InsuredPerson.objects.bulk_create([
        InsuredPerson(contract=contract, ahv_number=_ahv(n), first_name="Anne",
                      last_name=f"Personne{n:05d}", birth_date=date(1970, 1, 1), sex="F",
                      annual_salary=Decimal("85000.00"), entry_date=date(2016, 1, 1))
        for n in range(count)
    ], batch_size=2000)


def _ahv(n: int) -> str:
    body = f"756{900000000 + n}"
    number = body + ean.calc_check_digit(body)
    return f"{number[:3]}.{number[3:7]}.{number[7:11]}.{number[11:]}"


def test_a_csv_of_20000_rows_streams_with_flat_memory(client):
    _bulk_people(20_000)
    tracemalloc.start()
    try:
        response = client.get(URL, {"export": "csv"})
        size = sum(len(chunk) for chunk in response.streaming_content)
        response.close()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Measured: about 5 MB, against about 55 MB to hold the 20,000 rows as model instances.
    print(f"\nCSV export: 20,000 rows, {size / 1e6:.1f} MB sent, peak Python memory "
          f"{peak / 1e6:.1f} MB")
    assert isinstance(response, StreamingHttpResponse)  # sent in blocks, never one string
    assert peak < 30e6


def test_an_xlsx_of_20000_rows_is_built_on_disk_and_sent_in_blocks(client):
    # tracemalloc slows openpyxl tenfold, so this one is not traced (measured: about 5 MB).
    _bulk_people(20_000)
    response = client.get(URL, {"export": "xlsx"})
    assert isinstance(response, FileResponse)  # read from the temporary file in blocks
    rows = xlsx_rows(response)
    print(f"\nXLSX export: {len(rows) - 1:,} rows, {response['Content-Length']} bytes")
    assert len(rows) == 1 + 20_000 and rows[-1][0] == "Personne19999 Anne"


def test_the_list_speaks_the_users_language(client, people):
    client.cookies["django_language"] = "de"
    html = client.get(URL).content.decode()
    assert "4 Zeilen" in html and "Suchen" in html
