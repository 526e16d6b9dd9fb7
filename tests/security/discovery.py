"""Which URLs take a POST and what their forms look like, found from the URL configuration and
the pages themselves (not from a hand list), for the security sweeps (hostile input, CSRF).

- `url_patterns()` walks the root resolver: every pattern, admin ones included, with its route.
- `parse_forms(html)` reads the <form> elements of a page: method, action, and each field (name,
  kind, the values the page offers: options, hidden values, checkbox values).
- `crawl(client, starts)` follows the links of a persona's pages (GET only, local paths, a few
  pages per URL pattern, no logout, no downloads) and gathers every form found on the way.

A form is keyed by the URL pattern its action resolves to, so a new view with a form, or a new
button on an existing page, is picked up by the next run.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve


def url_patterns(patterns=None, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    """(route, pattern) for every URL pattern of the project, nested includes flattened."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from url_patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def route_of(path: str) -> str | None:
    """The route (as url_patterns() names it) a local path resolves to, or None."""
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return match.route


@dataclass
class Field:
    name: str
    kind: str  # text, password, email, hidden, checkbox, radio, select, multiselect, file, ...
    values: list[str] = field(default_factory=list)  # what the page offers or holds


@dataclass
class Form:
    method: str
    action: str  # absolute local path, query string kept
    fields: dict[str, Field] = field(default_factory=dict)
    page: str = ""
    multipart: bool = False

    def add(self, name: str, kind: str, value: str | None) -> None:
        entry = self.fields.get(name)
        if entry is None:
            entry = self.fields[name] = Field(name, kind)
        if value is not None and value not in entry.values:
            entry.values.append(value)


class _FormParser(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: tuple[str, str] | None = None
        self._textarea: str | None = None
        self._text: list[str] = []
        self._formactions: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            action = urljoin(self.page, a.get("action") or self.page)
            self._form = Form(method=(a.get("method") or "get").lower(), action=action,
                              page=self.page,
                              multipart="multipart" in (a.get("enctype") or ""))
            self.forms.append(self._form)
            self._formactions = []
        elif self._form is not None and tag in ("button", "input") and a.get("formaction"):
            # A button that posts the form elsewhere (e.g. "cancel" in the wizard): a form of
            # that other URL, with the same fields.
            self._formactions.append(urljoin(self.page, a["formaction"]))
            return
        if tag == "option" and self._form is not None and self._select is not None:
            self._form.add(self._select[0], self._select[1], a.get("value", ""))
            return
        if self._form is None or not a.get("name"):
            return
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                self._form.add(a["name"], "button", a.get("value", ""))
            elif kind in ("checkbox", "radio"):
                self._form.add(a["name"], kind, a.get("value") or "on")
            else:
                self._form.add(a["name"], kind, a.get("value"))
        elif tag == "button":
            self._form.add(a["name"], "button", a.get("value", ""))
        elif tag == "select":
            kind = "multiselect" if "multiple" in a else "select"
            self._form.add(a["name"], kind, None)
            self._select = (a["name"], kind)
        elif tag == "textarea":
            self._textarea = a["name"]
            self._text = []

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            for action in self._formactions:
                self.forms.append(Form(method="post", action=action, page=self.page,
                                       multipart=self._form.multipart,
                                       fields=dict(self._form.fields)))
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form.add(self._textarea, "textarea", "".join(self._text).strip("\n"))
            self._textarea = None


def parse_page(html: str, page: str) -> tuple[list[Form], list[str]]:
    parser = _FormParser(page)
    parser.feed(html)
    return parser.forms, [urljoin(page, link) for link in parser.links]


# Pages a crawler never opens: they end the session, or only answer with a file.
SKIP_PATHS = ("/account/logout/", "/static/", "/jsi18n/", "/dev/outbox/", "/healthz")


def _local(url: str, *, skip: tuple[str, ...] = ()) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
        return None
    if not parts.path.startswith("/") or (skip and parts.path.startswith(skip)):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def crawl(client: Client, starts: Iterable[str], *, prefixes: tuple[str, ...] = ("/",),
          per_route: int = 2, limit: int = 400,
          visited: dict[str, list[str]] | None = None) -> dict[str, list[Form]]:
    """GET the start pages and the local pages they link to (below `prefixes`, at most
    `per_route` paths per URL pattern and no query-string variants), and gather their forms:
    {route of the form's action: [forms]}. `visited` collects the paths opened, by route."""
    visited = {} if visited is None else visited
    seen_paths: set[str] = set()
    per: dict[str | None, int] = {}
    forms: dict[str, list[Form]] = {}
    queue = deque(starts)
    while queue and len(seen_paths) < limit:
        url = _local(queue.popleft(), skip=SKIP_PATHS)
        if url is None:
            continue
        path = urlsplit(url).path
        route = route_of(path)
        if path in seen_paths or not path.startswith(prefixes) or route is None:
            continue
        if per.get(route, 0) >= per_route:
            continue
        seen_paths.add(path)
        per[route] = per.get(route, 0) + 1
        response = client.get(url, follow=True)
        for hop, _status in response.redirect_chain:  # e.g. an admin "add" leading elsewhere
            visited.setdefault(route_of(hop) or "", []).append(urlsplit(hop).path)
        visited.setdefault(route, []).append(path)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        if response.has_header("Content-Disposition"):
            continue
        final = response.request["PATH_INFO"]
        page_forms, links = parse_page(response.content.decode(), final)
        for form in page_forms:
            action = _local(form.action)
            form_route = route_of(action) if action else None
            if form_route is not None:
                form.action = action
                forms.setdefault(form_route, []).append(form)
        queue.extend(link for link in links if "export=" not in link)
    return forms
