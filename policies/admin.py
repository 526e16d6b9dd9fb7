from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.admin_base import SecureModelAdmin

from . import models, selectors, services


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

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly += self.FOUR_EYES_FIELDS
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


class MutationAdminForm(forms.ModelForm):
    reject_reason = forms.CharField(
        label=_("Refuser avec ce motif"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Rempli : la mutation est refusée, l'employeur voit le motif et reçoit un "
                    "e-mail."),
    )

    class Meta:
        model = models.Mutation
        fields = ()


@admin.register(models.Mutation)
class MutationAdmin(SecureModelAdmin):
    """Employers report, support decides: "in review", "book" (applies the change to the
    person in one transaction, row-locked: booked once even if two colleagues click) or reject
    with a reason. Nothing here edits the reported data."""

    form = MutationAdminForm
    list_display = ("case_number", "employer", "person", "kind", "effective_date", "status",
                    "created_at")
    list_filter = ("status", "kind")
    search_fields = ("case_number", "employer__name", "person__last_name")
    list_select_related = ("employer", "person")
    inlines = [MutationEventInline]
    actions = ["review", "book"]
    readonly_fields = ("case_number", "employer", "person", "kind", "effective_date", "data",
                       "status", "reason", "submitted_by", "created_at", "decided_at", "batch")
    fields = readonly_fields + ("reject_reason",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        reason = form.cleaned_data.get("reject_reason", "")
        if reason:
            try:
                services.mutation_reject(mutation=obj, by=request.user, reason=reason)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)

    @admin.action(description=_("Mettre en traitement"), permissions=["change"])
    def review(self, request, queryset):
        self._run(request, queryset, services.mutation_review, _("en traitement"))

    @admin.action(description=_("Enregistrer (appliquer à la personne)"), permissions=["change"])
    def book(self, request, queryset):
        self._run(request, queryset, services.mutation_book, _("enregistrée(s)"))

    def _run(self, request, queryset, service, done_label):
        done = 0
        for mutation in queryset:
            try:
                service(mutation=mutation, by=request.user)
                done += 1
            except ValidationError as error:
                self.message_user(request, f"{mutation.case_number} : "
                                  f"{' '.join(error.messages)}", messages.ERROR)
        if done:
            self.message_user(request, f"{done} {done_label}", messages.SUCCESS)


@admin.register(models.MutationBatch)
class MutationBatchAdmin(SecureModelAdmin):
    list_display = ("pk", "employer", "purpose", "status", "filename", "total_rows",
                    "valid_count", "error_count", "case_number", "created_at")
    list_filter = ("status", "purpose")
    search_fields = ("case_number", "employer__name", "filename")
    list_select_related = ("employer",)
    exclude = ("rows", "errors", "file")
    readonly_fields = ("employer", "created_by", "purpose", "declaration", "status", "filename",
                       "total_rows", "processed_rows", "valid_count", "error_count", "failure",
                       "case_number", "created_at", "confirmed_at")

    def has_add_permission(self, request):
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


@admin.register(models.Document)
class DocumentAdmin(SecureModelAdmin):
    list_display = ("title", "category", "year", "insured_person", "employer", "policy",
                    "published", "first_read_at")
    list_filter = ("category", "year", "published")
    search_fields = ("title", "insured_person__last_name", "employer__name", "policy__number")
    raw_id_fields = ("insured_person", "employer", "policy", "certificate")
    list_select_related = ("insured_person", "employer", "policy")
    readonly_fields = ("published_at", "first_read_at")
    actions = ["publish"]

    def save_model(self, request, obj, form, change):
        # Publishing goes through the service (it notifies the owner), never a bare save.
        wants_publish = obj.published and obj.published_at is None
        if wants_publish:
            obj.published = False
        super().save_model(request, obj, form, change)
        if wants_publish:
            services.document_publish(document=obj)

    @admin.action(description=_("Publier les documents choisis (avis à la personne)"),
                  permissions=["change"])
    def publish(self, request, queryset):
        published = sum(services.document_publish(document=doc) for doc in queryset)
        self.message_user(
            request, _("%(n)s document(s) publié(s).") % {"n": published}, messages.SUCCESS
        )


class ChangeRequestEventInline(admin.TabularInline):
    model = models.ChangeRequestEvent
    extra = 0
    can_delete = False
    readonly_fields = ("status", "note", "by", "at")

    def has_add_permission(self, request, obj=None):
        return False


class ChangeRequestAdminForm(forms.ModelForm):
    reject_reason = forms.CharField(
        label=_("Refuser avec ce motif"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Rempli : la demande est refusée et la personne voit le motif."),
    )

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
class ChangeRequestAdmin(SecureModelAdmin):
    """Four eyes: a colleague validates (or records) the change, another one approves it; only
    the approval writes it to the person."""

    form = ChangeRequestAdminForm
    list_display = ("case_number", "person", "kind", "effective_date", "status", "recorded_by",
                    "validated_by", "approved_by", "created_at")
    list_filter = ("status", "kind")
    search_fields = ("case_number", "person__last_name", "person__ahv_number")
    raw_id_fields = ("person",)
    list_select_related = ("person", "recorded_by", "validated_by", "approved_by")
    inlines = [ChangeRequestEventInline]
    actions = ["validate", "approve"]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_readonly_fields(self, request, obj=None):
        base = ("case_number", "status", "previous", "submitted_by", "recorded_by",
                "validated_by", "validated_at", "approved_by", "approved_at", "reason",
                "created_at")
        if obj is not None:
            return base + ("person", "kind", "data", "effective_date")
        return base

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("person", "kind", "data", "effective_date")
        return ("case_number", "person", "kind", "data", "previous", "effective_date", "status",
                "submitted_by", "recorded_by", "validated_by", "validated_at", "approved_by",
                "approved_at", "reason", "reject_reason")

    def save_model(self, request, obj, form, change):
        if not change:
            created = services.change_request_submit(
                person=obj.person, kind=obj.kind, data=obj.data,
                effective_date=obj.effective_date, recorded_by=request.user,
            )
            obj.pk, obj.case_number = created.pk, created.case_number
            return
        reason = form.cleaned_data.get("reject_reason", "")
        if reason:
            try:
                services.change_request_reject(change=obj, by=request.user, reason=reason)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    @admin.action(description=_("1er contrôle : valider les demandes choisies"),
                  permissions=["change"])
    def validate(self, request, queryset):
        self._run(request, queryset, services.change_request_validate, _("validée(s)"))

    @admin.action(description=_("2e contrôle : approuver et appliquer (autre collègue)"),
                  permissions=["change"])
    def approve(self, request, queryset):
        self._run(request, queryset, services.change_request_approve, _("approuvée(s)"))

    def _run(self, request, queryset, service, done_label):
        done = 0
        for change in queryset:
            try:
                service(change=change, by=request.user)
                done += 1
            except ValidationError as error:
                self.message_user(
                    request, f"{change.case_number} : {' '.join(error.messages)}", messages.ERROR
                )
        if done:
            self.message_user(request, f"{done} {done_label}", messages.SUCCESS)


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
