from __future__ import annotations

from django.contrib import admin

from . import models


@admin.register(models.Employer)
class EmployerAdmin(admin.ModelAdmin):
    list_display = ("name", "uid", "city")
    search_fields = ("name", "uid")


@admin.register(models.Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "conversion_rate", "earliest_retirement_age",
                    "latest_retirement_age", "max_lump_sum_share")


@admin.register(models.Contract)
class ContractAdmin(admin.ModelAdmin):
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
class InsuredPersonAdmin(admin.ModelAdmin):
    list_display = ("last_name", "first_name", "ahv_number", "birth_date", "contract", "status")
    list_filter = ("status", "sex", "civil_status", "language")
    search_fields = ("last_name", "first_name", "ahv_number", "contract__number",
                     "contract__employer__name")
    raw_id_fields = ("contract",)
    list_select_related = ("contract",)
    inlines = [CertificateInline]


@admin.register(models.Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ("person", "year", "insured_salary", "savings_capital")
    list_filter = ("year",)
    search_fields = ("person__last_name", "person__ahv_number")
    raw_id_fields = ("person",)
    list_select_related = ("person",)


class PensionPaymentInline(admin.TabularInline):
    model = models.PensionPayment
    extra = 0


@admin.register(models.Pension)
class PensionAdmin(admin.ModelAdmin):
    list_display = ("person", "kind", "monthly_amount", "start_date", "end_date")
    list_filter = ("kind",)
    search_fields = ("person__last_name", "person__ahv_number")
    raw_id_fields = ("person",)
    inlines = [PensionPaymentInline]


@admin.register(models.Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "register_number", "account_manager")
    search_fields = ("name", "register_number")


@admin.register(models.PolicyHolder)
class PolicyHolderAdmin(admin.ModelAdmin):
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


@admin.register(models.Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ("number", "product", "holder", "premium", "frequency", "status")
    list_filter = ("status", "frequency", "product")
    search_fields = ("number", "holder__last_name")
    raw_id_fields = ("holder",)
    list_select_related = ("holder",)
    inlines = [MandateInline, PolicyValueInline, PremiumInline]


class MutationEventInline(admin.TabularInline):
    model = models.MutationEvent
    extra = 0
    readonly_fields = ("status", "note", "by", "at")


@admin.register(models.Mutation)
class MutationAdmin(admin.ModelAdmin):
    list_display = ("case_number", "employer", "person", "kind", "effective_date", "status",
                    "created_at")
    list_filter = ("status", "kind")
    search_fields = ("case_number", "employer__name", "person__last_name")
    raw_id_fields = ("employer", "person", "submitted_by")
    list_select_related = ("employer", "person")
    inlines = [MutationEventInline]


@admin.register(models.Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ("title", "category", "year", "insured_person", "employer", "policy",
                    "published", "first_read_at")
    list_filter = ("category", "year", "published")
    search_fields = ("title", "insured_person__last_name", "employer__name", "policy__number")
    raw_id_fields = ("insured_person", "employer", "policy", "certificate")
    list_select_related = ("insured_person", "employer", "policy")
