"""The distribution partners' portal. Every view goes through BrokerPortalMixin (login, second
factor, terms, broker membership, capability); every object comes through a selector scoped to
the active membership's mandates in force today, so an object of another agency, another broker
or an ended mandate is a 404. Whether the scope is the whole agency follows the membership's
capabilities ("view_agency_portfolio"), never a role name."""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property

from django.core.cache import cache
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import ListView, TemplateView, View

from accounts.faq import faq_for
from accounts.models import FaqEntry, Membership
from accounts.selectors import support_contact_for
from policies import pdf as policy_pdf
from policies import selectors as ps
from policies import services as policy_services
from policies.broker_cache import (
    POLICY_PAGE_CACHE_SECONDS,
    PORTFOLIO_CACHE_SECONDS,
    policy_version_keys,
    portfolio_version_key,
    versioned,
)
from policies.models import CommissionLine, CommissionStatement, Document, Policy, Premium
from policies.swiss import percent
from portals.access import HINT_BROKER_SCOPE, BrokerPortalMixin, remember_hint
from portals.common.downloads import attachment, attachment_file
from portals.common.lists import CachedListingMixin, Column, Filter, ListMixin
from portals.common.shell import ShellCachedMixin
from simulations.charts import dated_chart_svg

from .forms import PolicyInquiryForm


class BrokerMixin(BrokerPortalMixin):
    @property
    def scope(self) -> dict[str, bool]:
        """The selectors' scope: the whole agency when the membership may see it."""
        return {"agency_wide": "view_agency_portfolio" in self.request.capabilities}

    # The session remembers the scope of the broker pages (membership, agency, broker or None
    # for the whole agency): the policy pages look a number up in it before the gate has run.
    SCOPE_HINT = HINT_BROKER_SCOPE

    def membership_scope(self) -> list:
        membership = self.request.membership
        return [membership.pk, membership.agency_id,
                None if self.scope["agency_wide"] else membership.user_id]

    def header_cache_keys(self) -> list[str]:
        return [ps.agency_cache_key(self.request.membership.agency_id)]

    def remember_scope(self) -> list:
        scope = self.membership_scope()
        remember_hint(self.request, self.SCOPE_HINT, scope)
        return scope

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        self.remember_scope()
        agency = ps.agency_for(self.request.membership,
                               cached=self.cache_found.get(
                                   ps.agency_cache_key(self.request.membership.agency_id)))
        # The header names the membership's target (its agency): from the cache too.
        self.request.membership.agency = agency
        context["agency"] = agency
        context["agency_wide"] = self.scope["agency_wide"]
        return context


# --- dashboard -----------------------------------------------------------------------------------

class HomeView(BrokerMixin, TemplateView):
    template_name = "broker/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["counts"] = ps.broker_counts(self.request.membership, **self.scope)
        context["inquiry_form"] = PolicyInquiryForm(auto_id="tile_%s", initial={"tab": "values"})
        return context


# --- policy inquiry ------------------------------------------------------------------------------

class InquiryView(BrokerMixin, TemplateView):
    """The number typed on the tile or here: checked for its form only, then the policy's page.
    Whether such a policy exists is answered there, under the lookup limit."""

    template_name = "broker/inquiry.html"

    def get(self, request, *args, **kwargs):
        if "number" not in request.GET:
            return self.render_to_response(self.get_context_data(form=PolicyInquiryForm()))
        form = PolicyInquiryForm(request.GET)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        name = "broker:policy-values" if form.cleaned_data["tab"] == "values" else (
            "broker:policy")
        return redirect(reverse(name, args=[form.cleaned_data["number"]]))


class PolicyMixin(ShellCachedMixin, BrokerMixin):
    """A policy by its number in the URL. A number outside the membership's mandates answers
    with the same page, status and queries as one that does not exist; each user may look up
    a limited number of different policies an hour, hits and misses alike.

    One cache round trip for the whole page: the session remembers the scope of the broker
    pages (BrokerMixin.SCOPE_HINT), so the policy is looked up in that scope before the gate
    runs and everything the page reads from the cache (lookup limit, header agency, the
    tab's body and its versions) comes with the gate's own round trip. The answer is used only
    when the gate's membership has exactly that scope; otherwise the page looks up again."""

    tab = "details"
    # The tab's own parts, put into its cached shell (portals.common.shell) on each request.
    shell_slots = ("policy_number", "body")
    # Whether the tab's body is kept in the shared cache (the PDF is not).
    cached_tab = True
    guessed: tuple | None = None

    def page_cache_keys(self, number: str, scope: list, policy: Policy | None) -> list[str]:
        """The lookup limit's mark, the header's agency and, for a policy in scope, the tab's
        cached body with its versions."""
        keys = [policy_services.policy_lookup_key(self.request.user, number),
                ps.agency_cache_key(scope[1])]
        if policy is not None and self.cached_tab:
            keys += [self.body_key(policy, scope), *self.body_version_keys(policy)]
        return keys

    def gate_cache_keys(self) -> list[str]:
        request = self.request
        scope = request.session.get(self.SCOPE_HINT)
        number = ps.policy_number_normalize(self.kwargs.get("number"))
        if not (isinstance(scope, list) and len(scope) == 3 and number is not None
                and request.user.is_authenticated and request.user.is_verified()):
            return []
        policy = ps.policy_in_scope(scope[1], scope[2], number)
        self.guessed = (scope, policy)
        return self.page_cache_keys(number, scope, policy)

    def get(self, request, number: str):
        normalized = ps.policy_number_normalize(number)
        policy = None
        if normalized is not None:
            scope = self.remember_scope()
            if (self.guessed is not None and self.guessed[0] == scope
                    and getattr(request, "gate_prefetched", None) is not None):
                policy, self.cache_found = self.guessed[1], request.gate_prefetched
            else:
                policy = ps.policy_for_broker(request.membership, normalized, **self.scope)
                self.cache_found = cache.get_many(self.page_cache_keys(normalized, scope, policy))
            allowed = policy_services.policy_lookup_take(
                user=request.user, number=normalized, found=policy is not None,
                remembered=bool(self.cache_found.get(
                    policy_services.policy_lookup_key(request.user, normalized))))
            if not allowed:
                return render(request, "broker/lookup_limit.html", self.get_context_data(
                    limit=policy_services.POLICY_LOOKUPS_PER_HOUR), status=429)
        if policy is None:
            form = PolicyInquiryForm(initial={"number": (number or "")[:40], "tab": self.tab})
            return render(request, "broker/policy_not_found.html", self.get_context_data(
                form=form, number=(number or "")[:40]), status=404)
        return self.policy_response(policy)

    def policy_response(self, policy: Policy) -> HttpResponse:
        raise NotImplementedError

    def body_key(self, policy: Policy, scope: list | None = None) -> str:
        """The tab's cache key. Only read after the scope check of this request; the key
        still names the scope (agency, and the broker unless agency-wide), the language and
        the day (days overdue move with the calendar)."""
        _membership, agency_id, broker_id = scope or self.membership_scope()
        return (f"broker-policy-page:v2:{self.tab}:{agency_id}:{broker_id or 'all'}:{policy.pk}:"
                f"{translation.get_language()}:{timezone.localdate().isoformat()}")

    def body_version_keys(self, policy: Policy) -> list[str]:
        """The policy's and its holders' data versions the body is kept with."""
        return policy_version_keys(policy.pk, [policy.holder_id, policy.insured_id])

    def cached_body(self, policy: Policy, build) -> str:
        """The tab's body from the shared cache (read in get() with the lookup limit), else
        rendered by `build()` and kept with the versions it was built at."""
        body = versioned(self.body_key(policy), self.body_version_keys(policy), build,
                         POLICY_PAGE_CACHE_SECONDS, found=self.cache_found)
        return mark_safe(body)  # noqa: S308 - our own rendered template


class PolicyDetailView(PolicyMixin, TemplateView):
    template_name = "broker/policy_detail.html"

    def policy_response(self, policy):
        return self.render_to_response(self.get_context_data(
            policy=policy, policy_number=policy.number, tab="details",
            body=self.cached_body(policy, lambda: self.body(policy)),
        ))

    def body(self, policy: Policy) -> str:
        premiums = Premium.objects.filter(policy=policy)
        recent = list(premiums.order_by("-due_date", "-pk")[:12])
        for premium in recent:
            premium.days_overdue = ps.premium_days_overdue(premium)
        return render_to_string("broker/_policy_detail_body.html", {
            "policy": policy, "tab": "details", "beneficiaries": ps.policy_beneficiaries(policy),
            "premiums": recent, "totals": ps.premium_totals(premiums),
        })


def value_chart(policy: Policy, values) -> dict | None:
    if not values:
        return None
    svg = dated_chart_svg(
        [(v.date, v.surrender_value) for v in values],
        title=_("Valeur de rachat de la police %(number)s") % {"number": policy.number},
        desc=_("Évolution de la valeur de rachat, date par date. Les mêmes chiffres figurent "
               "dans le tableau."),
    )
    return {"svg": svg}


class PolicyValuesView(PolicyMixin, TemplateView):
    template_name = "broker/policy_values.html"
    tab = "values"

    def policy_response(self, policy):
        return self.render_to_response(self.get_context_data(
            policy=policy, policy_number=policy.number, tab="values",
            body=self.cached_body(policy, lambda: self.body(policy)),
        ))

    def body(self, policy: Policy) -> str:
        values = ps.policy_values_history(policy)
        return render_to_string("broker/_policy_values_body.html", {
            "policy": policy, "tab": "values", "values": list(reversed(values)),
            "current": values[-1] if values else None, "chart": value_chart(policy, values),
        })


class ValuationPdfView(PolicyMixin, TemplateView):
    tab = "values"
    cached_tab = False

    def policy_response(self, policy):
        values = ps.policy_values_history(policy)
        return attachment(policy_pdf.valuation_statement_pdf(policy, values),
                          f"valeur-de-rachat-{policy.number}.pdf")


# --- portfolio and clients -----------------------------------------------------------------------

PAYMENT_STATES = [("overdue", gettext_lazy("Prime(s) en retard")),
                  ("ok", gettext_lazy("À jour"))]


def _payment_state(queryset, value: str):
    return ps.policies_with_overdue(queryset, value == "overdue")


def _holder_name(policy: Policy) -> str:
    return f"{policy.holder.last_name} {policy.holder.first_name}"


class PortfolioView(CachedListingMixin, ListMixin, BrokerMixin, ListView):
    template_name = "broker/portfolio.html"
    filters = {
        "product": Filter(gettext_lazy("Produit"), lambda view: [
            (p, p) for p in ps.broker_products(view.request.membership, **view.scope)]),
        "status": Filter(gettext_lazy("Statut"), Policy.Status.choices),
        "payment": Filter(gettext_lazy("Paiements"), PAYMENT_STATES, lookup=_payment_state),
    }
    sort_columns = {"number": "number", "client": ("holder__last_name", "holder__first_name"),
                    "product": "product", "premium": "premium", "start": "start_date",
                    "status": "status"}
    default_sort = "client"
    columns = [
        Column("number", gettext_lazy("Police"), "number"),
        Column("client", gettext_lazy("Client"), _holder_name),
        Column("product", gettext_lazy("Produit"), "product"),
        Column("status", gettext_lazy("Statut"), "get_status_display"),
        Column("premium", gettext_lazy("Prime (CHF)"), "premium", numeric=True),
        Column("frequency", gettext_lazy("Périodicité"), "get_frequency_display"),
        Column("start", gettext_lazy("Début"), "start_date"),
        Column("payment", gettext_lazy("Paiements"), lambda p: _("En retard") if p.has_overdue
               else _("À jour")),
    ]
    paginate_by = 25
    export_name = "portefeuille"
    # The first pages of each sort and filter come rendered from the shared cache.
    listing_template = "broker/_portfolio_body.html"
    listing_cache_seconds = PORTFOLIO_CACHE_SECONDS
    shell_mixin = BrokerMixin

    def listing_scope(self) -> str:
        """The agency, and the broker unless agency-wide (mandates start and end by date: the
        key holds the day); the entry holds the agency's portfolio version it was built at."""
        membership = self.request.membership
        scope = "all" if self.scope["agency_wide"] else membership.user_id
        return f"broker-portfolio:v2:{membership.agency_id}:{scope}"

    def listing_versions(self) -> list[str]:
        return [portfolio_version_key(self.request.membership.agency_id)]

    def get_base_queryset(self):
        # The overdue flag as an annotation only for an export (every row); a page marks its
        # own rows in one query (policies_mark_overdue).
        exporting = self.request.GET.get("export") in self.export_formats
        return ps.broker_portfolio(self.request.membership, **self.scope,
                                   with_overdue=exporting)

    def paginate_queryset(self, queryset, page_size):
        if not (self.search_query or self.active_filters):
            # The whole portfolio: its size is the number of mandates, counted on their own
            # index instead of joining 5,000 policies out of the fund's 100,000.
            queryset = KnownCount(queryset, ps.mandates_for_broker(
                self.request.membership, **self.scope).count())
        paginator, page, rows, is_paginated = super().paginate_queryset(queryset, page_size)
        page.object_list = ps.policies_mark_overdue(list(rows))
        return paginator, page, page.object_list, is_paginated

    def search(self, queryset, query):
        return queryset.filter(policy_or_name_match(query, number="number",
                                                    names=("holder__last_name",
                                                           "holder__first_name")))


class KnownCount:
    """A queryset whose row count is already known: the paginator asks it, not the database."""

    def __init__(self, queryset, count: int) -> None:
        self.queryset, self._count = queryset, count
        self.ordered = queryset.ordered

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        return self.queryset[index]


def policy_or_name_match(query: str, *, number: str, names: tuple[str, ...]) -> Q:
    """A policy number typed any way (P 700 001) or every word in a name or a number."""
    match = Q()
    for word in query.split()[:6]:
        word_match = Q(**{f"{number}__icontains": word})
        for field in names:
            word_match |= Q(**{f"{field}__icontains": word})
        match &= word_match
    normalized = ps.policy_number_normalize(query)
    if normalized is not None:
        match |= Q(**{number: normalized})
    return match


class ClientDetailView(BrokerMixin, TemplateView):
    template_name = "broker/client_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        client = ps.client_for_broker(self.request.membership, self.kwargs["pk"], **self.scope)
        policies = ps.client_policies(self.request.membership, client, **self.scope)
        documents = list(ps.documents_for_broker(self.request.membership, **self.scope)
                         .filter(policy__holder=client).order_by("-year", "-pk")[:50])
        context.update(client=client, policies=policies, documents=documents)
        return context


# --- payments ------------------------------------------------------------------------------------

PAYMENT_STATUSES = [(s, label) for s, label in Premium.Status.choices]


class PaymentsView(ListMixin, BrokerMixin, ListView):
    """Premiums due, paid and overdue across the portfolio, with totals of what is listed."""

    template_name = "broker/payments.html"
    filters = {
        "status": Filter(gettext_lazy("Statut"), PAYMENT_STATUSES),
        "dunning": Filter(gettext_lazy("Niveau de rappel"), Premium.Dunning.choices,
                          lookup="dunning_level"),
    }
    sort_columns = {"due": "due_date", "policy": "policy__number", "amount": "amount",
                    "client": ("policy__holder__last_name", "policy__holder__first_name"),
                    "dunning": "dunning_level"}
    default_sort = "-due"
    columns = [
        Column("policy", gettext_lazy("Police"), "policy.number"),
        Column("client", gettext_lazy("Client"), lambda p: _holder_name(p.policy)),
        Column("due", gettext_lazy("Échéance"), "due_date"),
        Column("amount", gettext_lazy("Montant (CHF)"), "amount", numeric=True),
        Column("status", gettext_lazy("Statut"), "get_status_display"),
        Column("paid", gettext_lazy("Payée le"), "paid_date"),
        # Empty rather than 0 / "no reminder" on the many premiums that are not late.
        Column("days", gettext_lazy("Jours de retard"),
               lambda p: ps.premium_days_overdue(p) or None, numeric=True),
        Column("dunning", gettext_lazy("Niveau de rappel"),
               lambda p: p.get_dunning_level_display() if p.dunning_level else None),
    ]
    paginate_by = 50
    export_name = "paiements"

    def get_base_queryset(self):
        return ps.premiums_for_broker(self.request.membership, **self.scope)

    def search(self, queryset, query):
        return queryset.filter(policy_or_name_match(
            query, number="policy__number",
            names=("policy__holder__last_name", "policy__holder__first_name")))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["totals"] = ps.premium_totals(self.get_queryset())
        return context


# --- documents -----------------------------------------------------------------------------------

class DocumentsView(ListMixin, BrokerMixin, ListView):
    template_name = "broker/documents.html"
    filters = {
        "category": Filter(gettext_lazy("Catégorie"), Document.Category.choices),
    }
    sort_columns = {"published": "published_at", "title": "title", "policy": "policy__number",
                    "year": "year"}
    default_sort = "-published"
    columns = [
        Column("title", gettext_lazy("Document"), "title"),
        Column("category", gettext_lazy("Catégorie"), "get_category_display"),
        Column("policy", gettext_lazy("Police"), "policy.number"),
        Column("client", gettext_lazy("Client"), lambda d: _holder_name(d.policy)),
        Column("year", gettext_lazy("Année"), "year"),
        Column("published", gettext_lazy("Publié le"), "published_at"),
    ]
    export_formats = ()
    paginate_by = 25

    def get_base_queryset(self):
        return ps.documents_for_broker(self.request.membership, **self.scope)

    def search(self, queryset, query):
        return queryset.filter(policy_or_name_match(
            query, number="policy__number",
            names=("title", "policy__holder__last_name", "policy__holder__first_name")))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["new_since"] = timezone.now() - timedelta(days=ps.NEW_DOCUMENT_DAYS)
        return context


class DocumentDownloadView(BrokerMixin, View):
    """A client's document, only through the membership's mandates (else 404). The client's own
    "first read" mark is theirs: a broker's download leaves it alone."""

    def get(self, request, pk: int):
        document = ps.document_for_broker(request.membership, pk, **self.scope)
        name = slugify(f"{document.title}-{document.year}") or "document"
        if document.file:
            try:
                handle = document.file.open("rb")
            except (FileNotFoundError, OSError):
                raise Http404 from None
            extension = document.file.name.rsplit(".", 1)[-1].lower()
            return attachment_file(handle, f"{name}.{extension}")
        if document.category == Document.Category.POLICY:
            values = ps.policy_values_history(document.policy)
            return attachment(policy_pdf.valuation_statement_pdf(document.policy, values),
                              f"{name}.pdf")
        raise Http404


# --- commissions ---------------------------------------------------------------------------------

def _broker_name(statement: CommissionStatement) -> str:
    broker = statement.broker
    return f"{broker.first_name} {broker.last_name}" if broker else _("Agence")


class CommissionsView(ListMixin, BrokerMixin, ListView):
    template_name = "broker/commissions.html"
    required_capability = "view_commissions"
    filters = {"period": Filter(gettext_lazy("Période"), CommissionStatement.Period.choices,
                                lookup="period_kind")}
    sort_columns = {"start": ("period_start", "period_kind"), "total": "total"}
    default_sort = "-start"
    paginate_by = 25
    export_formats = ()

    def get_columns(self):
        columns = [
            Column("start", gettext_lazy("Du"), "period_start"),
            Column("end", gettext_lazy("Au"), "period_end"),
            Column("period", gettext_lazy("Période"), "get_period_kind_display"),
        ]
        if self.scope["agency_wide"]:
            columns.append(Column("broker", gettext_lazy("Courtier"), _broker_name))
        columns.append(Column("total", gettext_lazy("Total (CHF)"), "total", numeric=True))
        return columns

    def get_base_queryset(self):
        return ps.commission_statements_for_broker(self.request.membership, **self.scope)


class CommissionStatementMixin(BrokerMixin):
    required_capability = "view_commissions"

    @cached_property
    def statement(self) -> CommissionStatement:
        return ps.commission_statement_for_broker(self.request.membership, self.kwargs["pk"],
                                                  **self.scope)


class CommissionDetailView(ListMixin, CommissionStatementMixin, ListView):
    """The statement's lines (CSV and XLSX through the list toolkit), its total and its PDF."""

    template_name = "broker/commission_detail.html"
    sort_columns = {"policy": "policy__number", "amount": "amount", "kind": "kind"}
    default_sort = "policy"
    columns = [
        Column("policy", gettext_lazy("Police"), "policy.number"),
        Column("client", gettext_lazy("Client"), lambda ln: _holder_name(ln.policy)),
        Column("kind", gettext_lazy("Type"), "get_kind_display"),
        Column("basis", gettext_lazy("Base (CHF)"), "basis", numeric=True),
        Column("rate", gettext_lazy("Taux"), lambda ln: percent(ln.rate, 2), numeric=True),
        Column("amount", gettext_lazy("Montant (CHF)"), "amount", numeric=True),
    ]
    paginate_by = 100

    @property
    def export_name(self) -> str:
        return f"commissions-{self.statement.period_start:%Y-%m}-{self.statement.period_kind}"

    def get_base_queryset(self):
        return ps.commission_lines(self.statement)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["statement"] = self.statement
        context["kinds"] = CommissionLine.Kind
        return context


class CommissionPdfView(CommissionStatementMixin, View):
    def get(self, request, pk: int):
        lines = list(ps.commission_lines(self.statement).order_by("policy__number", "kind"))
        return attachment(policy_pdf.commission_statement_pdf(self.statement, lines),
                          f"commissions-{self.statement.period_start:%Y-%m}-"
                          f"{self.statement.period_kind}.pdf")


# --- account -------------------------------------------------------------------------------------

class HelpView(BrokerMixin, TemplateView):
    """The account manager, the broker centre and the brokers' FAQ (edited in the admin)."""

    template_name = "broker/help.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["contact"] = support_contact_for(Membership.Kind.BROKER)
        context["faq"] = faq_for(FaqEntry.Portal.BROKER)
        return context


class AccountView(BrokerMixin, TemplateView):
    """Espace personnel: the profile pages, and why deleting the account goes through the
    account manager (support deactivates it in the admin)."""

    template_name = "broker/account.html"

