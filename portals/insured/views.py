"""The insured persons' and pensioners' portal. Every view goes through InsuredPortalMixin (login,
second factor, terms, membership); objects come through selectors scoped to the person, so
someone else's id is a 404."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from functools import cached_property

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView, View

from accounts.faq import faq_for
from accounts.models import FaqEntry
from accounts.selectors import support_contact_for
from policies import pdf as policy_pdf
from policies import selectors as ps
from policies import services as policy_services
from policies.countries import country_name
from policies.models import (
    ChangeRequest,
    Document,
    InsuredPerson,
    RequestStatus,
)
from policies.swiss import iban_masked
from portals.access import HINT_DASHBOARD_PERSON, InsuredPortalMixin, remember_hint
from portals.common.downloads import attachment, attachment_file
from portals.common.reauth import (
    RecentAuthRequiredMixin,
    is_recently_reauthenticated,
    reauth_url,
)
from portals.common.shell import ShellCachedMixin
from portals.common.timeline import status_timeline
from simulations import engine
from simulations import selectors as ss
from simulations import services as sim
from simulations.charts import capital_chart_svg
from simulations.models import Simulation
from simulations.pdf import series_label, simulation_pdf

from . import forms


class PersonMixin(InsuredPortalMixin):
    @cached_property
    def person(self) -> InsuredPerson:
        return ps.insured_person_for(self.request.membership)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["person"] = self.person
        return context


class PensionerOnlyMixin:
    def dispatch(self, request, *args, **kwargs):
        if not self.person.is_pensioner:
            raise PermissionDenied("pensioners only")
        return super().dispatch(request, *args, **kwargs)


# --- dashboard -----------------------------------------------------------------------------------

class HomeView(ShellCachedMixin, InsuredPortalMixin, TemplateView):
    """The most visited page: its body is rendered once per person, data version, language and
    day (pension dates move with the calendar), then served from the shared cache together
    with the navigation's pensioner flag. The session remembers whose dashboard this was, so
    the next visit reads it with the gate's own cache round trip (one for the whole page)."""

    template_name = "insured/home.html"
    shell_slots = ("dashboard_html",)
    PERSON_HINT = HINT_DASHBOARD_PERSON

    def body_key(self, person_id: int) -> str:
        return (f"insured-dashboard:v2:{person_id}:{translation.get_language()}:"
                f"{timezone.localdate().isoformat()}")

    def gate_cache_keys(self) -> list[str]:
        person_id = self.request.session.get(self.PERSON_HINT)
        if not isinstance(person_id, int):
            return []
        return ps.dashboard_cache_keys(person_id, self.body_key(person_id))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        person_id = self.request.membership.insured_person_id
        found = None
        if remember_hint(self.request, self.PERSON_HINT, person_id):
            found = getattr(self.request, "gate_prefetched", None)  # for this very person
        html, is_pensioner = ps.dashboard_cached(
            person_id, self.body_key(person_id),
            lambda: render_to_string("insured/_dashboard.html", self.dashboard_context(),
                                     request=self.request),
            found=found)
        self.request.insured_is_pensioner = is_pensioner  # for the navigation
        context["dashboard_html"] = mark_safe(html)  # noqa: S308 - our own rendered template
        return context

    def dashboard_context(self) -> dict:
        person = ss.insured_dashboard(self.request.membership)
        context = {
            "person": person, "certificate": person.latest_certificate,
            "unread_documents": person.unread_documents, "open_requests": person.open_requests,
            "recent_documents": ps.documents_recent(person, 5),
        }
        if person.is_pensioner:
            pensions = ps.pensions_current(person)
            context["pensions"] = [(p, ps.pension_next_payment_date(p)) for p in pensions]
            context["payments"] = ps.pension_payments_recent(person, 12)
            context["statement"] = ps.pension_statement_latest(person)
        return context


class AhvRevealView(PersonMixin, RecentAuthRequiredMixin, TemplateView):
    template_name = "insured/ahv.html"


# --- documents -----------------------------------------------------------------------------------

class DocumentListView(PersonMixin, TemplateView):
    template_name = "insured/documents.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        category = self.request.GET.get("category") or ""
        if category not in Document.Category.values:
            category = ""
        try:
            year = int(self.request.GET.get("year") or 0)
        except ValueError:
            year = 0
        context.update(
            documents=list(ps.documents_inbox(self.person, category=category, year=year)),
            facets=ps.document_facets(self.person), category=category, year=year,
            category_labels=dict(Document.Category.choices),
        )
        return context


class DocumentDownloadView(PersonMixin, View):
    def get(self, request, pk: int):
        document = ps.document_for_insured(self.person, pk)
        # The year once: most titles already carry it ("Certificat de prévoyance 2026").
        title = document.title_display
        if document.year and str(document.year) not in title:
            title = f"{title}-{document.year}"
        name = slugify(title) or "document"
        if document.file:
            try:
                handle = document.file.open("rb")
            except (FileNotFoundError, OSError):
                raise Http404 from None
            extension = document.file.name.rsplit(".", 1)[-1].lower()
            response = attachment_file(handle, f"{name}.{extension}")
        elif document.category == Document.Category.PENSION_STATEMENT:
            response = attachment(policy_pdf.pension_statement_pdf(self.person, document.year),
                                  f"{name}.pdf")
        elif document.certificate_id is not None:
            document.certificate.person = self.person
            response = attachment(policy_pdf.certificate_pdf(document.certificate), f"{name}.pdf")
        else:
            raise Http404
        policy_services.document_mark_read(document=document)
        return response


# --- simulations ---------------------------------------------------------------------------------

def chart_for(simulation_kind: str, result: dict):
    series = result.get("series") or {}
    if not series:
        return None
    labels = {
        "capital": _("Votre avoir"),
        "without": _("Sans rachat") if simulation_kind == "buy_in" else _("Sans versement"),
        "with": _("Avec rachat") if simulation_kind == "buy_in" else _("Avec versement"),
    }
    named = [(labels.get(k, k), rows) for k, rows in series.items()]
    desc = _("Évolution de votre avoir de vieillesse jusqu'à la retraite, année par année. "
             "Les mêmes chiffres figurent dans le tableau.")
    svg = capital_chart_svg(named, title=_("Votre avoir de vieillesse"), desc=desc)
    first = next(iter(series.values()))
    names = list(series)
    rows = [
        (row[0], row[1], [series[n][i][2] if i < len(series[n]) else None for n in names])
        for i, row in enumerate(first)
    ]
    return {"svg": svg, "legend": [(labels.get(n, series_label(n)), i) for i, n in
                                   enumerate(names)], "headers": [labels.get(n) for n in names],
            "rows": rows}


class SimulationIndexView(PersonMixin, TemplateView):
    template_name = "insured/simulations/index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["certificate"] = ps.certificate_latest(self.person)
        context["simulations"] = list(ss.simulations_for(self.person)[:20])
        return context


class SimulationFormView(PersonMixin, TemplateView):
    kind: str = ""
    form_class: type = forms.RetirementForm
    template_name = ""

    @cached_property
    def certificate(self):
        return ps.certificate_latest(self.person)

    @cached_property
    def plan(self) -> engine.Plan:
        return sim.engine_plan(self.person.contract.plan)

    def form_kwargs(self) -> dict:
        return {}

    def initial(self) -> dict:
        return {}

    def unavailable(self):
        if self.person.is_pensioner or self.certificate is None:
            return render(self.request, "insured/simulations/unavailable.html",
                          self.get_context_data())
        return None

    def get(self, request, *args, **kwargs):
        return self.unavailable() or self.render(
            self.form_class(initial=self.initial(), **self.form_kwargs()), None)

    def post(self, request, *args, **kwargs):
        blocked = self.unavailable()
        if blocked:
            return blocked
        form = self.form_class(request.POST, **self.form_kwargs())
        result = None
        if form.is_valid():
            values = form.engine_values()
            try:
                result = self.simulate(values)
            except engine.SimulationError as error:
                forms.add_engine_errors(form, error, self.field_map())
                result = None
            if result is not None and hasattr(form, "add_result_errors"):
                form.add_result_errors(result)
                if form.errors:
                    result = None
            if result is not None and "save" in request.POST:
                simulation = sim.simulation_save(
                    person=self.person, kind=self.kind, inputs=values, result=result,
                    user=request.user,
                )
                messages.success(request, _("Votre simulation est enregistrée."))
                return redirect("insured:simulation-detail", pk=simulation.pk)
        return self.render(form, result, status=200)

    def field_map(self) -> dict:
        return {}

    def render(self, form, result, status=200):
        context = self.get_context_data(form=form, result=result, kind=self.kind,
                                        certificate=self.certificate, plan=self.plan)
        if result is not None:
            context["chart"] = chart_for(self.kind, result)
        return render(self.request, self.template_name, context, status=status)

    def simulate(self, values: dict) -> dict:
        raise NotImplementedError


class RetirementSimulationView(SimulationFormView):
    kind = Simulation.Kind.RETIREMENT
    form_class = forms.RetirementForm
    template_name = "insured/simulations/retirement.html"

    def form_kwargs(self):
        return {"person": self.person, "plan": self.plan, "year": self.certificate.year}

    def initial(self):
        return {"retirement_age": sim.reference_age_years(self.person, self.plan),
                "lump_sum_percent": 0}

    def field_map(self):
        return {"lump_sum_share": "lump_sum_percent"}

    def simulate(self, values):
        return sim.retirement_simulate(person=self.person, certificate=self.certificate,
                                       **values)


class BuyInSimulationView(SimulationFormView):
    kind = Simulation.Kind.BUY_IN
    form_class = forms.BuyInForm
    template_name = "insured/simulations/buy_in.html"

    def simulate(self, values):
        return sim.buy_in_simulate(person=self.person, certificate=self.certificate, **values)


class WefSimulationView(SimulationFormView):
    kind = Simulation.Kind.WEF
    form_class = forms.WefForm
    template_name = "insured/simulations/wef.html"

    def form_kwargs(self):
        return {"person": self.person, "plan": self.plan}

    def initial(self):
        return {"purpose": engine.OWNERSHIP}

    def field_map(self):
        return {"requested_amount": "amount", "date": "withdrawal_date"}

    def simulate(self, values):
        values = dict(values)
        at_50 = values.pop("vested_benefit_at_50")
        birth = self.person.birth_date
        # The art. 5 WEFV limit applies from the day after the 50th birthday (BVG.md).
        limited = engine.after_50_limit_applies(birth, values["withdrawal_date"])
        if limited and not at_50 and not engine.after_50_limit_applies(birth, forms._today()):
            # Turns 50 before the withdrawal: the benefit at 50 is not known yet, but it is at
            # least today's (the capital only grows until then).
            at_50 = self.certificate.savings_capital
        return sim.wef_simulate(
            person=self.person, certificate=self.certificate,
            vested_benefit_at_50=at_50 if limited else None, **values,
        )


class SimulationDetailView(PersonMixin, TemplateView):
    template_name = "insured/simulations/detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        simulation = ss.simulation_for(self.person, self.kwargs["pk"])
        from simulations.pdf import facts

        context.update(
            simulation=simulation, result=simulation.result, kind=simulation.kind,
            chart=chart_for(simulation.kind, simulation.result),
            inputs=facts(simulation.inputs),
            request_made=simulation.requests.exclude(status="rejected").first(),
        )
        return context


class SimulationPdfView(PersonMixin, View):
    def get(self, request, pk: int):
        simulation = ss.simulation_for(self.person, pk)
        simulation.person = self.person
        name = slugify(f"simulation-{simulation.get_kind_display()}-{simulation.created_at:%Y%m%d}")
        return attachment(simulation_pdf(simulation), f"{name}.pdf")


class SimulationRequestView(PersonMixin, TemplateView):
    """A formal request from a saved simulation: GET shows what happens next (who looks at it,
    when, what the person receives); only the confirming POST files it."""

    # Working days our pension team needs to answer (shown to the person, not enforced here).
    WORKING_DAYS = 5

    def get(self, request, pk: int):
        simulation = ss.simulation_for(self.person, pk)
        existing = simulation.requests.exclude(status="rejected").first()
        if existing is not None:
            return redirect("insured:request-detail", pk=existing.pk)
        return render(request, "insured/simulations/request_confirm.html",
                      self.get_context_data(simulation=simulation, kind=simulation.kind,
                                            working_days=self.WORKING_DAYS,
                                            contact=support_contact_for("insured")))

    def post(self, request, pk: int):
        simulation = ss.simulation_for(self.person, pk)
        if request.POST.get("confirm") != "yes":
            return redirect("insured:simulation-request", pk=simulation.pk)
        service_request = sim.service_request_from_simulation(
            simulation=simulation, user=request.user
        )
        messages.success(request, _("Votre demande %(case)s a bien été reçue.")
                         % {"case": service_request.case_number})
        return redirect("insured:request-detail", pk=service_request.pk)


# --- requests ------------------------------------------------------------------------------------

class RequestListView(PersonMixin, TemplateView):
    template_name = "insured/requests/list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = [
            (r.created_at, r.case_number, r.get_kind_display(), r.get_status_display(), r.status,
             reverse("insured:request-detail", args=[r.pk]))
            for r in ss.service_requests_for(self.person)
        ] + [
            (c.created_at, c.case_number, c.get_kind_display(), c.get_status_display(), c.status,
             reverse("insured:change-detail", args=[c.pk]))
            for c in ps.change_requests_for(self.person)
        ]
        context["rows"] = sorted(rows, key=lambda row: row[0], reverse=True)
        return context


class RequestDetailView(PersonMixin, TemplateView):
    template_name = "insured/requests/detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        service_request = ss.service_request_for(self.person, self.kwargs["pk"])
        context.update(item=service_request,
                       steps=status_timeline(RequestStatus, status=service_request.status,
                                             events=service_request.events.all()))
        return context


class ChangeDetailView(PersonMixin, TemplateView):
    template_name = "insured/requests/detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        change = ps.change_request_for(self.person, self.kwargs["pk"])
        from simulations.pdf import labels

        field_labels = {**labels(), "street": _("Rue"), "postcode": _("NPA"),
                        "city": _("Localité"), "country": _("Pays"),
                        "civil_status": _("État civil"), "iban": _("IBAN"),
                        "holder": _("Titulaire"), "currency": _("Monnaie")}
        statuses = dict(InsuredPerson.CivilStatus.choices)
        data = []
        for key, value in change.data.items():
            if key == "civil_status":
                value = statuses.get(value, value)
            if key == "iban":
                value = iban_masked(value)
            if key == "country":
                value = country_name(value)
            data.append((field_labels.get(key, key), value))
        context.update(item=change, change_data=data,
                       steps=status_timeline(RequestStatus, status=change.status,
                                             events=change.events.all()))
        return context


# --- personal data -------------------------------------------------------------------------------

class PersonalDataView(PersonMixin, TemplateView):
    template_name = "insured/personal.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["pending"] = list(
            ps.change_requests_for(self.person).filter(status__in=["received", "in_progress"])
        )
        return context


class ChangeFormView(FormView):
    """Base of the change forms; the concrete views put PersonMixin (the gate) first."""

    kind: str = ""
    template_name = "insured/change_form.html"
    title = ""
    intro = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(title=self.title, intro=self.intro, kind=self.kind)
        return context

    def change_data(self, form) -> dict:
        return {k: v for k, v in form.cleaned_data.items() if k != "effective_date"}

    def form_valid(self, form):
        try:
            change = policy_services.change_request_submit(
                person=self.person, kind=self.kind, data=self.change_data(form),
                effective_date=form.cleaned_data["effective_date"],
                submitted_by=self.request.user,
            )
        except policy_services.ChangeRequestAlreadyOpen as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, _(
            "Votre demande %(case)s a bien été reçue. Nous l'appliquerons après vérification.")
            % {"case": change.case_number})
        return redirect("insured:change-detail", pk=change.pk)


class RecentAuthChangeMixin(RecentAuthRequiredMixin):
    """The password again before a change that moves where the pension or its letters go: a
    stolen session must not redirect them. Put after PersonMixin (the gate)."""

    def form_valid(self, form):
        # The session may have aged while the form was open: re-check before acting.
        if not is_recently_reauthenticated(self.request):
            return redirect(reauth_url(self.request.get_full_path()))
        return super().form_valid(form)


class AddressChangeView(PersonMixin, RecentAuthChangeMixin, ChangeFormView):
    form_class = forms.AddressForm
    kind = ChangeRequest.Kind.ADDRESS
    title = gettext_lazy("Annoncer un changement d'adresse")
    intro = gettext_lazy("Indiquez votre nouvelle adresse. Nous la vérifions puis la reportons "
                         "dans votre dossier.")

    def get_initial(self):
        return {"country": self.person.country or "CH"}


class CivilStatusChangeView(PersonMixin, ChangeFormView):
    form_class = forms.CivilStatusForm
    kind = ChangeRequest.Kind.CIVIL_STATUS
    title = gettext_lazy("Annoncer un changement d'état civil")
    intro = gettext_lazy("Mariage, partenariat enregistré, divorce ou décès du conjoint : votre "
                         "état civil compte pour les prestations aux survivants. Nous pourrons "
                         "vous demander une copie de l'acte d'état civil.")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "person": self.person}


class BankAccountChangeView(PersonMixin, PensionerOnlyMixin, RecentAuthChangeMixin,
                            ChangeFormView):
    form_class = forms.BankAccountForm
    kind = ChangeRequest.Kind.BANK_ACCOUNT
    title = gettext_lazy("Changer le compte de versement de votre rente")
    intro = gettext_lazy("Pour votre sécurité, nous vous prévenons par e-mail et par SMS, et un·e "
                         "second·e collègue vérifie chaque changement avant le prochain "
                         "versement.")

    def get_initial(self):
        return {"currency": "CHF", "holder": self.person.full_name}

    def change_data(self, form):
        return {"iban": form.cleaned_data["iban"], "holder": form.cleaned_data["holder"],
                "currency": form.cleaned_data["currency"]}


# --- my data (nFADP art. 25/28) ------------------------------------------------------------------

class MyDataView(PersonMixin, RecentAuthRequiredMixin, TemplateView):
    """The export holds the full AHV number and the bank account: password again first."""

    template_name = "insured/my_data.html"

    def post(self, request, *args, **kwargs):
        fmt = request.POST.get("format")
        if fmt not in ("json", "pdf"):
            fmt = "json"
        if not policy_services.data_export_allowed(user=request.user):
            context = self.get_context_data(limited=True)
            return self.render_to_response(context, status=429)
        data = {**ps.personal_data(self.person, request.user), **ss.simulation_data(self.person)}
        policy_services.data_export_record(user=request.user, fmt=fmt, request=request)
        stamp = date.today().strftime("%Y%m%d")
        if fmt == "pdf":
            return attachment(policy_pdf.personal_data_pdf(data), f"mes-donnees-{stamp}.pdf")
        body = json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)
        return attachment(body.encode(), f"mes-donnees-{stamp}.json")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["limit"] = policy_services.DATA_EXPORT_LIMIT
        return context


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# --- help ----------------------------------------------------------------------------------------

class HelpView(PersonMixin, TemplateView):
    template_name = "insured/help.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["contact"] = support_contact_for("insured")
        pensioner = ps.person_is_pensioner(self.request.membership.insured_person_id)
        context["faq"] = faq_for(FaqEntry.Portal.PENSIONER if pensioner
                                 else FaqEntry.Portal.INSURED)
        return context
