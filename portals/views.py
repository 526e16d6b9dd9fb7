from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.faq import faq_for
from accounts.models import FaqEntry, Membership, OutboxMessage, Terms
from accounts.selectors import memberships_current, terms_accepted_current
from accounts.services import terms_accept, terms_current_version

from .access import gate_redirect, membership_activate
from .common.redirects import safe_next

logger = logging.getLogger(__name__)

PORTAL_URLS = {
    Membership.Kind.INSURED: "insured:home",
    Membership.Kind.EMPLOYER: "employer:home",
    Membership.Kind.BROKER: "broker:home",
}


def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "landing.html", {"faq": faq_for(FaqEntry.Portal.PUBLIC)})


@never_cache
def portal_chooser(request: HttpRequest) -> HttpResponse:
    response = gate_redirect(request)
    if response is not None:
        return response
    memberships = memberships_current(request.user)
    if request.method == "POST":
        # Also the header's switch between companies or agencies of one portal.
        chosen = next(
            (m for m in memberships if str(m.pk) == request.POST.get("membership")), None
        )
        if chosen is not None:
            membership_activate(request, chosen)
            return redirect(PORTAL_URLS[chosen.kind])
    kind = request.GET.get("kind")
    if kind in PORTAL_URLS and any(m.kind == kind for m in memberships):
        memberships = [m for m in memberships if m.kind == kind]
    if len(memberships) == 1:
        return redirect(PORTAL_URLS[memberships[0].kind])
    if not memberships and request.user.is_staff:
        return redirect("admin:index")
    return render(request, "portal_chooser.html", {"memberships": memberships})


@never_cache
@require_http_methods(["GET", "POST"])
def terms(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(settings.LOGIN_URL_PATH)
    if not request.user.is_verified():
        return gate_redirect(request)
    version = terms_current_version()
    next_url = safe_next(request, reverse("portal-chooser"))
    if version is None or terms_accepted_current(request.user):
        return redirect(next_url)
    text = (
        Terms.objects.filter(version=version, language=request.LANGUAGE_CODE).first()
        or Terms.objects.filter(version=version).order_by("language").first()
    )
    error = None
    if request.method == "POST":
        if request.POST.get("accept") == "yes":
            terms_accept(user=request.user, version=version, request=request)
            return redirect(next_url)
        error = True
    return render(request, "terms.html", {"terms": text, "next": next_url, "error": error})


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness for load balancers and the compose healthchecks.

    200 when the database, the cache and the Celery broker answer, else 503; `checks` names each
    ("ok", "down", or "eager" when tasks run in the web process). `?workers=1` also asks the
    Celery workers for a ping: the answer is then 503 unless at least one worker replies, and
    `workers` gives how many did (the web healthcheck leaves it out, so web stays up while the
    workers restart; a monitor of the whole stack asks for it).
    """
    checks: dict[str, str] = {}
    body: dict = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:
        logger.exception("healthz: database")
        checks["database"] = "down"
    try:
        cache.set("healthz", "1", 5)
        checks["cache"] = "ok" if cache.get("healthz") == "1" else "down"
    except Exception:
        logger.exception("healthz: cache")
        checks["cache"] = "down"
    want_workers = request.GET.get("workers") == "1"
    if settings.CELERY_TASK_ALWAYS_EAGER:
        checks["broker"] = "eager"
        if want_workers:
            checks["workers"] = "eager"
    else:
        from portals.celery import app

        try:
            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
            checks["broker"] = "ok"
        except Exception:
            logger.exception("healthz: broker")
            checks["broker"] = "down"
        if want_workers:
            replies = []
            if checks["broker"] == "ok":
                try:
                    replies = app.control.ping(timeout=1.0) or []
                except Exception:
                    logger.exception("healthz: workers")
            body["workers"] = len(replies)
            checks["workers"] = "ok" if replies else "down"
            if not replies:
                logger.warning("healthz: no Celery worker answered the ping")
    healthy = all(value in ("ok", "eager") for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "down", "checks": checks, **body},
        status=200 if healthy else 503,
    )


def dev_outbox(request: HttpRequest) -> HttpResponse:
    messages = OutboxMessage.objects.order_by("-created_at")[:100]
    return render(request, "dev_outbox.html", {"outbox": messages})


def error_404(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "404.html", status=404)


def error_403(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "403.html", status=403)


DATABASE_RETRY_AFTER_SECONDS = 30


def error_500(request: HttpRequest) -> HttpResponse:
    """The server error page; a lost database connection is a 503 that says to retry soon.

    Django closes a connection that failed at the end of the request, so the next request
    connects again: no restart is needed once the database answers. A request's writes run in
    a transaction (services), so nothing half-written stays behind.
    """
    import sys

    from django.db import InterfaceError, OperationalError

    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        # The page needs no database: no user, no session, no navigation.
        response = render(request, "503.html", status=503)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return response
    return render(request, "500.html", status=500)


@require_http_methods(["POST"])
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language, and the choice is kept on the account so that SMS and e-mails
    follow it."""
    from django.views.i18n import set_language as django_set_language

    response = django_set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        from accounts.models import User

        User.objects.filter(pk=request.user.pk).update(language=language)
    return response
