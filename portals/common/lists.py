"""A list page over a selector: search, filters, sort, pagination, and the same rows as a CSV or
XLSX download. Shaped after pretix's PaginationMixin: declarations on the view, one mixin.

    class StaffListView(ListMixin, EmployerPortalMixin, ListView):
        template_name = "employer/staff.html"
        search_fields = ["last_name", "first_name", "ahv_number"]
        filters = {"status": Filter(_("Statut"), InsuredPerson.Status.choices)}
        sort_columns = {"name": ("last_name", "first_name"), "salary": "annual_salary"}
        default_sort = "name"
        columns = [
            Column("name", _("Nom"), lambda p: f"{p.last_name} {p.first_name}"),
            Column("salary", _("Salaire annuel"), "annual_salary"),
        ]
        export_name = "personnel"

        def get_base_queryset(self):
            return staff_for(self.request.membership)   # the selector: scope + select_related

GET parameters: q (search), one per filter, sort (key, or -key for descending), page,
export=csv|xlsx. Whatever a URL carries, the page answers: an unknown filter value or sort key is
ignored, a page out of range shows the last page, a page that is no number the first.
The template includes templates/common/_list_*.html and _pagination.html with `listing`.

Exports hold exactly the listed columns, in the current search, filters and sort, for every
matching row (not one page). They stream: the CSV row by row (UTF-8 with BOM and ";" so Excel
opens it as is), the XLSX through openpyxl's write-only workbook into a temporary file; memory
stays flat at 20,000 rows. A text that a spreadsheet would run as a formula (= + - @) is written
with a leading apostrophe.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from policies import swiss

from .downloads import attachment_file, attachment_stream
from .shell import ShellCachedMixin

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_QUERY = 100  # characters of a search: more is no search a person typed
MAX_WORDS = 6
PAGE_WINDOW = 2  # pages shown either side of the current one


@dataclass(frozen=True)
class Column:
    """One column of the page and of its exports. `value` is an attribute path
    ("contract.employer.name", "get_status_display") or a function of the row."""

    key: str
    label: str
    value: str | Callable[[Any], Any]
    numeric: bool = False  # right-aligned on the page

    def of(self, row: Any) -> Any:
        if callable(self.value):
            return self.value(row)
        result = row
        for name in self.value.split("."):
            result = getattr(result, name, None)
            if result is None:
                return None
        return result() if callable(result) else result


@dataclass(frozen=True)
class Filter:
    """A select on the page. `choices`: [(value, label)] or a function of the view (for choices
    that depend on the membership, e.g. the employer's contracts). `lookup`: the queryset field
    (default: the filter's name) or a function (queryset, value) -> queryset."""

    label: str
    choices: Sequence[tuple[Any, str]] | Callable[[Any], Sequence[tuple[Any, str]]]
    lookup: str | Callable[[QuerySet, str], QuerySet] | None = None


@dataclass(frozen=True)
class FilterState:
    name: str
    label: str
    options: list[tuple[str, str, bool]]  # value, label, selected
    selected: str


@dataclass(frozen=True)
class Header:
    key: str
    label: str
    sortable: bool
    href: str
    aria_sort: str  # "ascending" | "descending" | "" (not the sorted column)
    numeric: bool


@dataclass(frozen=True)
class Cell:
    text: str
    numeric: bool


@dataclass(frozen=True)
class Row:
    object: Any
    cells: list[Cell]


@dataclass(frozen=True)
class PageLink:
    number: int | None  # None: a gap (…)
    href: str
    current: bool


def display(value: Any) -> str:
    """A cell on the page, in Swiss format."""
    if value is None or value == "":
        return swiss.DASH
    if isinstance(value, bool):
        return gettext("Oui") if value else gettext("Non")
    if isinstance(value, datetime):
        return swiss.day(timezone.localtime(value) if timezone.is_aware(value) else value)
    if isinstance(value, date):
        return swiss.day(value)
    if isinstance(value, Decimal | float):
        return swiss.amount(value)
    return str(value)


def neutralise(text: str) -> str:
    """'=HYPERLINK(...) -> "'=HYPERLINK(...)": a spreadsheet shows it instead of running it."""
    return "'" + text if text.lstrip(" ").startswith(FORMULA_STARTS) else text


def export_value(value: Any) -> Any:
    """A cell of an export: numbers and dates stay numbers and dates (XLSX), text is defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return gettext("Oui") if value else gettext("Non")
    if isinstance(value, datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).replace(
            tzinfo=None)
    if isinstance(value, date | int | Decimal | float):
        return value
    return neutralise(str(value))


def _csv_text(value: Any) -> str:
    if isinstance(value, datetime):
        return f"{swiss.day(value)} {value:%H:%M}"
    if isinstance(value, date):
        return swiss.day(value)
    return str(value)


class _Line:
    """csv.writer writes into this and gets the line back, so rows can be yielded one by one."""

    def write(self, text: str) -> str:
        return text


class ListMixin:
    search_fields: Sequence[str] = ()
    filters: Mapping[str, Filter] = {}
    sort_columns: Mapping[str, str | Sequence[str]] = {}
    default_sort: str = ""  # a sort_columns key, "-key" for descending
    columns: Sequence[Column | tuple] = ()  # Column(...) or (key, label, value)
    paginate_by = 50
    export_formats: Sequence[str] = ("csv", "xlsx")
    export_name = "export"
    export_chunk_size = 2000

    # --- what the view provides ------------------------------------------------------------

    def get_base_queryset(self) -> QuerySet:
        """The rows this user may see, from a selector (scoped to the membership)."""
        raise NotImplementedError("a list view names its selector in get_base_queryset()")

    def search(self, queryset: QuerySet, query: str) -> QuerySet:
        """Every word must appear in one of the search fields. Override to call a selector's
        search instead (e.g. one that also finds an AHV number typed without dots)."""
        for word in query.split()[:MAX_WORDS]:
            match = Q()
            for field in self.search_fields:
                match |= Q(**{f"{field}__icontains": word})
            queryset = queryset.filter(match)
        return queryset

    # --- reading the request ---------------------------------------------------------------

    @cached_property
    def search_query(self) -> str:
        if not self.search_fields and type(self).search is ListMixin.search:
            return ""
        # Control characters (a NUL makes PostgreSQL refuse the query) become spaces.
        typed = re.sub(r"[\x00-\x1f\x7f]", " ", self.request.GET.get("q", ""))
        return " ".join(typed.split())[:MAX_QUERY]

    @cached_property
    def filter_choices(self) -> dict[str, list[tuple[str, str]]]:
        """Filter name -> [(value, label)], asked once per request."""
        return {name: self._choices_of(name) for name in self.filters}

    def _choices_of(self, name: str) -> list[tuple[str, str]]:
        """One filter's choices, asked once per request (some cost a query or a cache round
        trip: a page served from a cache without filters in its URL asks none of them)."""
        known = self.__dict__.setdefault("_filter_choices_known", {})
        if name not in known:
            spec = self.filters[name]
            given = spec.choices(self) if callable(spec.choices) else spec.choices
            known[name] = [(str(value), str(label)) for value, label in given]
        return known[name]

    @cached_property
    def active_filters(self) -> dict[str, str]:
        """Filter name -> value, for values that are among the declared choices only."""
        active = {}
        for name in self.filters:
            value = self.request.GET.get(name, "")
            if value and value in {v for v, _label in self._choices_of(name)}:
                active[name] = value
        return active

    @cached_property
    def sort_key(self) -> str:
        for candidate in (self.request.GET.get("sort", ""), self.default_sort):
            if candidate.removeprefix("-") in self.sort_columns:
                return candidate
        return ""

    def ordering_for(self, sort: str) -> list[str]:
        if not sort:
            return ["pk"]
        expressions = self.sort_columns[sort.removeprefix("-")]
        expressions = [expressions] if isinstance(expressions, str) else list(expressions)
        if sort.startswith("-"):
            expressions = [e.removeprefix("-") if e.startswith("-") else f"-{e}"
                           for e in expressions]
        # A unique last key: rows with equal names do not swap places between pages.
        return [*expressions, "-pk" if sort.startswith("-") else "pk"]

    # --- the rows --------------------------------------------------------------------------

    def get_queryset(self) -> QuerySet:
        queryset = self.get_base_queryset()
        for name, value in self.active_filters.items():
            lookup = self.filters[name].lookup or name
            queryset = lookup(queryset, value) if callable(lookup) else queryset.filter(
                **{lookup: value})
        if self.search_query:
            queryset = self.search(queryset, self.search_query)
        return queryset.order_by(*self.ordering_for(self.sort_key))

    def get_columns(self) -> list[Column]:
        return [c if isinstance(c, Column) else Column(*c) for c in self.columns]

    def paginate_queryset(self, queryset, page_size):
        paginator = Paginator(queryset, page_size, allow_empty_first_page=True)
        raw = self.request.GET.get("page", "")
        try:
            number = paginator.num_pages if raw == "last" else int(raw)
        except ValueError:
            number = 1
        number = min(max(number, 1), paginator.num_pages)
        page = paginator.page(number)
        return paginator, page, page.object_list, page.has_other_pages()

    # --- the page --------------------------------------------------------------------------

    def url(self, **changes: Any) -> str:
        """This list's URL with the current search, filters and sort, and `changes` (None
        removes a parameter). Never carries page or export over unless asked."""
        params = QueryDict(mutable=True)
        if self.search_query:
            params["q"] = self.search_query
        params.update(self.active_filters)
        if self.sort_key and self.sort_key != self.default_sort:
            params["sort"] = self.sort_key
        for name, value in changes.items():
            params.pop(name, None)
            if value not in (None, ""):
                params[name] = str(value)
        return "?" + params.urlencode() if params else self.request.path

    def _headers(self) -> list[Header]:
        headers = []
        for column in self.get_columns():
            sortable = column.key in self.sort_columns
            aria, href = "", ""
            if sortable:
                if self.sort_key == column.key:
                    aria, next_sort = "ascending", f"-{column.key}"
                elif self.sort_key == f"-{column.key}":
                    aria, next_sort = "descending", column.key
                else:
                    next_sort = column.key
                href = self.url(sort=next_sort)
            headers.append(Header(column.key, str(column.label), sortable, href, aria,
                                  column.numeric))
        return headers

    def _page_links(self, page: Page) -> list[PageLink]:
        last = page.paginator.num_pages
        shown = sorted({1, last, *range(max(1, page.number - PAGE_WINDOW),
                                        min(last, page.number + PAGE_WINDOW) + 1)})
        links, previous = [], 0
        for number in shown:
            if number - previous > 1:
                links.append(PageLink(None, "", False))
            links.append(PageLink(number, self.url(page=number), number == page.number))
            previous = number
        return links

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page: Page = context["page_obj"]
        columns = self.get_columns()
        context["listing"] = {
            "search": bool(self.search_fields) or type(self).search is not ListMixin.search,
            "query": self.search_query,
            "filters": [
                FilterState(name, str(spec.label), [
                    (value, label, self.active_filters.get(name) == value)
                    for value, label in self.filter_choices[name]
                ], self.active_filters.get(name, ""))
                for name, spec in self.filters.items()
            ],
            "sort": self.sort_key if self.sort_key != self.default_sort else "",
            "narrowed": bool(self.search_query or self.active_filters),
            "reset_href": self.request.path,
            "headers": self._headers(),
            "rows": [Row(obj, [Cell(display(c.of(obj)), c.numeric) for c in columns])
                     for obj in context["object_list"]],
            "count": page.paginator.count,
            "page": page,
            "pages": self._page_links(page),
            "previous_href": self.url(page=page.number - 1) if page.has_previous() else "",
            "next_href": self.url(page=page.number + 1) if page.has_next() else "",
            "exports": [(fmt, self.url(export=fmt)) for fmt in self.export_formats],
        }
        return context

    # --- the downloads ---------------------------------------------------------------------

    def get(self, request, *args, **kwargs):
        export = request.GET.get("export", "")
        if export in self.export_formats:
            return self.export(export)
        return super().get(request, *args, **kwargs)

    def export_filename(self, extension: str) -> str:
        return f"{self.export_name}-{timezone.localdate():%Y%m%d}.{extension}"

    def export_rows(self) -> Iterator[list[Any]]:
        """The header row, then one row per matching object, fetched in chunks."""
        columns = self.get_columns()
        yield [str(c.label) for c in columns]
        for obj in self.get_queryset().iterator(chunk_size=self.export_chunk_size):
            yield [export_value(c.of(obj)) for c in columns]

    def export(self, fmt: str):
        if fmt == "csv":
            return attachment_stream(self._csv_chunks(), self.export_filename("csv"))
        return attachment_file(self._xlsx_file(), self.export_filename("xlsx"))

    def _csv_chunks(self) -> Iterator[bytes]:
        writer = csv.writer(_Line(), delimiter=";")
        lines = ["\ufeff"]  # the BOM: Excel reads UTF-8 (é, ü, ’) instead of guessing
        for row in self.export_rows():
            lines.append(writer.writerow([_csv_text(v) for v in row]))
            if len(lines) >= 500:
                yield "".join(lines).encode("utf-8")
                lines = []
        yield "".join(lines).encode("utf-8")

    def _xlsx_file(self):
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(
            title=re.sub(r"[\[\]:*?/\\']", "-", self.export_name)[:31] or "export")
        formats = {datetime: "DD.MM.YYYY HH:MM", date: "DD.MM.YYYY", Decimal: "#,##0.00"}
        for row in self.export_rows():
            cells = []
            for value in row:
                number_format = formats.get(type(value))
                if number_format:
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = number_format
                    cells.append(cell)
                else:
                    cells.append(value)
            sheet.append(cells)
        handle = tempfile.TemporaryFile(suffix=".xlsx")
        workbook.save(handle)
        handle.seek(0)
        return handle


__all__ = ["Column", "Filter", "ListMixin", "display", "neutralise"]


class CachedListingMixin(ShellCachedMixin):
    """Put first in the bases (before ListMixin and any mixin adding to the list's context):
    the first CACHED_PAGES pages of each sort and filter come rendered
    from the shared cache, under the data versions the view names; a search, an export or a page
    further on is computed on each request (the key space stays small).

    A view sets `listing_template` (the list's body), `listing_cache_seconds`, `shell_mixin`
    (the portal mixin whose context draws the page around the list) and says its key's scope
    (`listing_scope()`) and the version keys that invalidate it (`listing_versions()`)."""

    CACHED_PAGES = 20
    # The page around the list is a cached shell too (portals.common.shell), the list its part.
    shell_slots = ("body",)
    listing_template = ""
    listing_cache_seconds = 300
    shell_mixin: type

    def listing_scope(self) -> str:
        raise NotImplementedError

    def listing_versions(self) -> list[str]:
        raise NotImplementedError

    def listing_cache_key(self) -> str | None:
        """Scope, sort, filters, page, language and day (dates move what a list shows)."""
        get = self.request.GET
        if get.get("export") or self.search_query:
            return None
        raw = get.get("page", "") or "1"
        if not (raw.isdecimal() and len(raw) < 6 and 1 <= int(raw) <= self.CACHED_PAGES):
            return None
        view = json.dumps([self.sort_key, sorted(self.active_filters.items()), int(raw)])
        return (f"{self.listing_scope()}:{translation.get_language()}:"
                f"{timezone.localdate().isoformat()}:"
                f"{hashlib.sha256(view.encode()).hexdigest()[:32]}")

    def get(self, request, *args, **kwargs):
        from policies.broker_cache import versioned

        key = self.listing_cache_key()
        if key is None:
            return super().get(request, *args, **kwargs)
        self.full_response = None
        versions = self.listing_versions()
        # The list, its versions and the header's organisation: one cache round trip.
        self.cache_found = cache.get_many([key, *versions, *self.header_cache_keys()])
        body = versioned(key, versions, lambda: self._render_listing(request, *args, **kwargs),
                         self.listing_cache_seconds, found=self.cache_found)
        if self.full_response is not None:  # just rendered: the page around it is ready
            return self.full_response
        # Only the page around the list: no pagination, no row query.
        self.paginate_by, self.object_list = None, []
        return self.render_to_response(self.shell_mixin.get_context_data(
            self, object_list=[], body=mark_safe(body)))  # noqa: S308 - our own template

    def _render_listing(self, request, *args, **kwargs) -> str:
        self.full_response = super().get(request, *args, **kwargs)
        return self.listing_body

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        self.listing_body = render_to_string(self.listing_template, context,
                                             request=self.request)
        context["body"] = mark_safe(self.listing_body)  # noqa: S308 - our own template
        return context
