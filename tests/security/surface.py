"""The attack surface of the application, found from the URL configuration and the pages
(never a hand list): every form, every button that posts, and every URL pattern that takes no
input, with the reason. Shared by the hostile-input and the CSRF sweeps.

A pattern is a target when a form posting to it was found on a page (the crawl of each
journey's pages), or when it takes a POST without a form (a button, a logout). Pages only
reachable in the middle of a flow are reached through the journeys of tests/security/sweep_world.py.
A new form is picked up by the next run; a new URL that takes a POST and that no page reaches
comes back as UNCOVERED until a journey reaches it or EXPLAINED says why it needs none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction
from django.urls import URLPattern

from .discovery import Form, crawl, parse_page, route_of, url_patterns
from .sweep_world import JOURNEYS, Journey, World

# URL patterns that need no hostile input, and why. Anything else that takes a POST and that
# no page reaches is UNCOVERED.
EXPLAINED = {
    r"^admin/.+/<path:object_id>/history/$": "the admin's history page only reads",
    r"^admin/.+/<path:object_id>/$": "redirects a bare object URL to its change page",
    r"^admin/r/": "the admin's 'view on site' redirect (no model has a public page)",
    r"^admin/\(\?P<url>": "the admin's catch-all (redirects or 404)",
    r"^admin/\^\(\?P<app_label>": "the admin's app index (reads)",
    r"^admin/accounts/user/<id>/password/$": "answered 404 for everybody (UserAdmin)",
    r"^broker/policies/<str:number>/": "GET only: the broker's policy pages (the lookup is "
                                       "fuzzed through the inquiry form)",
    r"^admin/accounts/bulkletterjob/<int:pk>/download/$": "a field-less POST that streams a "
        "finished job's PDF once (tests/accounts/test_bulk_letters.py)",
    r"^admin/policies/insuredperson/<int:pk>/person/$": "GET only: the person page of someone "
        "without an account (tests/accounts/test_person_page.py)",
    r"^admin/policies/documentbatch/<int:pk>/confirm/$": "a field-less POST on a batch with "
        "matched files (tests/policies/test_document_batch_admin.py)",
}


@dataclass
class Target:
    route: str
    method: str  # "post", "get", or "button": a POST that takes no form (extra fields only)
    form: Form
    journey: Journey

    @property
    def area(self) -> str:
        return "admin" if self.route.startswith("admin/") else "portal"


def _explained(route: str) -> str | None:
    return next((why for pattern, why in EXPLAINED.items() if re.search(pattern, route)), None)


def _takes_post(pattern: URLPattern) -> bool | None:
    """True/False for a class-based view, None for a function (known only by asking it)."""
    view_class = getattr(pattern.callback, "view_class", None)
    if view_class is None:
        return None
    return hasattr(view_class, "post") and "post" in view_class.http_method_names


ADMIN_OBJECT = re.compile(r"^admin/(\w+)/(\w+)/<path:object_id>/(\w+/)?$")


def _admin_path(route: str) -> str | None:
    """An admin page of one object that no page links to (no permission to delete, say):
    the route with the pk of a row of its model."""
    from django.apps import apps

    match = ADMIN_OBJECT.match(route)
    if match is None:
        return None
    app_label, model_name, suffix = match.groups()
    row = apps.get_model(app_label, model_name).objects.order_by("pk").first()
    return None if row is None else f"/admin/{app_label}/{model_name}/{row.pk}/{suffix or ''}"


def _journey_for(path: str) -> Journey:
    for journey in JOURNEYS:
        if path.startswith(journey.prefixes):
            return journey
    return JOURNEYS[0]


def _admin_actions(world: World, found: dict[str, list[tuple[Form, Journey]]]) -> None:
    """Each action of each admin list on its own (a new action is a new target; Django's
    "delete" stays in the list's own target), and the page an action answers with first (a
    confirmation, a reason to give): its form is a target too."""
    for route, entries in list(found.items()):
        for form, journey in list(entries):
            action = form.fields.get("action")
            if not route.startswith("admin/") or form.method != "post" or action is None:
                continue
            selected = form.fields.get("_selected_action")
            for name in action.values:
                if name in ("", "delete_selected"):  # Django's own, the same for every list
                    continue
                single = Form(form.method, form.action, dict(form.fields), form.page,
                              form.multipart)
                single.fields["action"] = type(action)("action", action.kind, [name])
                entries.append((single, journey))
                with transaction.atomic():
                    client = journey.start(world)
                    response = client.post(form.action, {
                        "action": name, "index": "0",
                        "_selected_action": (selected.values[:1] if selected else [])})
                    transaction.set_rollback(True)
                if response.status_code != 200 or response.has_header("Content-Disposition"):
                    continue
                page_forms, _links = parse_page(response.content.decode(), form.action)
                entries += [(f, journey) for f in page_forms
                            if f.method == "post" and route_of(f.action) == route
                            and "action" in f.fields and f.fields["action"].values == [name]]


def discover(world: World) -> tuple[list[Target], dict[str, str]]:
    """The forms and buttons to post to, and every other URL pattern with the reason."""
    found: dict[str, list[tuple[Form, Journey]]] = {}
    visited: dict[str, tuple[str, Journey]] = {}
    for journey in JOURNEYS:
        pages: dict[str, list[str]] = {}
        with transaction.atomic():
            forms = crawl(journey.start(world), journey.pages, prefixes=journey.prefixes,
                          visited=pages)
            transaction.set_rollback(True)
        for route, route_forms in forms.items():
            found.setdefault(route, []).extend((form, journey) for form in route_forms)
        for route, paths in pages.items():
            visited.setdefault(route, (paths[0], journey))

    _admin_actions(world, found)
    targets: list[Target] = []
    reasons: dict[str, str] = {}
    for route, pattern in url_patterns():
        shapes: set = set()
        for form, journey in found.get(route, []):
            # One target per distinct form of the page itself (the login's 3 steps, the kinds
            # of mutation); a form posting elsewhere (a button) once.
            own = route_of(form.page) == route
            action = tuple(form.fields["action"].values) if "action" in form.fields else ()
            shape = (form.method, frozenset(form.fields), action) if own else form.method
            if shape not in shapes:
                shapes.add(shape)
                targets.append(Target(route, form.method, form, journey))
        if any(t.route == route and t.method == "post" for t in targets):
            continue
        if _explained(route):
            reasons[route] = _explained(route)
            continue
        if _takes_post(pattern) is False:
            reasons[route] = "GET only" + (" (its GET form is a target)" if shapes else "")
            continue
        if route in visited:
            path, journey = visited[route]
        elif "<" not in route and "(" not in route:
            path = "/" + route
            journey = _journey_for(path)
        elif _admin_path(route):
            path = _admin_path(route)
            journey = _journey_for(path)
        else:
            reasons[route] = "UNCOVERED: no page links to it"
            continue
        targets.append(Target(route, "button", Form("post", path, page=path), journey))
    return targets, reasons


def uncovered(reasons: dict[str, str]) -> list[str]:
    return sorted(route for route, why in reasons.items() if why.startswith("UNCOVERED"))
