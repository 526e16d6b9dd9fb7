"""The client companies' portal. Every view goes through EmployerPortalMixin (login, second
factor, terms, an active employer membership, the view's capability); objects come through
selectors that take the active membership, so another company's id is a 404."""

from __future__ import annotations

from functools import cached_property

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import ListView, TemplateView

from accounts import registration as reg
from accounts.faq import faq_for
from accounts.models import FaqEntry, Membership
from accounts.selectors import (
    access_request_for,
    access_requests_pending_for,
    support_contact_for,
)
from policies import mutations as rules
from policies import selectors as ps
from policies import services as policy_services
from policies.models import (
    ContributionInvoice,
    Document,
    InsuredPerson,
    Mutation,
    MutationBatch,
)
from policies.staff_cache import STAFF_LIST_CACHE_SECONDS, staff_version_keys
from portals.access import EmployerPortalMixin
from portals.common.downloads import attachment, attachment_file
from portals.common.lists import CachedListingMixin, Column, Filter, ListMixin
from portals.common.timeline import status_timeline
from portals.common.uploads import upload_too_big

from . import forms
from .timeline import mutation_steps

Kind = Mutation.Kind


def _contracts(membership) -> list[tuple[int, str]]:
    return [(c.pk, f"{c.number} · {c.plan.name}") for c in ps.contracts_for_employer(membership)]


# --- help ----------------------------------------------------------------------------------------

class HelpView(EmployerPortalMixin, TemplateView):
    """The companies' support contact and their FAQ (both edited by support in the admin)."""

    template_name = "employer/help.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["contact"] = support_contact_for(Membership.Kind.EMPLOYER)
        context["faq"] = faq_for(FaqEntry.Portal.EMPLOYER)
        return context


# --- home ----------------------------------------------------------------------------------------

class HomeView(EmployerPortalMixin, TemplateView):
    template_name = "employer/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        membership = self.request.membership
        context["employer"] = membership.employer
        context["contracts"] = list(ps.contracts_for_employer(membership))
        figures = ps.employer_home_figures(membership)
        context.update(figures)
        now = timezone.now()
        context["open_mutations"] = [(m, (now - m.created_at).days)
                                     for m in figures["open_mutations"]]
        if "manage_access" in self.request.capabilities:
            context["access_requests_pending"] = access_requests_pending_for(membership).count()
        if "submit_mutations" in self.request.capabilities:
            context["declaration_due"] = declaration_reminder(membership)
        return context


def declaration_reminder(membership):
    """(period, declaration) while this year's declaration is open and not yet submitted."""
    today = timezone.localdate()
    period = policy_services.declaration_period_for(today.year)
    if not period.opens_on <= today:
        return None
    declaration = ps.declaration_for(membership, today.year)
    if declaration is not None and declaration.status != declaration.Status.DRAFT:
        return None
    return {"period": period, "declaration": declaration,
            "late": today > period.due_on}


# --- lists ---------------------------------------------------------------------------------------

class LinkedRowsMixin:
    """The rows of a list as ready HTML, the first cell linking to the row's page under
    `row_base` (the list's URL + <pk>/). Built in Python: a page of 50 rows x 10 cells through
    template tags costs about as much as all the page's queries together."""

    row_url_name = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        listing = context["listing"]
        base = reverse(self.row_url_name) if self.row_url_name else ""
        lines = []
        for row in listing["rows"]:
            first, rest = row.cells[0], row.cells[1:]
            head = escape(first.text)
            if base:
                head = f'<a href="{escape(base)}{int(row.object.pk)}/">{head}</a>'
            cells = "".join(f'<td{NUM if cell.numeric else ""}>{escape(cell.text)}</td>'
                            for cell in rest)
            lines.append(f'<tr><th scope="row"{NUM if first.numeric else ""}>{head}</th>'
                         f"{cells}</tr>")
        listing["rows_html"] = mark_safe("\n".join(lines))  # noqa: S308 - escaped above
        return context


NUM = ' class="num"'


# --- staff ---------------------------------------------------------------------------------------

def _years(view) -> list[tuple[str, str]]:
    this_year = timezone.localdate().year
    return [(str(y), str(y)) for y in range(this_year, this_year - 6, -1)]


STATUS_CHOICES = InsuredPerson.Status.choices


class StaffListView(CachedListingMixin, LinkedRowsMixin, ListMixin, EmployerPortalMixin,
                    ListView):
    template_name = "employer/staff/list.html"
    row_url_name = "employer:staff"
    required_capability = "view_staff"
    paginate_by = 50
    filters = {
        "status": Filter(gettext_lazy("Statut"), STATUS_CHOICES),
        "contract": Filter(gettext_lazy("Contrat"),
                           lambda view: [(pk, label.split(" · ")[0])
                                         for pk, label in _contracts(view.request.membership)],
                           lookup="contract_id"),
        "entered": Filter(gettext_lazy("Entrée en"), _years, lookup="entry_date__year"),
        "left": Filter(gettext_lazy("Sortie en"), _years, lookup="exit_date__year"),
    }
    sort_columns = {
        "name": ("last_name", "first_name"), "personnel": "personnel_number",
        "entry": "entry_date", "exit": "exit_date", "salary": "annual_salary",
        "degree": "employment_degree", "status": "status",
    }
    default_sort = "name"
    columns = [
        Column("name", gettext_lazy("Nom"), lambda p: f"{p.last_name} {p.first_name}"),
        Column("ahv", gettext_lazy("Numéro AVS"), "ahv_number"),
        Column("personnel", gettext_lazy("N° de personnel"), "personnel_number"),
        Column("birth", gettext_lazy("Naissance"), "birth_date"),
        Column("contract", gettext_lazy("Contrat"), "contract.number"),
        Column("status", gettext_lazy("Statut"), "get_status_display"),
        Column("entry", gettext_lazy("Entrée"), "entry_date"),
        Column("exit", gettext_lazy("Sortie"), "exit_date"),
        Column("salary", gettext_lazy("Salaire annuel annoncé"), "annual_salary", numeric=True),
        Column("degree", gettext_lazy("Taux (%)"), "employment_degree", numeric=True),
    ]
    export_name = "personnel"
    # The first pages of each sort and filter come rendered from the shared cache (no query at
    # any company size).
    listing_template = "employer/staff/_list_body.html"
    listing_cache_seconds = STAFF_LIST_CACHE_SECONDS
    shell_mixin = EmployerPortalMixin

    def listing_scope(self) -> str:
        """The employer; the entry holds its staff version (policies.staff_cache)."""
        return f"employer-staff:v1:{self.request.membership.employer_id}"

    def listing_versions(self) -> list[str]:
        return staff_version_keys(self.request.membership.employer_id)

    def get_base_queryset(self):
        return ps.staff_list_for(self.request.membership)

    def search(self, queryset, query):
        return ps.staff_search(queryset, query)


class StaffDetailView(EmployerPortalMixin, TemplateView):
    template_name = "employer/staff/detail.html"
    required_capability = "view_staff"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        membership = self.request.membership
        person = ps.staff_member_for(membership, self.kwargs["pk"])
        context.update(
            person=person,
            history=list(ps.salary_history_for(membership, person)[:60]),
            mutations=list(ps.mutations_of_person(membership, person)[:50]),
            change_kinds=[(slug, Kind(kind).label) for slug, kind in KIND_SLUGS.items()
                          if kind != Kind.ENTRY]
            if person.status == InsuredPerson.Status.ACTIVE else [],
        )
        return context


# --- mutations -----------------------------------------------------------------------------------

class MutationListView(LinkedRowsMixin, ListMixin, EmployerPortalMixin, ListView):
    template_name = "employer/mutations/list.html"
    row_url_name = "employer:mutations"
    required_capability = "view_staff"
    filters = {
        "status": Filter(gettext_lazy("Statut"), Mutation.Status.choices),
        "kind": Filter(gettext_lazy("Type"), Kind.choices),
    }
    search_fields = ("case_number", "person__last_name", "data__last_name")
    sort_columns = {"created": "created_at", "effective": "effective_date", "case": "case_number"}
    default_sort = "-created"
    columns = [
        Column("case", gettext_lazy("Dossier"), "case_number"),
        Column("kind", gettext_lazy("Type"), "get_kind_display"),
        Column("person", gettext_lazy("Personne"), lambda m: mutation_person_name(m)),
        Column("effective", gettext_lazy("Date d'effet"), "effective_date"),
        Column("status", gettext_lazy("Statut"), "get_status_display"),
        Column("created", gettext_lazy("Transmise le"), "created_at"),
    ]
    export_name = "mutations"

    def get_base_queryset(self):
        return ps.mutations_for_employer(self.request.membership)


def mutation_person_name(mutation: Mutation) -> str:
    if mutation.person_id is not None:
        return f"{mutation.person.last_name} {mutation.person.first_name}"
    data = mutation.data or {}
    return f"{data.get('last_name', '')} {data.get('first_name', '')}".strip()


MUTATION_DATA_LABELS = {
    "ahv": gettext_lazy("Numéro AVS"), "personnel_number": gettext_lazy("N° de personnel"),
    "last_name": gettext_lazy("Nom"), "first_name": gettext_lazy("Prénom"),
    "birth_date": gettext_lazy("Date de naissance"), "sex": gettext_lazy("Sexe"),
    "annual_salary": gettext_lazy("Salaire annuel (CHF)"),
    "employment_degree": gettext_lazy("Taux d'occupation (%)"),
    "exit_reason": gettext_lazy("Motif de la sortie"),
    "civil_status": gettext_lazy("État civil"), "street": gettext_lazy("Rue"),
    "postcode": gettext_lazy("NPA"), "city": gettext_lazy("Localité"),
    "country": gettext_lazy("Pays"), "end_date": gettext_lazy("Fin du congé"),
    "reentry": gettext_lazy("Nouvelle entrée d'une personne déjà connue"),
}


def mutation_facts(mutation: Mutation) -> list[tuple[str, str]]:
    from policies import swiss

    choices = {
        "sex": dict(InsuredPerson.Sex.choices),
        "civil_status": dict(InsuredPerson.CivilStatus.choices),
        "exit_reason": dict(forms.EXIT_REASONS),
        "country": dict(forms.COUNTRIES),
    }
    facts = []
    for key, label in MUTATION_DATA_LABELS.items():
        value = (mutation.data or {}).get(key)
        if value in (None, "", False):
            continue
        if key in choices:
            value = choices[key].get(value, value)
        elif key in ("birth_date", "end_date"):
            try:
                value = swiss.day(timezone.datetime.fromisoformat(value).date())
            except ValueError:
                pass
        elif key == "annual_salary":
            value = swiss.chf(value)
        elif key == "employment_degree":
            value = f"{swiss.number(value)} %"
        elif key == "reentry":
            value = _("Oui")
        facts.append((str(label), str(value)))
    return facts


class MutationDetailView(EmployerPortalMixin, TemplateView):
    template_name = "employer/mutations/detail.html"
    required_capability = "view_staff"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        mutation = ps.mutation_for(self.request.membership, self.kwargs["pk"])
        context.update(item=mutation, steps=mutation_steps(mutation),
                       person_name=mutation_person_name(mutation),
                       facts=mutation_facts(mutation),
                       can_withdraw=mutation.status == Mutation.Status.SUBMITTED
                       and "submit_mutations" in self.request.capabilities)
        return context


class MutationWithdrawView(EmployerPortalMixin, View):
    required_capability = "submit_mutations"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        mutation = ps.mutation_for(request.membership, pk)
        try:
            policy_services.mutation_withdraw(mutation=mutation, by=request.user)
        except policy_services.MutationNotOpen as error:
            messages.warning(request, " ".join(error.messages))
        else:
            messages.success(request, _("La mutation %(case)s est retirée.")
                             % {"case": mutation.case_number})
        return redirect("employer:mutation-detail", pk=mutation.pk)


FORM_KINDS = [Kind.ENTRY, Kind.EXIT, Kind.SALARY, Kind.DEGREE, Kind.UNPAID_LEAVE,
              Kind.CIVIL_STATUS, Kind.ADDRESS]
KIND_HINTS = {
    Kind.ENTRY: gettext_lazy("Une nouvelle personne rejoint l'entreprise (ou revient)."),
    Kind.EXIT: gettext_lazy("Une personne quitte l'entreprise."),
    Kind.SALARY: gettext_lazy("Nouveau salaire annuel, dès le 1er d'un mois."),
    Kind.DEGREE: gettext_lazy("Nouveau taux d'occupation, dès le 1er d'un mois."),
    Kind.UNPAID_LEAVE: gettext_lazy("Congé non payé, du … au …"),
    Kind.CIVIL_STATUS: gettext_lazy("Mariage, partenariat, divorce, veuvage."),
    Kind.ADDRESS: gettext_lazy("Nouvelle adresse de la personne."),
}
KIND_SLUGS = {k.value.replace("_", "-"): k for k in FORM_KINDS}


class MutationChooseView(EmployerPortalMixin, TemplateView):
    template_name = "employer/mutations/choose.html"
    required_capability = "submit_mutations"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["kinds"] = [(slug, Kind(kind).label, KIND_HINTS[kind])
                            for slug, kind in KIND_SLUGS.items()]
        return context


class MutationCreateView(EmployerPortalMixin, TemplateView):
    template_name = "employer/mutations/form.html"
    required_capability = "submit_mutations"

    @cached_property
    def kind(self) -> str:
        kind = KIND_SLUGS.get(self.kwargs["kind"])
        if kind is None:
            raise Http404
        return kind

    @cached_property
    def person(self) -> InsuredPerson | None:
        pk = self.request.GET.get("person", "")
        if self.kind == Kind.ENTRY or not (pk.isdecimal() and len(pk) < 10):
            return None
        return ps.staff_member_for(self.request.membership, int(pk))

    def form(self, data=None) -> forms.MutationForm:
        initial = {}
        if self.person is not None:
            initial["person_ref"] = self.person.ahv_number
        if self.kind in (Kind.SALARY, Kind.DEGREE):
            initial["effective_date"] = rules.next_month_start()
        return forms.MutationForm(
            data, kind=self.kind, employer_id=self.request.membership.employer_id,
            contracts=_contracts(self.request.membership), initial=initial)

    def get(self, request, *args, **kwargs):
        return self.render(self.form())

    def post(self, request, *args, **kwargs):
        form = self.form(request.POST)
        if not form.is_valid():
            return self.render(form)
        values = form.mutation_values()
        person = None
        if values["person_id"] is not None and self.kind != Kind.ENTRY:
            person = ps.staff_member_for(request.membership, values["person_id"])
        mutation = policy_services.mutation_submit(
            employer=request.membership.employer, kind=self.kind,
            effective_date=values["effective_date"], data=values["data"], person=person,
            submitted_by=request.user,
        )
        messages.success(request, _("Mutation transmise. Numéro de dossier : %(case)s.")
                         % {"case": mutation.case_number})
        return redirect("employer:mutation-detail", pk=mutation.pk)

    def render(self, form):
        context = self.get_context_data(form=form, kind_label=Kind(self.kind).label,
                                        person=self.person)
        return render(self.request, self.template_name, context)


# --- upload --------------------------------------------------------------------------------------

def _too_big(request: HttpRequest) -> bool:
    """Judged on the announced length, before Django reads the body into a temporary file."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > rules.MAX_UPLOAD_BYTES + 64 * 1024


class UploadMixin(EmployerPortalMixin):
    required_capability = "submit_mutations"
    purpose = MutationBatch.Purpose.MUTATIONS

    def declaration(self):
        return None

    def receive(self, request):
        """The checks before anything is parsed; then the batch, validated now (<= 500 rows)
        or by a Celery task."""
        if _too_big(request):
            return None, rules.message("too_big")
        form = forms.UploadForm(request.POST, request.FILES)
        if upload_too_big(request):
            return None, rules.message("too_big")
        if not form.is_valid():
            return form, None
        upload = form.cleaned_data["file"]
        if upload.size > rules.MAX_UPLOAD_BYTES:
            return form, rules.message("too_big")
        try:
            head = upload.read(4096)
            upload.seek(0)
            kind = rules.sniff(head)
            if kind == "xlsx":
                rules.zip_check(upload)
        except rules.FileRefused as refused:
            return form, refused.text
        try:
            rows = rules.count_rows(upload, size=upload.size)
        except rules.FileRefused as refused:
            return form, refused.text
        upload.seek(0)
        batch = policy_services.batch_create(
            employer=request.membership.employer, user=request.user, upload=upload,
            purpose=self.purpose, declaration=self.declaration())
        if rows > rules.ASYNC_ROWS:
            from accounts.publish import publish
            from policies.tasks import mutation_batch_validate

            MutationBatch.objects.filter(pk=batch.pk).update(total_rows=rows)
            # Redis down: the check starts once it is back (mutation_batches_resume).
            transaction.on_commit(lambda: publish(mutation_batch_validate, batch.pk))
        else:
            policy_services.batch_validate(batch_id=batch.pk)
        return batch, None


def refused_form(form: forms.UploadForm | None, error: str | None) -> forms.UploadForm:
    """The upload form again, with the reason the file was refused on its field."""
    if form is None:
        form = forms.UploadForm({}, {})
        form.is_valid()
        form.errors.pop("file", None)
    if error:
        form.add_error("file", error)
    return form


class UploadView(UploadMixin, TemplateView):
    template_name = "employer/uploads/upload.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", forms.UploadForm())
        context["recent"] = list(MutationBatch.objects.filter(
            employer_id=self.request.membership.employer_id,
            purpose=MutationBatch.Purpose.MUTATIONS,
        ).only("pk", "filename", "status", "created_at", "valid_count", "case_number")[:10])
        context["columns"] = [(key, str(label)) for key, label in rules.COLUMNS.items()]
        context["kind_words"] = [str(rules.KIND_WORDS[k]) for k in rules.FILE_KINDS]
        return context

    def post(self, request, *args, **kwargs):
        result, error = self.receive(request)
        if isinstance(result, MutationBatch):
            return redirect("employer:upload-detail", pk=result.pk)
        return render(request, self.template_name,
                      self.get_context_data(form=refused_form(result, error)))


class UploadTemplateView(EmployerPortalMixin, View):
    """The template in the user's language, XLSX (default) or CSV."""

    required_capability = "submit_mutations"

    def get(self, request):
        name = slugify(_("modele-mutations")) or "modele-mutations"
        if request.GET.get("format") == "csv":
            import csv
            import io

            buffer = io.StringIO()
            writer = csv.writer(buffer, delimiter=";")
            for row in rules.template_rows():
                writer.writerow([_csv_cell(v) for v in row])
            return attachment(("\ufeff" + buffer.getvalue()).encode("utf-8"), f"{name}.csv")
        return attachment_file(_template_xlsx(), f"{name}.xlsx")


def _csv_cell(value) -> str:
    from policies import swiss

    if isinstance(value, timezone.datetime | type(timezone.localdate())):
        return swiss.day(value)
    return str(value)


def _template_xlsx():
    import tempfile

    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Mutations")[:31]
    for index, row in enumerate(rules.template_rows()):
        sheet.append(row)
        if index == 0:
            for cell in sheet[1]:
                cell.font = Font(bold=True)
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 20
        for cell in column[1:]:
            if hasattr(cell.value, "year"):
                cell.number_format = "DD.MM.YYYY"
    help_sheet = workbook.create_sheet(_("Aide")[:31])
    help_sheet.append([_("Type"), _("Colonnes obligatoires")])
    needs = {
        Kind.ENTRY: _("Numéro AVS, Nom, Prénom, Date de naissance, Sexe, Date d'effet, Salaire"),
        Kind.EXIT: _("Numéro AVS ou N° de personnel, Date d'effet (date de sortie)"),
        Kind.SALARY: _("Numéro AVS ou N° de personnel, Date d'effet (le 1er du mois), Salaire"),
        Kind.DEGREE: _("Numéro AVS ou N° de personnel, Date d'effet (le 1er du mois), Taux"),
        Kind.UNPAID_LEAVE: _("Numéro AVS ou N° de personnel, Date d'effet, Fin du congé"),
    }
    for kind in rules.FILE_KINDS:
        help_sheet.append([str(rules.KIND_WORDS[kind]), str(needs[kind])])
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    workbook.save(handle)
    handle.seek(0)
    return handle


def batch_report(batch: MutationBatch) -> list[dict]:
    labels = {key: str(label) for key, label in rules.COLUMNS.items()}
    return [
        {"row": row or "", "column": labels.get(column, ""),
         "message": rules.message(code, params)}
        for row, column, code, params in batch.errors
    ]


PREVIEW_ROWS = 50


def batch_preview(batch: MutationBatch) -> list[dict]:
    from policies import swiss

    words = {k: Kind(k).label for k in Kind.values}
    shown = batch.rows[:PREVIEW_ROWS]
    names = ps.staff_names(batch.employer_id, [r["person_id"] for r in shown
                                               if r.get("person_id")])
    preview = []
    for row in shown:
        name = f"{row.get('last_name', '')} {row.get('first_name', '')}".strip() or names.get(
            row.get("person_id"), "")
        amount = row.get("annual_salary")
        preview.append({
            "row": row.get("row"), "kind": words.get(row["kind"], row["kind"]),
            "ahv": row.get("ahv", ""), "name": name,
            "effective": swiss.day(timezone.datetime.fromisoformat(row["effective_date"])),
            "salary": swiss.chf(amount) if amount else "",
            "degree": f"{swiss.number(row['employment_degree'])} %"
            if row.get("employment_degree") else "",
            "reentry": row.get("reentry", False),
        })
    return preview


class UploadDetailView(EmployerPortalMixin, TemplateView):
    """Progress while validating; then the report, the preview and the choice."""

    template_name = "employer/uploads/detail.html"
    required_capability = "submit_mutations"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        batch = ps.batch_for(self.request.membership, self.kwargs["pk"])
        context.update(batch=batch, report=batch_report(batch),
                       preview=batch_preview(batch),
                       more_rows=max(0, batch.valid_count - PREVIEW_ROWS),
                       more_errors=max(0, batch.error_count - len(batch.errors)),
                       validating=batch.status == MutationBatch.Status.VALIDATING)
        return context


class UploadProgressView(EmployerPortalMixin, View):
    required_capability = "submit_mutations"

    def get(self, request, pk: int):
        batch = ps.batch_for(request.membership, pk)
        response = JsonResponse({"status": batch.status, "done": batch.processed_rows,
                                 "total": batch.total_rows, "percent": batch.progress_percent})
        response["Cache-Control"] = "no-store"
        return response


class UploadConfirmView(EmployerPortalMixin, View):
    required_capability = "submit_mutations"
    http_method_names = ["post"]

    def post(self, request, pk: int):
        batch = ps.batch_for(request.membership, pk)
        try:
            batch = policy_services.batch_confirm(batch=batch, by=request.user)
        except ValidationError as error:
            messages.warning(request, " ".join(error.messages))
            return redirect("employer:upload-detail", pk=batch.pk)
        if batch.purpose == MutationBatch.Purpose.DECLARATION:
            messages.success(request, _("%(n)s lignes reprises dans la déclaration.")
                             % {"n": batch.valid_count})
            return redirect("employer:declaration")
        messages.success(request, _("%(n)s mutations transmises. Numéro de dossier : %(case)s.")
                         % {"n": batch.valid_count, "case": batch.case_number})
        return redirect(f"{reverse('employer:mutations')}?q={batch.case_number}")


class UploadDiscardView(EmployerPortalMixin, View):
    required_capability = "submit_mutations"
    http_method_names = ["post"]

    def post(self, request, pk: int):
        batch = ps.batch_for(request.membership, pk)
        policy_services.batch_discard(batch=batch)
        messages.info(request, _("Fichier abandonné : rien n'a été transmis."))
        if batch.purpose == MutationBatch.Purpose.DECLARATION:
            return redirect("employer:declaration")
        return redirect("employer:upload")


# --- annual salary declaration -------------------------------------------------------------------

DECLARATION_PAGE = 50


class DeclarationView(UploadMixin, TemplateView):
    template_name = "employer/declaration.html"
    purpose = MutationBatch.Purpose.DECLARATION

    @cached_property
    def year(self) -> int:
        return timezone.localdate().year

    @cached_property
    def current(self):
        declaration = ps.declaration_for(self.request.membership, self.year)
        if declaration is None or declaration.status == declaration.Status.DRAFT:
            declaration = policy_services.declaration_open(
                employer=self.request.membership.employer, year=self.year)
        return declaration

    def declaration(self):
        return self.current

    def page(self):
        from django.core.paginator import Paginator

        paginator = Paginator(ps.declaration_lines_for(self.current), DECLARATION_PAGE)
        raw = self.request.GET.get("page") or self.request.POST.get("page") or "1"
        # isdecimal, not isdigit: "²" is a digit that int() refuses.
        number = int(raw) if raw.isdecimal() and len(raw) < 10 else 1
        return paginator.page(min(max(number, 1), paginator.num_pages))

    def line_forms(self, page, data=None):
        return [(line, forms.DeclarationLineForm(data, prefix=f"l{line.pk}", initial={
            "annual_salary": line.annual_salary, "employment_degree": line.employment_degree}))
            for line in page.object_list]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        declaration = self.current
        page = kwargs.get("page") or self.page()
        context.update(
            declaration=declaration, year=self.year,
            period=policy_services.declaration_period_for(self.year),
            page_obj=page, lines=kwargs.get("lines") or self.line_forms(page),
            editable=declaration.status == declaration.Status.DRAFT,
            changed=declaration.lines.filter(changed=True).count(),
            total=declaration.lines.count(),
        )
        context.setdefault("form", forms.UploadForm())
        return context

    def post(self, request, *args, **kwargs):
        if self.current.status != self.current.Status.DRAFT:
            messages.warning(request, _("Cette déclaration a déjà été transmise."))
            return redirect("employer:declaration")
        if "file" in request.FILES or _too_big(request) or upload_too_big(request):
            result, error = self.receive(request)
            if isinstance(result, MutationBatch):
                return redirect("employer:upload-detail", pk=result.pk)
            return render(request, self.template_name,
                          self.get_context_data(form=refused_form(result, error)))
        page = self.page()
        lines = self.line_forms(page, request.POST)
        if not all(form.is_valid() for _line, form in lines):
            messages.error(request, _("Certaines lignes contiennent une erreur : corrigez-les."))
            return render(request, self.template_name,
                          self.get_context_data(page=page, lines=lines))
        policy_services.declaration_lines_update(declaration=self.current, values={
            line.pk: (form.cleaned_data["annual_salary"], form.cleaned_data["employment_degree"])
            for line, form in lines})
        messages.success(request, _("Page enregistrée."))
        target = reverse("employer:declaration")
        next_page = page.next_page_number() if "next" in request.POST and page.has_next() \
            else page.number
        return redirect(f"{target}?page={next_page}")


class DeclarationSubmitView(EmployerPortalMixin, View):
    required_capability = "submit_mutations"
    http_method_names = ["post"]

    def post(self, request):
        declaration = ps.declaration_for(request.membership, timezone.localdate().year)
        if declaration is None:
            raise Http404
        try:
            declaration = policy_services.declaration_submit(declaration=declaration,
                                                             by=request.user)
        except ValidationError as error:
            messages.warning(request, " ".join(error.messages))
        else:
            messages.success(request, _("Déclaration transmise. Numéro de dossier : %(case)s.")
                             % {"case": declaration.case_number})
        return redirect("employer:declaration")


# --- contributions -------------------------------------------------------------------------------

def invoice_state(invoice: ContributionInvoice) -> str:
    if invoice.status == ContributionInvoice.Status.PAID:
        return _("Payée")
    return _("En retard") if invoice.is_overdue() else _("Ouverte")


def _state_filter(queryset, value):
    today = timezone.localdate()
    if value == "paid":
        return queryset.filter(status=ContributionInvoice.Status.PAID)
    if value == "overdue":
        return queryset.filter(status=ContributionInvoice.Status.OPEN, due_on__lt=today)
    return queryset.filter(status=ContributionInvoice.Status.OPEN, due_on__gte=today)


class ContributionListView(LinkedRowsMixin, ListMixin, EmployerPortalMixin, ListView):
    template_name = "employer/contributions/list.html"
    row_url_name = "employer:contributions"
    required_capability = "view_documents"
    filters = {
        "state": Filter(gettext_lazy("Statut"), [
            ("open", gettext_lazy("Ouverte")), ("overdue", gettext_lazy("En retard")),
            ("paid", gettext_lazy("Payée"))], lookup=_state_filter),
        "year": Filter(gettext_lazy("Année"), _years, lookup="period_start__year"),
        "kind": Filter(gettext_lazy("Type"), ContributionInvoice.Kind.choices),
    }
    sort_columns = {"period": "period_start", "due": "due_on", "amount": "amount"}
    default_sort = "-period"
    columns = [
        Column("number", gettext_lazy("Numéro"), "number"),
        Column("kind", gettext_lazy("Type"), "get_kind_display"),
        Column("period", gettext_lazy("Période"), lambda i: f"{i.period_start:%d.%m.%Y} – "
                                                            f"{i.period_end:%d.%m.%Y}"),
        Column("due", gettext_lazy("Échéance"), "due_on"),
        Column("amount", gettext_lazy("Montant (CHF)"), "amount", numeric=True),
        Column("state", gettext_lazy("Statut"), invoice_state),
    ]
    export_name = "cotisations"

    def get_base_queryset(self):
        return ps.invoices_for(self.request.membership)


class ContributionDetailView(LinkedRowsMixin, ListMixin, EmployerPortalMixin, ListView):
    """The lines behind an invoice: person, salary basis, employee and employer share."""

    template_name = "employer/contributions/detail.html"
    required_capability = "view_documents"
    search_fields = ("person__last_name", "person__first_name", "person__personnel_number")
    sort_columns = {"name": ("person__last_name", "person__first_name"),
                    "salary": "salary_basis", "employee": "employee_share",
                    "employer": "employer_share"}
    default_sort = "name"
    columns = [
        Column("name", gettext_lazy("Nom"),
               lambda line: f"{line.person.last_name} {line.person.first_name}"),
        Column("ahv", gettext_lazy("Numéro AVS"), "person.ahv_number"),
        Column("personnel", gettext_lazy("N° de personnel"), "person.personnel_number"),
        Column("salary", gettext_lazy("Salaire déterminant"), "salary_basis", numeric=True),
        Column("employee", gettext_lazy("Part salarié"), "employee_share", numeric=True),
        Column("employer", gettext_lazy("Part employeur"), "employer_share", numeric=True),
    ]

    @cached_property
    def invoice(self) -> ContributionInvoice:
        return ps.invoice_for(self.request.membership, self.kwargs["pk"])

    @property
    def export_name(self) -> str:
        return f"cotisations-{self.invoice.number}"

    def get_base_queryset(self):
        return ps.invoice_lines(self.invoice)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        policy_services.invoice_mark_read(invoice=self.invoice)
        from django.db.models import Sum

        context.update(invoice=self.invoice, state=invoice_state(self.invoice),
                       overdue=self.invoice.is_overdue(),
                       totals=self.invoice.lines.aggregate(
                           salary=Sum("salary_basis"), employee=Sum("employee_share"),
                           employer=Sum("employer_share")))
        return context


class ContributionPdfView(EmployerPortalMixin, View):
    required_capability = "view_documents"

    def get(self, request, pk: int):
        from policies.pdf import contribution_invoice_pdf

        invoice = ps.invoice_for(request.membership, pk)
        policy_services.invoice_mark_read(invoice=invoice)
        return attachment(contribution_invoice_pdf(invoice), f"{invoice.number}.pdf")


# --- documents -----------------------------------------------------------------------------------

class DocumentListView(ListMixin, EmployerPortalMixin, ListView):
    template_name = "employer/documents.html"
    required_capability = "view_documents"
    filters = {
        "category": Filter(gettext_lazy("Catégorie"), [
            (c, label) for c, label in Document.Category.choices
            if c in ("contract", "regulations", "letter", "invoice")]),
        "year": Filter(gettext_lazy("Année"), _years),
    }
    search_fields = ("title",)
    sort_columns = {"date": ("published_at", "created_at"), "title": "title"}
    default_sort = "-date"
    columns = [
        Column("title", gettext_lazy("Document"), "title"),
        Column("category", gettext_lazy("Catégorie"), "get_category_display"),
        Column("year", gettext_lazy("Année"), "year"),
        Column("date", gettext_lazy("Publié le"), "published_at"),
    ]
    export_formats = ()

    def get_base_queryset(self):
        return ps.documents_for_employer(self.request.membership)


class DocumentDownloadView(EmployerPortalMixin, View):
    required_capability = "view_documents"

    def get(self, request, pk: int):
        document = ps.document_for_employer(request.membership, pk)
        if not document.file:
            raise Http404
        try:
            handle = document.file.open("rb")
        except (FileNotFoundError, OSError):
            raise Http404 from None
        extension = document.file.name.rsplit(".", 1)[-1].lower()
        name = slugify(f"{document.title}-{document.year}") or "document"
        policy_services.employer_document_mark_read(document=document)
        return attachment_file(handle, f"{name}.{extension}")


# --- access requests (existing) ------------------------------------------------------------------

class AccessRequestsView(EmployerPortalMixin, TemplateView):
    """Pending requests for access to the company, for one of its admins to confirm or decline
    (support may approve access to a company with portal users only once confirmed)."""

    template_name = "employer/access_requests.html"
    required_capability = "manage_access"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["employer"] = self.request.membership.employer
        context["access_requests"] = access_requests_pending_for(self.request.membership)
        return context


class AccessRequestDecisionView(EmployerPortalMixin, View):
    required_capability = "manage_access"
    http_method_names = ["post"]

    def decide(self, request: HttpRequest, access_request) -> str:
        raise NotImplementedError

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        access_request = access_request_for(request.membership, pk)  # another company's: 404
        try:
            done = self.decide(request, access_request)
        except reg.AlreadyDecided:
            messages.warning(request, _("Cette demande a déjà été traitée."))
        except reg.ConfirmationNotAllowed:
            raise PermissionDenied from None
        else:
            messages.success(request, done)
        return redirect("employer:access-requests")


class AccessRequestConfirmView(AccessRequestDecisionView):
    def decide(self, request: HttpRequest, access_request) -> str:
        reg.access_request_confirm(access_request=access_request, confirmed_by=request.user,
                                   request=request)
        return _("Demande confirmée. Notre équipe enverra le code d'enregistrement à %(email)s.") % {
            "email": access_request.email}


class AccessRequestDeclineView(AccessRequestDecisionView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.note_form = forms.DecisionNoteForm(request.POST)
        if not self.note_form.is_valid():
            access_request_for(request.membership, pk)  # another company's: 404 all the same
            messages.error(request, " ".join(self.note_form.errors["note"]))
            return redirect("employer:access-requests")
        return super().post(request, pk)

    def decide(self, request: HttpRequest, access_request) -> str:
        reg.access_request_decline(access_request=access_request, declined_by=request.user,
                                   request=request, note=self.note_form.cleaned_data["note"])
        return _("Demande refusée. Aucun accès ne sera donné.")


__all__ = ["status_timeline"]
