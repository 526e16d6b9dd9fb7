"""Public access-request forms of employers and brokers."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts import registration as reg
from accounts.models import AccessRequest, Membership
from accounts.services import client_ip
from portals.account.forms import AccessRequestForm
from portals.account.views.register import page_language


def access_request(request: HttpRequest, kind: str) -> HttpResponse:
    form = AccessRequestForm(request.POST or None, kind=kind,
                             initial={"language": page_language()})
    if request.method == "POST" and form.is_valid():
        try:
            reg.access_request_submit(kind=kind, ip=client_ip(request), **form.cleaned_data)
        except reg.AccessRequestThrottled:
            form.add_error(None, _(
                "Nous avons reçu trop de demandes depuis votre connexion au cours de la "
                "dernière heure. Réessayez plus tard ou appelez notre centre clients."
            ))
        else:
            request.session["access_request_kind"] = kind
            return redirect("access-request-sent")
    title = (
        _("Demande d'accès au portail des entreprises clientes")
        if kind == Membership.Kind.EMPLOYER
        else _("Demande d'accès au portail des partenaires de distribution")
    )
    return render(request, "accounts/access_request/form.html",
                  {"form": form, "kind": kind, "title": title})


def access_request_employer(request: HttpRequest) -> HttpResponse:
    return access_request(request, Membership.Kind.EMPLOYER)


def access_request_broker(request: HttpRequest) -> HttpResponse:
    return access_request(request, Membership.Kind.BROKER)


def access_request_sent(request: HttpRequest) -> HttpResponse:
    kind = request.session.pop("access_request_kind", None)
    return render(request, "accounts/access_request/sent.html",
                  {"kind": kind, "kinds": AccessRequest._meta.get_field("kind").choices})
