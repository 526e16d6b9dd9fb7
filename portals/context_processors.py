from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import SimpleLazyObject

from .access import SESSION_LAST_PORTAL


@dataclass(frozen=True)
class PortalNav:
    """The header's navigation: the portal of the page, or on the profile pages (which belong to
    no portal) the one the person used last, the only one they have, or the chooser."""

    kind: str = ""  # "insured", "employer", "broker", "chooser" (several portals) or ""
    home: str = ""  # where the logo leads
    current: str = ""  # url name inside that portal, for aria-current
    is_pensioner: bool = False


# The header's few fixed addresses, reversed once per process (and URL configuration): every
# page asks for two of them.
_paths: dict[tuple, str] = {}


@receiver(setting_changed)
def _forget_paths(**kwargs) -> None:
    _paths.clear()


def _path(name: str) -> str:
    key = (name, get_script_prefix(), get_urlconf())
    path = _paths.get(key)
    if path is None:
        path = _paths[key] = reverse(name)
    return path


def portal_nav_for(request: HttpRequest) -> PortalNav:
    from accounts.selectors import memberships_current
    from portals.views import PORTAL_URLS

    landing = _path("landing")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not getattr(user, "is_verified", bool)():
        return PortalNav(home=landing)
    membership = getattr(request, "membership", None)
    memberships = memberships_current(user)
    kinds = {m.kind for m in memberships}
    if membership is not None:
        kind = membership.kind
    elif request.session.get(SESSION_LAST_PORTAL) in kinds:
        kind = request.session[SESSION_LAST_PORTAL]
    elif len(kinds) == 1:
        kind = next(iter(kinds))
    elif kinds:
        return PortalNav(kind="chooser", home=_path("portal-chooser"))
    else:
        return PortalNav(home=_path("admin:index") if user.is_staff else landing)
    match = getattr(request, "resolver_match", None)
    current = match.url_name if match is not None and match.namespace == kind else ""
    is_pensioner = False
    if kind == "insured":
        # The dashboard read it with its body, in the same cache round trip.
        is_pensioner = getattr(request, "insured_is_pensioner", None)
        if is_pensioner is None:
            from policies.selectors import person_is_pensioner

            insured = membership or next(m for m in memberships if m.kind == kind)
            is_pensioner = person_is_pensioner(insured.insured_person_id)
    return PortalNav(kind=kind, home=_path(PORTAL_URLS[kind]), current=current or "",
                     is_pensioner=is_pensioner)


def portal(request: HttpRequest) -> dict:
    return {
        "FUND_NAME": settings.FUND_NAME,
        "DEBUG_OUTBOX": settings.DEBUG,
        # Lazy: computed only by the templates that draw the header.
        "portal_nav": SimpleLazyObject(lambda: portal_nav_for(request)),
        # Where the language form leads back to (a page with a cached shell puts it in).
        "page_path": SimpleLazyObject(request.get_full_path),
        # What base.html asks of every page (portal pages set them): a variable missing from
        # the context is logged at DEBUG with the whole context, backup codes and TOTP keys
        # of the page included.
        "membership": None,
        "portal_kind": "",
    }
