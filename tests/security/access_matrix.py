"""The access matrix of the whole application, generated from the URL configuration.

Every URL pattern of the root resolver (portals.urls: the public pages, the account and profile
pages, the insured, employer and broker portals, and the whole admin with every ModelAdmin's
changelist/add/change/delete/history pages and its own get_urls) is crossed with every persona
of tests/security/world.py. Each cell gets its expected outcome from a rule:

- public pages: any persona, never a refusal;
- account pages (VerifiedMixin): anonymous and password-only sessions -> login, else the page;
- portal pages (PortalMixin): anonymous and password-only -> login; no current membership of the
  portal -> 403; the view's `required_capability` not in portals.access.CAPABILITIES of the
  persona's role -> 403; an object in the URL that is not the persona's -> 404 (or 403);
- admin: anyone who is not staff -> the admin login; staff -> what the ModelAdmin's own
  has_*_permission says for that persona and that object (Django's generic pages), what the
  duty of `duty_required` says (custom pages: accounts/admin_base.py marks the view), and a
  short table of hand-classified exceptions (ADMIN_CUSTOM, ADMIN_SITE).

A URL no rule and no table classifies is reported by `unclassified()` and fails the suite: a new
portal page needs its object in PORTAL_ARGS when it takes one, a new custom admin page either
`duty_required` or an ADMIN_CUSTOM entry; new ModelAdmins and their generic pages need nothing
(a model without a row in the world gets one from model_bakery).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.contrib import admin
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts.duties import holds
from accounts.models import Membership
from portals.access import PortalMixin, VerifiedMixin, capabilities_of
from tests.security.world import ANONYMOUS, UNVERIFIED, World

PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")

# --- outcomes -----------------------------------------------------------------------------------

LOGIN = "login"  # 302 to the portal login (where the second factor is asked too)
ADMIN_LOGIN = "admin-login"  # 302 to /admin/login/
ALLOWED = "allowed"  # 200, a redirect elsewhere than a login, or 405 (a GET on a POST-only view)
DENIED = "denied"  # 403
FOREIGN = "foreign"  # an object of someone else in the URL: 404 or 403
NOT_FOUND = "not-found"  # 404


@dataclass(frozen=True)
class Expect:
    outcome: str
    rule: str
    foreign: bool = False  # an object of another person, company or broker is in the URL
    follow: bool = True  # inside the admin, judge where a redirect to another admin page leads


def judge(expect: Expect, response) -> bool:
    status = response.status_code
    location = response.get("Location", "")
    to_login = status == 302 and location.startswith("/account/login/")
    to_admin_login = status == 302 and location.startswith("/admin/login/")
    if expect.outcome == LOGIN:
        return to_login
    if expect.outcome == ADMIN_LOGIN:
        return to_admin_login
    if expect.outcome == ALLOWED:
        return status in (200, 405) or (status in (301, 302) and not to_login
                                         and not to_admin_login)
    if expect.outcome == DENIED:
        return status == 403
    if expect.outcome == FOREIGN:
        return status in (403, 404)
    if expect.outcome == NOT_FOUND:
        return status == 404
    raise AssertionError(expect.outcome)


# --- the URL configuration ----------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    route: str  # "insured/documents/<int:pk>/" (regex routes keep their regex)
    name: str | None  # "insured:document-download"
    callback: Callable

    @property
    def key(self) -> str:
        return self.name or self.route

    @property
    def view_class(self):
        return getattr(self.callback, "view_class", None)

    @property
    def params(self) -> list[str]:
        return [m.group("name") for m in PARAM.finditer(self.route)]

    def path(self, values: dict) -> str:
        return "/" + PARAM.sub(lambda m: str(values[m.group("name")]), self.route)


def url_entries() -> list[Entry]:
    def walk(patterns, prefix: str, namespace: str | None) -> Iterator[Entry]:
        for item in patterns:
            if isinstance(item, URLResolver):
                inner = namespace
                if item.namespace:
                    inner = f"{namespace}:{item.namespace}" if namespace else item.namespace
                yield from walk(item.url_patterns, prefix + str(item.pattern), inner)
            elif isinstance(item, URLPattern):
                name = item.name and (f"{namespace}:{item.name}" if namespace else item.name)
                yield Entry(prefix + str(item.pattern), name, item.callback)

    return list(walk(get_resolver().url_patterns, "", None))


# --- hand tables: what the rules cannot know ----------------------------------------------------

# Pages outside the portals that anybody may open (login, registration, forgotten password,
# access requests, the landing page...). Their answer depends on the visitor's state, never a
# refusal.
PUBLIC = {
    "landing", "healthz", "javascript-catalog", "set_language", "two_factor:login", "login",
    "logout", "password-forgot", "password-forgot-code", "password-forgot-factor",
    "password-forgot-new", "password-forgot-done", "register", "register-code", "register-user",
    "register-email", "register-email-resend", "register-factor", "register-confirm",
    "register-sms-resend", "register-cancel", "access-request-employer",
    "access-request-broker", "access-request-sent", "dev-outbox",
}
# Function views behind the same gate as the profile (login + second factor).
VERIFIED = {"portal-chooser", "terms", "two_factor:setup_complete", "reauth", "register-done"}
# Login required, but a password-only session belongs there (setting up or re-enrolling the
# second factor).
LOGIN_ONLY = {"two_factor:setup", "factor-reenrol"}
# Answered 404 to any logged-in persona (no set-up in progress), login first otherwise.
NOT_FOUND_WHEN_LOGGED_IN = {"two_factor:qr"}

# Objects in URLs: URL name -> {parameter: (world object, attribute)}. The owners of each world
# object are in OWNERS; a persona that reaches the view but owns nothing there gets FOREIGN.
_EMPLOYER_SIDE = frozenset({"hr_admin", "clerk", "third_party", "expired_third_party"})
_MANDATE_SIDE = frozenset({"broker", "agency_admin"})
OWNERS: dict[str, frozenset[str]] = {
    "insured_document": frozenset({"insured"}),
    "simulation": frozenset({"insured"}),
    "service_request": frozenset({"insured"}),
    "change_request": frozenset({"insured"}),
    "device": frozenset({"insured"}),
    **{key: _EMPLOYER_SIDE for key in (
        "person", "mutation", "batch", "invoice", "company_document", "granted", "invitation",
        "access_request")},
    **{key: _MANDATE_SIDE for key in (
        "client_holder", "policy", "policy_document", "statement")},
}
PORTAL_ARGS: dict[str, dict[str, tuple[str, str]]] = {
    "insured:document-download": {"pk": ("insured_document", "pk")},
    "insured:simulation-detail": {"pk": ("simulation", "pk")},
    "insured:simulation-pdf": {"pk": ("simulation", "pk")},
    "insured:simulation-request": {"pk": ("simulation", "pk")},
    "insured:request-detail": {"pk": ("service_request", "pk")},
    "insured:change-detail": {"pk": ("change_request", "pk")},
    "employer:staff-detail": {"pk": ("person", "pk")},
    "employer:mutation-detail": {"pk": ("mutation", "pk")},
    "employer:mutation-withdraw": {"pk": ("mutation", "pk")},
    "employer:upload-detail": {"pk": ("batch", "pk")},
    "employer:upload-progress": {"pk": ("batch", "pk")},
    "employer:upload-confirm": {"pk": ("batch", "pk")},
    "employer:upload-discard": {"pk": ("batch", "pk")},
    "employer:contribution-detail": {"pk": ("invoice", "pk")},
    "employer:contribution-pdf": {"pk": ("invoice", "pk")},
    "employer:document-download": {"pk": ("company_document", "pk")},
    "employer:access-change": {"pk": ("granted", "pk")},
    "employer:access-revoke": {"pk": ("granted", "pk")},
    "employer:invitation-revoke": {"pk": ("invitation", "pk")},
    "employer:access-request-confirm": {"pk": ("access_request", "pk")},
    "employer:access-request-decline": {"pk": ("access_request", "pk")},
    "broker:client": {"pk": ("client_holder", "pk")},
    "broker:policy": {"number": ("policy", "number")},
    "broker:policy-values": {"number": ("policy", "number")},
    "broker:policy-valuation-pdf": {"number": ("policy", "number")},
    "broker:document-download": {"pk": ("policy_document", "pk")},
    "broker:commission-statement": {"pk": ("statement", "pk")},
    "broker:commission-statement-pdf": {"pk": ("statement", "pk")},
    "factor-remove": {"kind": ("", "authenticator"), "pk": ("device", "pk")},
}
# URL parameters that are no object (a literal).
PORTAL_LITERALS: dict[str, dict[str, str]] = {"employer:mutation-create": {"kind": "salary"}}


def _staff(user) -> bool:
    return user is not None and user.is_active and user.is_staff


def _admin_request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


# Custom admin pages that are not marked by duty_required: the rule, by hand.
ADMIN_CUSTOM: dict[str, Callable] = {
    "admin:accounts_terms_draft": lambda ma, request, obj: ma.has_add_permission(request),
    "admin:accounts_registrationcode_issue":
        lambda ma, request, obj: ma.has_add_permission(request),
    "admin:accounts_accessrequest_confirm": lambda ma, request, obj: holds(
        request.user, "confirm_existing_organisation"),
    "admin:accounts_user_invite": lambda ma, request, obj: request.user.is_superuser,
    "admin:accounts_bulkletterjob_progress": lambda ma, request, obj: _may_download(request, obj),
    "admin:accounts_bulkletterjob_download": lambda ma, request, obj: _may_download(request, obj),
}


def _may_download(request, job) -> bool:
    from accounts.bulk_letters import may_download

    return may_download(job=job, user=request.user)
# Answered 404 to everybody, logged in or not (Django's password form of UserAdmin, unmounted).
ADMIN_NOT_FOUND_ROUTES = {"admin/accounts/user/<id>/password/"}


def _app_list_allowed(user, app_label: str) -> bool:
    request = _admin_request(user)
    return any(
        ma.has_module_permission(request) and any(ma.get_model_perms(request).values())
        for model, ma in admin.site._registry.items() if model._meta.app_label == app_label
    )


# --- the matrix ---------------------------------------------------------------------------------


@dataclass
class Target:
    """One concrete URL of an entry, with its object (for the foreign-object rule)."""

    path: str
    obj_key: str | None = None
    obj: object = None
    app_label: str | None = None


class AccessMatrix:
    def __init__(self, world: World):
        self.world = world
        self.entries = url_entries()
        self.model_admins = {
            f"admin/{model._meta.app_label}/{model._meta.model_name}/": ma
            for model, ma in admin.site._registry.items()
        }
        self._rows: dict[type, object] = {}

    # --- classification ---

    def admin_of(self, entry: Entry):
        best = ""
        for prefix in self.model_admins:
            if entry.route.startswith(prefix) and len(prefix) > len(best):
                best = prefix
        return self.model_admins.get(best), best

    def admin_kind(self, entry: Entry) -> str | None:
        """changelist/add/change/delete/history/redirect, custom, site, or None (unclassified)."""
        if entry.route in ADMIN_NOT_FOUND_ROUTES:
            return "not-found"
        if entry.key == "admin:login":
            return "login"
        ma, prefix = self.admin_of(entry)
        if ma is None:
            return "site" if entry.key in ADMIN_SITE or entry.route in ADMIN_SITE_ROUTES \
                else None
        info = f"admin:{ma.model._meta.app_label}_{ma.model._meta.model_name}_"
        for kind in ("changelist", "add", "change", "delete", "history"):
            if entry.name == info + kind:
                return kind
        if entry.name is None and entry.route == prefix + "<path:object_id>/":
            return "redirect"
        if getattr(entry.callback, "required_duty", None) or entry.key in ADMIN_CUSTOM:
            return "custom"
        return None

    def classified(self, entry: Entry) -> bool:
        if entry.route.startswith("admin/"):
            return self.admin_kind(entry) is not None
        if entry.key in PUBLIC | VERIFIED | LOGIN_ONLY | NOT_FOUND_WHEN_LOGGED_IN:
            return not entry.params or entry.key in PORTAL_ARGS
        view_class = entry.view_class
        if view_class is not None and issubclass(view_class, (PortalMixin, VerifiedMixin)):
            return all(p in PORTAL_ARGS.get(entry.key, {})
                       or p in PORTAL_LITERALS.get(entry.key, {}) for p in entry.params)
        return False

    def entry_for(self, path: str) -> Entry | None:
        """The entry a concrete path resolves to (where an admin redirect leads)."""
        from django.urls import Resolver404, resolve

        try:
            route = resolve(path.partition("?")[0]).route
        except Resolver404:
            return None
        return next((e for e in self.entries if e.route == route), None)

    def unclassified(self) -> list[str]:
        return sorted(e.key for e in self.entries if not self.classified(e))

    # --- concrete URLs ---

    def row(self, model):
        """A real row of the model: the world's, or one model_bakery makes for a new model (its
        required relations taken from the world's rows)."""
        if model not in self._rows:
            obj = model._default_manager.order_by("pk").first()
            if obj is None:
                from model_bakery import baker

                related = {
                    f.name: self.row(f.related_model) for f in model._meta.fields
                    if f.is_relation and not f.null and f.related_model is not model
                }
                obj = baker.make(model, **related)
            self._rows[model] = obj
        return self._rows[model]

    def targets(self, entry: Entry) -> list[Target]:
        if entry.route.startswith("admin/"):
            return self._admin_targets(entry)
        args = PORTAL_ARGS.get(entry.key, {})
        values: dict = dict(PORTAL_LITERALS.get(entry.key, {}))
        obj_key, obj = None, None
        for param, (key, attr) in args.items():
            if not key:
                values[param] = attr
                continue
            obj_key = key
            obj = self.world[key]
            values[param] = getattr(obj, attr)
        return [Target(entry.path(values), obj_key, obj)]

    def _admin_targets(self, entry: Entry) -> list[Target]:
        if entry.key == "admin:app_list":
            labels = re.search(r"\(\?P<app_label>([^)]*)\)", entry.route).group(1).split("|")
            return [Target(f"/admin/{label}/", app_label=label) for label in labels]
        if entry.route.endswith("(?P<url>.*)$"):
            return [Target("/admin/no-such-page/")]
        if entry.key == "admin:view_on_site":
            from django.contrib.contenttypes.models import ContentType

            person = self.world["person"]
            ct = ContentType.objects.get_for_model(person)
            return [Target(f"/admin/r/{ct.pk}/{person.pk}/")]
        ma, _prefix = self.admin_of(entry)
        if not entry.params:
            return [Target(entry.path({}))]
        obj = self.row(ma.model)
        return [Target(entry.path({p: obj.pk for p in entry.params}), obj=obj)]

    # --- expected outcome ---

    def expect(self, persona: str, entry: Entry, target: Target) -> Expect:
        if entry.route.startswith("admin/"):
            return self._expect_admin(persona, entry, target)
        key = entry.key
        if key in PUBLIC:
            return Expect(ALLOWED, "public page")
        if persona == ANONYMOUS:
            return Expect(LOGIN, "anonymous -> login")
        if key in LOGIN_ONLY:
            return Expect(ALLOWED, "login only (second-factor set-up)")
        if key in NOT_FOUND_WHEN_LOGGED_IN:
            return Expect(NOT_FOUND, "no set-up in progress")
        if persona == UNVERIFIED:
            return Expect(LOGIN, "password only -> second factor")
        foreign = target.obj_key is not None and persona not in OWNERS[target.obj_key]
        view_class = entry.view_class
        if view_class is not None and issubclass(view_class, PortalMixin):
            return self._expect_portal(persona, view_class, foreign)
        if foreign:
            return Expect(FOREIGN, "someone else's object", foreign=True)
        return Expect(ALLOWED, "own account page")

    def _expect_portal(self, persona: str, view_class, foreign: bool) -> Expect:
        from portals.insured.views import PensionerOnlyMixin

        user = self.world.user(persona)
        today = timezone.localdate()
        current = [m for m in Membership.objects.filter(user=user, kind=view_class.portal_kind)
                   if m.revoked_at is None and (m.valid_until is None or m.valid_until >= today)]
        if not current:
            return Expect(DENIED, f"no current {view_class.portal_kind} membership",
                          foreign=foreign)
        assert len(current) == 1, f"{persona}: one membership per portal in the world"
        capability = view_class.required_capability
        if capability and capability not in capabilities_of(current[0]):
            return Expect(DENIED, f"role without {capability}", foreign=foreign)
        if issubclass(view_class, PensionerOnlyMixin) and not user.insured_person.is_pensioner:
            return Expect(DENIED, "pensioners only", foreign=foreign)
        if foreign:
            return Expect(FOREIGN, "someone else's object", foreign=True)
        return Expect(ALLOWED, f"{view_class.portal_kind} page of the persona")

    def _expect_admin(self, persona: str, entry: Entry, target: Target) -> Expect:
        kind = self.admin_kind(entry)
        if kind == "not-found":
            return Expect(NOT_FOUND, "not mounted for anybody")
        if entry.key == "admin:login":
            return Expect(LOGIN, "the admin login is the portal login (second factor included)")
        user = None if persona in (ANONYMOUS, UNVERIFIED) else self.world.user(persona)
        if entry.key == "admin:logout" and not _staff(user):
            return Expect(ALLOWED, "admin logout sends to the admin index")
        if not _staff(user):
            return Expect(ADMIN_LOGIN, "not staff -> admin login")
        if kind == "site":
            rule = ADMIN_SITE.get(entry.key) or ADMIN_SITE_ROUTES[entry.route]
            return rule(user, target)
        if kind == "redirect":
            return Expect(ALLOWED, "object URL -> its change page (a cell of its own)",
                          follow=False)
        ma, _prefix = self.admin_of(entry)
        request = _admin_request(user)
        obj = target.obj
        if kind == "changelist":
            allowed = ma.has_view_or_change_permission(request)
        elif kind == "add":
            allowed = ma.has_add_permission(request)
        elif kind in ("change", "history"):
            allowed = ma.has_view_or_change_permission(request, obj)
        elif kind == "delete":
            allowed = ma.has_delete_permission(request, obj)
        else:
            duty = getattr(entry.callback, "required_duty", None)
            if duty:
                allowed = holds(user, duty)
                kind = f"duty {duty}"
            else:
                allowed = ADMIN_CUSTOM[entry.key](ma, request, obj)
        label = f"{type(ma).__name__} {kind}"
        return Expect(ALLOWED if allowed else DENIED, label)


def _staff_page(user, target) -> Expect:
    return Expect(ALLOWED, "admin page for any staff")


# Admin pages of the site itself (not of a ModelAdmin): by name, and by route when unnamed.
ADMIN_SITE: dict[str, Callable[..., Expect]] = {
    "admin:index": _staff_page,
    "admin:logout": _staff_page,  # 405 for a GET (logout is a POST)
    "admin:password_change": _staff_page,  # leads to the profile's password change
    "admin:password_change_done": _staff_page,  # leads to the profile
    "admin:jsi18n": _staff_page,
    "admin:autocomplete": lambda user, target: Expect(DENIED, "autocomplete without a field"),
    "admin:view_on_site": lambda user, target: Expect(NOT_FOUND, "no model has a site URL"),
    "admin:app_list": lambda user, target: Expect(
        ALLOWED if _app_list_allowed(user, target.app_label) else NOT_FOUND,
        f"app index {target.app_label}"),
}
ADMIN_SITE_ROUTES: dict[str, Callable[..., Expect]] = {
    "admin/(?P<url>.*)$": lambda user, target: Expect(NOT_FOUND, "admin catch-all"),
}
