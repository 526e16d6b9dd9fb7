from __future__ import annotations

import logging
import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts import audit
from accounts.admin_base import SecureModelAdmin, duty_required
from accounts.admin_queue import (
    OVERDUE_AFTER,
    AgeFilter,
    CompanyFilter,
    QueueCount,
    QueueStateFilter,
    WorkQueueAdmin,
)
from accounts.duties import holds
from accounts.models import AdminAudit

from . import models, selectors, services
from .working_days import older_than_cutoff

logger = logging.getLogger(__name__)


@admin.register(models.Employer)
class EmployerAdmin(SecureModelAdmin):
    list_display = ("name", "uid", "city")
    search_fields = ("name", "uid")


@admin.register(models.Plan)
class PlanAdmin(SecureModelAdmin):
    list_display = ("code", "name", "conversion_rate", "earliest_retirement_age",
                    "latest_retirement_age", "max_lump_sum_share")


@admin.register(models.Contract)
class ContractAdmin(SecureModelAdmin):
    list_display = ("number", "employer", "plan", "start_date", "end_date")
    search_fields = ("number", "employer__name")
    list_filter = ("plan",)
    raw_id_fields = ("employer",)


class CertificateInline(admin.TabularInline):
    model = models.Certificate
    extra = 0
    fields = ("year", "insured_salary", "savings_capital", "projected_pension_65", "max_buy_in",
              "wef_available")


@admin.register(models.InsuredPerson)
class InsuredPersonAdmin(SecureModelAdmin):
    list_display = ("last_name", "first_name", "ahv_number", "birth_date", "contract", "status")
    list_filter = ("status", "sex", "civil_status", "language")
    search_fields = ("last_name", "first_name", "ahv_number", "contract__number",
                     "contract__employer__name")
    raw_id_fields = ("contract",)
    list_select_related = ("contract",)
    inlines = [CertificateInline]
    audit_views = True  # the change page shows a person

    def get_urls(self):
        # The person page of someone without an account (accounts/admin_person.py).
        from accounts.admin_person import PersonViews

        return [*PersonViews(self).insured_urls(), *super().get_urls()]

    # Address, civil status and bank account change only through a change request, so that
    # two colleagues check them (four eyes) and the old contacts are told.
    FOUR_EYES_FIELDS = ("street", "postcode", "city", "country", "civil_status", "iban",
                        "bank_currency", "bank_account_holder")

    # The bank account is never typed in here, not even for a new person: it comes from a
    # request that a colleague validates and a supervisor approves.
    BANK_FIELDS = ("iban", "bank_currency", "bank_account_holder")

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        readonly += self.FOUR_EYES_FIELDS if obj is not None else self.BANK_FIELDS
        return readonly


@admin.register(models.Certificate)
class CertificateAdmin(SecureModelAdmin):
    list_display = ("person", "year", "insured_salary", "savings_capital")
    list_filter = ("year",)
    search_fields = ("person__last_name", "person__ahv_number")
    raw_id_fields = ("person",)
    list_select_related = ("person",)


class PensionPaymentInline(admin.TabularInline):
    model = models.PensionPayment
    extra = 0


@admin.register(models.Pension)
class PensionAdmin(SecureModelAdmin):
    list_display = ("person", "kind", "monthly_amount", "start_date", "end_date")
    list_filter = ("kind",)
    search_fields = ("person__last_name", "person__ahv_number")
    raw_id_fields = ("person",)
    inlines = [PensionPaymentInline]


@admin.register(models.Agency)
class AgencyAdmin(SecureModelAdmin):
    list_display = ("name", "register_number", "account_manager")
    search_fields = ("name", "register_number")


@admin.register(models.PolicyHolder)
class PolicyHolderAdmin(SecureModelAdmin):
    list_display = ("last_name", "first_name", "birth_date", "city")
    search_fields = ("last_name", "first_name")


class PolicyValueInline(admin.TabularInline):
    model = models.PolicyValue
    extra = 0


class PremiumInline(admin.TabularInline):
    model = models.Premium
    extra = 0


class MandateInline(admin.TabularInline):
    model = models.Mandate
    extra = 0
    raw_id_fields = ("broker",)


class BeneficiaryInline(admin.TabularInline):
    model = models.Beneficiary
    extra = 0


@admin.register(models.Policy)
class PolicyAdmin(SecureModelAdmin):
    list_display = ("number", "product", "holder", "premium", "frequency", "status")
    list_filter = ("status", "frequency", "product")
    search_fields = ("number", "holder__last_name")
    raw_id_fields = ("holder", "insured")
    list_select_related = ("holder",)
    inlines = [MandateInline, BeneficiaryInline, PolicyValueInline, PremiumInline]


class MutationEventInline(admin.TabularInline):
    model = models.MutationEvent
    extra = 0
    can_delete = False
    readonly_fields = ("status", "note", "by", "at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(models.Mutation)
class MutationAdmin(WorkQueueAdmin):
    """The queue of what employers reported. Support puts a mutation in review, books it
    (applies the change to the person in one transaction, row-locked: booked once even if two
    colleagues click, and the employer is told) or rejects it with a reason. Nothing here edits
    the reported data."""

    queue_duty = "book_mutation"
    audit_views = True  # the page shows a person's reported data (AHV number, salary)
    open_statuses = models.Mutation.OPEN_STATUSES
    company_path = "employer"
    list_display = ("case_number", "employer", "person", "kind", "effective_date", "status",
                    "created_at", "waiting")
    list_filter = (QueueStateFilter, AgeFilter, "kind", CompanyFilter)
    search_fields = ("case_number", "employer__name", "person__last_name")
    list_select_related = ("employer", "person")
    inlines = [MutationEventInline]
    actions = ["review", "book", "reject"]
    queue_buttons = {
        "review": (models.Mutation.Status.SUBMITTED,),
        "book": models.Mutation.OPEN_STATUSES,
        "reject": models.Mutation.OPEN_STATUSES,
    }
    fields = readonly_fields = ("case_number", "employer", "person", "kind", "effective_date",
                                "data", "status", "reason", "submitted_by", "created_at",
                                "decided_at", "batch")

    def queue_label(self) -> str:
        return gettext("Mutations des employeurs")

    @admin.action(description=_("Mettre en traitement"), permissions=["queue"])
    def review(self, request, queryset):
        return self.queue_decide(
            request, queryset, name="mutation_review",
            service=lambda m, by: services.mutation_review(mutation=m, by=by),
            done=lambda n: ngettext("%(n)d mutation mise en traitement.",
                                    "%(n)d mutations mises en traitement.", n) % {"n": n})

    @admin.action(description=_("Enregistrer (appliquer à la personne)"), permissions=["queue"])
    def book(self, request, queryset):
        return self.queue_decide(
            request, queryset, name="mutation_book",
            service=lambda m, by: services.mutation_book(mutation=m, by=by),
            done=lambda n: ngettext("%(n)d mutation enregistrée ; l'employeur est averti.",
                                    "%(n)d mutations enregistrées ; l'employeur est averti.",
                                    n) % {"n": n})

    @admin.action(description=_("Refuser avec un motif…"), permissions=["queue"])
    def reject(self, request, queryset):
        return self.queue_decide(
            request, queryset, name="mutation_reject", needs_reason=True,
            title=gettext("Refuser des mutations"),
            intro=gettext("L'employeur voit le motif dans son portail et reçoit un e-mail."),
            service=lambda m, by, reason: services.mutation_reject(mutation=m, by=by,
                                                                   reason=reason),
            done=lambda n: ngettext("%(n)d mutation refusée ; l'employeur est averti.",
                                    "%(n)d mutations refusées ; l'employeur est averti.",
                                    n) % {"n": n})


@admin.register(models.MutationBatch)
class MutationBatchAdmin(SecureModelAdmin):
    """Files and declarations as the employer sent them (read only); their mutations are
    decided in the mutations' queue (link in the list)."""

    list_display = ("pk", "employer", "purpose", "status", "filename", "total_rows",
                    "valid_count", "error_count", "case_number", "open_mutations", "created_at")
    list_filter = ("status", "purpose")
    search_fields = ("case_number", "employer__name", "filename")
    list_select_related = ("employer",)
    exclude = ("rows", "errors", "file")
    readonly_fields = ("employer", "created_by", "purpose", "declaration", "status", "filename",
                       "total_rows", "processed_rows", "valid_count", "error_count", "failure",
                       "case_number", "created_at", "confirmed_at")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(open_count=Count(
            "mutations", filter=Q(mutations__status__in=models.Mutation.OPEN_STATUSES)))

    @admin.display(description=_("mutations à traiter"), ordering="open_count")
    def open_mutations(self, obj):
        if not obj.open_count or not obj.case_number:
            return obj.open_count or 0
        return format_html('<a href="{}?q={}">{}</a>',
                           reverse("admin:policies_mutation_changelist"), obj.case_number,
                           obj.open_count)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.DeclarationPeriod)
class DeclarationPeriodAdmin(SecureModelAdmin):
    list_display = ("year", "opens_on", "due_on")


@admin.register(models.SalaryDeclaration)
class SalaryDeclarationAdmin(SecureModelAdmin):
    list_display = ("employer", "year", "status", "case_number", "submitted_at")
    list_filter = ("status", "year")
    search_fields = ("employer__name", "case_number")
    list_select_related = ("employer",)
    readonly_fields = ("employer", "year", "status", "case_number", "submitted_by",
                       "submitted_at", "created_at")

    def has_add_permission(self, request):
        return False


class ContributionLineInline(admin.TabularInline):
    model = models.ContributionLine
    extra = 0
    raw_id_fields = ("person",)


@admin.register(models.ContributionInvoice)
class ContributionInvoiceAdmin(SecureModelAdmin):
    list_display = ("number", "employer", "kind", "period_start", "period_end", "due_on",
                    "amount", "status")
    list_filter = ("status", "kind")
    search_fields = ("number", "employer__name")
    raw_id_fields = ("employer", "contract")
    list_select_related = ("employer",)
    readonly_fields = ("first_read_at",)
    inlines = [ContributionLineInline]


@admin.register(models.SalaryRecord)
class SalaryRecordAdmin(SecureModelAdmin):
    list_display = ("person", "employer", "valid_from", "annual_salary", "employment_degree")
    search_fields = ("person__last_name", "person__ahv_number")
    list_select_related = ("person", "employer")
    readonly_fields = ("person", "employer", "valid_from", "annual_salary", "employment_degree",
                       "mutation", "created_at")

    def has_add_permission(self, request):
        return False


def _upload_too_big(request) -> bool:
    # Set by the upload handler (portals/common/uploads.py) when the request passed
    # ADMIN_UPLOAD_MAX_BYTES: nothing of it was kept.
    return bool(getattr(request, "upload_too_big", False))


def _pdf_checked(upload) -> None:
    """One PDF for the single upload: size, then bytes and parser (never the extension)."""
    from .document_batches import megabytes, message, pdf_problem

    limit = settings.DOCUMENT_FILE_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(message("oversize", {"limit": megabytes(limit)}))
    upload.seek(0)
    problem = pdf_problem(upload.read(limit + 1))
    upload.seek(0)
    if problem:
        raise ValidationError(message(problem))
    # The stored name is ours: a file name may carry an AHV number or a person's name.
    upload.name = f"{uuid.uuid4().hex}.pdf"


class DocumentAdminForm(forms.ModelForm):
    request = None  # set by DocumentAdmin.get_form

    class Meta:
        model = models.Document
        fields = ("category", "title", "title_de", "title_it", "title_en", "year", "file",
                  "certificate", "insured_person", "employer", "policy", "published")

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if self.request is not None and _upload_too_big(self.request):
            from .document_batches import megabytes

            raise ValidationError(_("Le fichier dépasse %(limit)s.") % {
                "limit": megabytes(settings.DOCUMENT_FILE_MAX_BYTES)})
        if upload and hasattr(upload, "content_type"):  # a new upload, not the stored file
            _pdf_checked(upload)
        return upload

    def clean(self):
        cleaned = super().clean()
        owners = [cleaned.get(name) for name in ("insured_person", "employer", "policy")]
        if sum(1 for owner in owners if owner) != 1:
            raise ValidationError(_("Choisissez exactement un destinataire : une personne "
                                    "assurée, une entreprise ou une police."))
        generated = cleaned.get("certificate") or (
            cleaned.get("category") == models.Document.Category.PENSION_STATEMENT)
        if self.instance.pk is None and not cleaned.get("file") and not generated:
            # Certificates and pension statements can be drawn from the data; others need a file.
            raise ValidationError(_("Joignez un fichier PDF."))
        return cleaned


@admin.register(models.Document)
class DocumentAdmin(SecureModelAdmin):
    """One document for one owner. Who holds "import_documents" uploads (unpublished) and may
    correct it until it is published; publishing (and the notice to the owner) needs
    "publish_documents". A published document no longer changes; documents of a batch wait for
    the batch's confirmation (DocumentBatchAdmin)."""

    form = DocumentAdminForm
    list_display = ("title", "category", "year", "insured_person", "employer", "policy",
                    "published", "first_read_at")
    list_filter = ("category", "year", "published")
    search_fields = ("title", "insured_person__last_name", "employer__name", "policy__number")
    raw_id_fields = ("insured_person", "employer", "policy", "certificate")
    list_select_related = ("insured_person", "employer", "policy")
    actions = ["publish"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    def get_readonly_fields(self, request, obj=None):
        readonly = ["published_at", "first_read_at", "batch"]
        if not holds(request.user, "publish_documents") or (
                obj is not None and _waits_for_batch(obj)):
            readonly.append("published")
        return readonly

    def has_add_permission(self, request) -> bool:
        return holds(request.user, "import_documents")

    def has_change_permission(self, request, obj=None) -> bool:
        return holds(request.user, "import_documents") and (
            obj is None or obj.published_at is None)

    def has_delete_permission(self, request, obj=None) -> bool:
        return (holds(request.user, "import_documents") and obj is not None
                and obj.published_at is None and obj.batch_id is None)

    def has_publish_documents_permission(self, request) -> bool:
        return holds(request.user, "publish_documents")

    def delete_model(self, request, obj) -> None:
        name = obj.file.name if obj.file else ""
        super().delete_model(request, obj)
        if name:
            obj.file.storage.delete(name)

    def save_model(self, request, obj, form, change):
        # Publishing goes through the service (it notifies the owner), never a bare save.
        wants_publish = (obj.published and obj.published_at is None
                         and holds(request.user, "publish_documents") and not _waits_for_batch(obj))
        obj.published = False if obj.published_at is None else obj.published
        super().save_model(request, obj, form, change)
        if wants_publish:
            services.document_publish(document=obj)

    @admin.action(description=_("Publier les documents choisis (avis à la personne)"),
                  permissions=["publish_documents"])
    def publish(self, request, queryset):
        waiting = [doc for doc in queryset.select_related("batch") if _waits_for_batch(doc)]
        if waiting:
            self.message_user(request, _(
                "%(n)s document(s) d'un lot non confirmé laissé(s) de côté : confirmez le lot."
            ) % {"n": len(waiting)}, messages.WARNING)
        published = sum(services.document_publish(document=doc)
                        for doc in queryset.exclude(pk__in=[d.pk for d in waiting]))
        self.message_user(
            request, _("%(n)s document(s) publié(s).") % {"n": published}, messages.SUCCESS
        )


def _waits_for_batch(document: models.Document) -> bool:
    return document.batch_id is not None and document.batch.status != (
        models.DocumentBatch.Status.CONFIRMED)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.zip"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class DocumentBatchForm(forms.Form):
    files = MultipleFileField(
        label=_("Fichiers PDF ou archive ZIP"),
        help_text=_("Plusieurs PDF ou une archive ZIP. Le nom de chaque fichier donne la "
                    "personne : numéro AVS (756.3047.5009.62_certificat_2026.pdf ou "
                    "7563047500962.pdf) ou numéro de personnel en tête (P-10023_attestation.pdf)."
                    " Une année (2026) dans le nom remplace l'année ci-dessous."),
    )
    csv_file = forms.FileField(
        label=_("Liste CSV (facultative)"), required=False,
        help_text=_("Colonnes : fichier ; AVS ou numéro de personnel ; et au choix type, année, "
                    "titre. Pour les fichiers qu'elle cite, la liste prime sur le nom du fichier."),
    )
    category = forms.ChoiceField(label=_("Type de document"),
                                 choices=models.Document.Category.choices,
                                 initial=models.Document.Category.CERTIFICATE)
    year = forms.IntegerField(label=_("Année"), min_value=1990, max_value=2100)
    title = forms.CharField(
        label=_("Titre (facultatif)"), max_length=200, required=False,
        help_text=_("Vide : le titre habituel du type de document et de l'année "
                    "(« Certificat de prévoyance 2026 »), traduit pour la personne."),
    )
    employer = forms.ModelChoiceField(
        label=_("Entreprise (pour les numéros de personnel)"), required=False,
        queryset=models.Employer.objects.order_by("name"),
        help_text=_("Les numéros de personnel ne sont uniques que dans une entreprise."),
    )


@admin.register(models.DocumentBatch)
class DocumentBatchAdmin(SecureModelAdmin):
    """A batch of PDFs: upload (import_documents), the report, then confirm and publish
    (publish_documents) or discard. Nothing of a batch is published before its confirmation."""

    list_display = ("__str__", "status", "category", "year", "total_files", "matched_count",
                    "problem_count", "created_by", "created_at", "confirmed_by")
    list_filter = ("status",)
    list_select_related = ("created_by", "confirmed_by")

    def has_view_permission(self, request, obj=None) -> bool:
        return holds(request.user, "import_documents") or holds(request.user,
                                                                "publish_documents")

    def has_add_permission(self, request) -> bool:
        return holds(request.user, "import_documents")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        return [
            path("<int:pk>/confirm/", self.admin_site.admin_view(self.confirm_view),
                 name="policies_documentbatch_confirm"),
            path("<int:pk>/discard/", self.admin_site.admin_view(self.discard_view),
                 name="policies_documentbatch_discard"),
        ] + super().get_urls()

    def _context(self, request, **extra):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, **extra}

    def add_view(self, request, form_url="", extra_context=None):
        from . import document_batches as batches

        if not self.has_add_permission(request):
            raise PermissionDenied
        error = None
        if request.method == "POST":
            request.FILES  # noqa: B018 - parse the upload now: the size check marks the request
        if request.method == "POST" and _upload_too_big(request):
            form = DocumentBatchForm(initial={"year": timezone.localdate().year})
            error = batches.message("too_big", {
                "limit": batches.megabytes(settings.ADMIN_UPLOAD_MAX_BYTES)})
            audit.record(request, AdminAudit.Action.ACTION, name="document_batch_refused",
                         target_type="policies.documentbatch", detail={"reason": "too_big"})
        elif request.method == "POST":
            form = DocumentBatchForm(request.POST, request.FILES)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    batch = batches.batch_receive(
                        uploads=data["files"], csv_upload=data["csv_file"],
                        employer=data["employer"], category=data["category"],
                        year=data["year"], title=data["title"], by=request.user)
                except batches.BatchRefused as refused:
                    error = refused.text
                    audit.record(request, AdminAudit.Action.ACTION,
                                 name="document_batch_refused",
                                 target_type="policies.documentbatch",
                                 detail={"reason": refused.code})
                else:
                    audit.record(request, AdminAudit.Action.ADD, name="document_batch_upload",
                                 target=batch, detail={"files": batch.total_files})
                    self._start(batch)
                    return redirect("admin:policies_documentbatch_change", batch.pk)
        else:
            form = DocumentBatchForm(initial={"year": timezone.localdate().year})
        return TemplateResponse(request, "policies/admin/document_batch_upload.html",
                                self._context(request, form=form, error=error,
                                              title=_("Déposer un lot de documents"),
                                              limits=self._limits()))

    @staticmethod
    def _limits() -> dict[str, Any]:
        from .document_batches import megabytes

        return {"upload": megabytes(settings.ADMIN_UPLOAD_MAX_BYTES),
                "file": megabytes(settings.DOCUMENT_FILE_MAX_BYTES),
                "files": settings.DOCUMENT_BATCH_MAX_FILES}

    @staticmethod
    def _start(batch: models.DocumentBatch) -> None:
        from .document_batches import INLINE_FILES, batch_process
        from .tasks import document_batch_process

        if batch.total_files > INLINE_FILES:
            transaction.on_commit(lambda: document_batch_process.delay(batch.pk))
            return
        try:
            batch_process(batch_id=batch.pk)
        except Exception:  # the batch is marked failed and emptied; its page says so
            logger.exception("document batch %s failed", batch.pk)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        from .document_batches import OUTCOMES, message

        batch = self.get_object(request, unquote(object_id))
        if batch is None:
            raise Http404
        if not self.has_view_permission(request, batch):
            raise PermissionDenied
        entries = [{**entry, "text": message(entry["reason"], entry.get("params"))
                    if entry.get("reason") else "",
                    "category_label": models.Document.Category(entry["category"]).label
                    if entry.get("category") in models.Document.Category.values else ""}
                   for entry in batch.report]
        counts = [(key, label, sum(1 for e in entries if e["outcome"] == key))
                  for key, label in OUTCOMES.items()]
        draft = batch.status == models.DocumentBatch.Status.DRAFT
        return TemplateResponse(request, "policies/admin/document_batch.html", self._context(
            request, title=str(batch), batch=batch, original=batch, entries=entries,
            counts=counts, failure=message(batch.failure) if batch.failure else "",
            refresh=batch.status == models.DocumentBatch.Status.PROCESSING,
            can_confirm=draft and batch.matched_count > 0
            and holds(request.user, "publish_documents"),
            can_discard=draft and holds(request.user, "import_documents"),
        ))

    @method_decorator(require_POST)
    @duty_required("publish_documents")
    def confirm_view(self, request, pk: int):
        from .document_batches import BatchStateError, batch_confirm

        batch = get_object_or_404(models.DocumentBatch, pk=pk)
        try:
            count = batch_confirm(batch=batch, by=request.user)
        except BatchStateError:
            self.message_user(request, _("Ce lot n'attend plus de confirmation."),
                              messages.ERROR)
        else:
            audit.record(request, AdminAudit.Action.ACTION, name="document_batch_confirm",
                         target=batch, detail={"documents": count})
            self.message_user(request, _(
                "%(n)s document(s) publié(s) ; les personnes concernées sont averties.")
                % {"n": count}, messages.SUCCESS)
        return redirect("admin:policies_documentbatch_change", batch.pk)

    @method_decorator(require_POST)
    @duty_required("import_documents")
    def discard_view(self, request, pk: int):
        from .document_batches import BatchStateError, batch_discard

        batch = get_object_or_404(models.DocumentBatch, pk=pk)
        try:
            count = batch_discard(batch=batch)
        except BatchStateError:
            self.message_user(request, _("Ce lot n'attend plus de confirmation."),
                              messages.ERROR)
        else:
            audit.record(request, AdminAudit.Action.ACTION, name="document_batch_discard",
                         target=batch, detail={"documents": count})
            self.message_user(request, _("Lot abandonné : ses documents et leurs fichiers sont "
                                         "supprimés."), messages.SUCCESS)
        return redirect("admin:policies_documentbatch_change", batch.pk)


class ChangeRequestEventInline(admin.TabularInline):
    model = models.ChangeRequestEvent
    extra = 0
    can_delete = False
    readonly_fields = ("status", "note", "by", "at")

    def has_add_permission(self, request, obj=None):
        return False


class ChangeRequestAdminForm(forms.ModelForm):
    """Support records a change a person asked for by phone or letter; it then goes through
    the same two checks as one made in the portal."""

    class Meta:
        model = models.ChangeRequest
        fields = ("person", "kind", "data", "effective_date")

    def clean(self):
        cleaned = super().clean()
        person, kind = cleaned.get("person"), cleaned.get("kind")
        if self.instance.pk is None and person is not None and kind:
            pending = selectors.change_request_open(person, kind)
            if pending is not None:
                raise ValidationError(services.ChangeRequestAlreadyOpen(pending).messages)
        return cleaned


@admin.register(models.ChangeRequest)
class ChangeRequestAdmin(WorkQueueAdmin):
    """The queue of personal-data changes. Four eyes: a colleague validates (or recorded) the
    change, another one approves it; only the approval writes it to the person and tells them.
    A new bank account is approved by a supervisor who neither recorded nor validated it."""

    form = ChangeRequestAdminForm
    queue_duty = "book_change_request"
    audit_views = True  # the page shows a person's address or IBAN
    open_statuses = models.OPEN_REQUEST_STATUSES
    company_path = "person__contract__employer"
    list_display = ("case_number", "person", "kind", "effective_date", "status", "next_step",
                    "recorded_by", "validated_by", "created_at", "waiting")
    list_filter = (QueueStateFilter, AgeFilter, "kind", CompanyFilter)
    search_fields = ("case_number", "person__last_name", "person__ahv_number")
    raw_id_fields = ("person",)
    list_select_related = ("person", "recorded_by", "validated_by")
    inlines = [ChangeRequestEventInline]
    actions = ["validate", "approve", "reject"]
    queue_buttons = {
        "validate": (models.RequestStatus.RECEIVED,),
        "approve": (models.RequestStatus.IN_PROGRESS,),
        "reject": models.OPEN_REQUEST_STATUSES,
    }

    def queue_label(self) -> str:
        return gettext("Demandes de modification (assurés)")

    def queue_counts(self, request):
        rows = super().queue_counts(request)
        if holds(request.user, "approve_bank_change"):
            waiting = models.ChangeRequest.objects.filter(
                status=models.RequestStatus.IN_PROGRESS, kind=models.ChangeRequest.Kind.BANK_ACCOUNT)
            count = waiting.count()
            url = reverse("admin:policies_changerequest_changelist")
            rows.append(QueueCount(
                gettext("Comptes bancaires à approuver (superviseur·e)"), count,
                waiting.filter(created_at__lt=older_than_cutoff(OVERDUE_AFTER)).count(),
                f"{url}?state=in_progress&kind__exact=bank_account",
                f"{url}?state=in_progress&kind__exact=bank_account&age={OVERDUE_AFTER}"))
        return rows

    @admin.display(description=_("prochaine étape"))
    def next_step(self, obj):
        if obj.status == models.RequestStatus.RECEIVED:
            return gettext("1er contrôle")
        if obj.status != models.RequestStatus.IN_PROGRESS:
            return "–"
        if obj.kind == models.ChangeRequest.Kind.BANK_ACCOUNT:
            return gettext("Approbation (superviseur·e)")
        return gettext("2e contrôle")

    def has_add_permission(self, request):
        return admin.ModelAdmin.has_add_permission(self, request)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return self.get_fields(request, obj)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("person", "kind", "data", "effective_date")
        return ("case_number", "person", "kind", "data", "previous", "effective_date", "status",
                "submitted_by", "recorded_by", "validated_by", "validated_at", "approved_by",
                "approved_at", "reason", "created_at")

    def save_model(self, request, obj, form, change):
        if change:  # everything is read-only: decisions are the actions
            return
        created = services.change_request_submit(
            person=obj.person, kind=obj.kind, data=obj.data,
            effective_date=obj.effective_date, recorded_by=request.user,
        )
        obj.pk, obj.case_number = created.pk, created.case_number

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    @admin.action(description=_("1er contrôle : valider les demandes choisies"),
                  permissions=["queue"])
    def validate(self, request, queryset):
        return self.queue_decide(
            request, queryset, name="change_request_validate",
            service=lambda c, by: services.change_request_validate(change=c, by=by),
            done=lambda n: ngettext("%(n)d demande validée.", "%(n)d demandes validées.", n)
            % {"n": n})

    @admin.action(description=_("2e contrôle : approuver et appliquer (autre collègue)"),
                  permissions=["queue"])
    def approve(self, request, queryset):
        return self.queue_decide(
            request, queryset, name="change_request_approve",
            service=lambda c, by: services.change_request_approve(change=c, by=by),
            done=lambda n: ngettext("%(n)d demande approuvée et appliquée ; la personne est "
                                    "avertie.",
                                    "%(n)d demandes approuvées et appliquées ; les personnes "
                                    "sont averties.", n) % {"n": n})

    @admin.action(description=_("Refuser avec un motif…"), permissions=["queue"])
    def reject(self, request, queryset):
        return self.queue_decide(
            request, queryset, name="change_request_reject", needs_reason=True,
            title=gettext("Refuser des demandes de modification"),
            intro=gettext("La personne voit le motif dans son espace et reçoit un e-mail."),
            service=lambda c, by, reason: services.change_request_reject(change=c, by=by,
                                                                         reason=reason),
            done=lambda n: ngettext("%(n)d demande refusée ; la personne est avertie.",
                                    "%(n)d demandes refusées ; les personnes sont averties.",
                                    n) % {"n": n})


# --- broker portal (issue 11) --------------------------------------------------------------------

@admin.register(models.CommissionRule)
class CommissionRuleAdmin(SecureModelAdmin):
    list_display = ("product", "agency", "first_year_rate", "renewal_rate", "clawback_months",
                    "valid_from", "valid_until")
    list_filter = ("product", "agency")
    search_fields = ("product", "agency__name")
    raw_id_fields = ("agency",)


class CommissionLineInline(admin.TabularInline):
    model = models.CommissionLine
    extra = 0
    can_delete = False
    fields = readonly_fields = ("policy", "kind", "basis", "rate", "amount")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(models.CommissionStatement)
class CommissionStatementAdmin(SecureModelAdmin):
    """Statements are computed, never typed: support recomputes them from the data."""

    list_display = ("agency", "broker", "period_kind", "period_start", "period_end", "total",
                    "computed_at")
    list_filter = ("period_kind", "agency")
    date_hierarchy = "period_start"
    search_fields = ("agency__name", "broker__email")
    list_select_related = ("agency", "broker")
    readonly_fields = ("agency", "broker", "period_kind", "period_start", "period_end", "total",
                       "computed_at")
    inlines = [CommissionLineInline]
    actions = ["recompute"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Recalculer les décomptes choisis (toute la période de "
                                "l'agence)"), permissions=["change"])
    def recompute(self, request, queryset):
        periods = {(s.agency_id, s.period_kind, s.period_start) for s in queryset}
        for agency_id, kind, start in sorted(periods):
            services.commission_statements_compute(
                agency=models.Agency.objects.get(pk=agency_id), period_kind=kind, day=start)
        self.message_user(request, _("%(n)s période(s) recalculée(s).") % {"n": len(periods)},
                          messages.SUCCESS)


@admin.register(models.PolicyLookup)
class PolicyLookupAdmin(SecureModelAdmin):
    """Who looked up which policy number (read only): enumeration attempts show here."""

    list_display = ("at", "user", "number", "found")
    list_filter = ("found",)
    date_hierarchy = "at"
    search_fields = ("number", "user__email")
    list_select_related = ("user",)
    readonly_fields = ("at", "user", "number", "found")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
