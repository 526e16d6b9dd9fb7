"""Support's admin for registration codes and access requests."""

from __future__ import annotations

from django.contrib import admin

from .models import AccessRequest, RegistrationCode


@admin.register(RegistrationCode)
class RegistrationCodeAdmin(admin.ModelAdmin):
    list_display = ("hint", "kind", "role", "insured_person", "employer", "agency", "expires_at",
                    "redeemed_at", "revoked_at")
    list_filter = ("kind", "role")
    search_fields = ("insured_person__ahv_number", "insured_person__last_name", "employer__name",
                     "agency__name", "email")
    raw_id_fields = ("insured_person", "employer", "agency", "created_by", "redeemed_by")
    readonly_fields = ("hint", "created_at", "redeemed_at", "redeemed_by", "created_by")


@admin.register(AccessRequest)
class AccessRequestAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "organisation_name", "organisation_number", "email",
                    "status")
    list_filter = ("kind", "status")
    search_fields = ("organisation_name", "organisation_number", "email")
    raw_id_fields = ("employer", "agency", "decided_by")
