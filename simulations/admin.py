from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.admin_base import SecureModelAdmin
from policies.models import RequestStatus

from . import models, services


@admin.register(models.Simulation)
class SimulationAdmin(SecureModelAdmin):
    list_display = ("person", "kind", "created_at")
    list_filter = ("kind",)
    search_fields = ("person__last_name", "person__ahv_number")
    raw_id_fields = ("person",)
    list_select_related = ("person",)
    readonly_fields = ("person", "kind", "inputs", "result", "created_by", "created_at")

    def has_add_permission(self, request):
        return False


class ServiceRequestEventInline(admin.TabularInline):
    model = models.ServiceRequestEvent
    extra = 0
    can_delete = False
    readonly_fields = ("status", "note", "by", "at")

    def has_add_permission(self, request, obj=None):
        return False


class ServiceRequestAdminForm(forms.ModelForm):
    new_status = forms.ChoiceField(
        label=_("Nouveau statut"), required=False,
        choices=[("", "—")] + [(s.value, s.label) for s in RequestStatus if s != "received"],
    )
    note = forms.CharField(
        label=_("Motif (obligatoire pour un refus, visible par la personne)"), required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = models.ServiceRequest
        fields = ()

    def clean(self):
        data = super().clean()
        status = data.get("new_status")
        if status:
            if status not in services.ALLOWED_TRANSITIONS.get(self.instance.status, set()):
                self.add_error("new_status", _("Ce changement de statut n'est pas possible."))
            if status == RequestStatus.REJECTED and not (data.get("note") or "").strip():
                self.add_error("note", _("Indiquez le motif du refus."))
        return data


@admin.register(models.ServiceRequest)
class ServiceRequestAdmin(SecureModelAdmin):
    form = ServiceRequestAdminForm
    list_display = ("case_number", "person", "kind", "status", "created_at")
    list_filter = ("status", "kind")
    search_fields = ("case_number", "person__last_name", "person__ahv_number")
    list_select_related = ("person",)
    readonly_fields = ("case_number", "person", "kind", "simulation", "status", "reason",
                       "submitted_by", "created_at", "simulation_summary")
    fields = ("case_number", "person", "kind", "simulation", "simulation_summary", "status",
              "reason", "submitted_by", "created_at", "new_status", "note")
    inlines = [ServiceRequestEventInline]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("Résultat de la simulation"))
    def simulation_summary(self, obj):
        if obj.simulation is None:
            return "–"
        result = obj.simulation.result
        keys = ("retirement_age", "lump_sum_share", "annual_pension", "lump_sum", "amount",
                "max_buy_in", "max_withdrawal")
        return ", ".join(f"{k}: {result[k]}" for k in keys if result.get(k) is not None)

    def save_model(self, request, obj, form, change):
        status = form.cleaned_data.get("new_status")
        if status:
            try:
                services.service_request_transition(
                    request=obj, status=status, by=request.user,
                    reason=form.cleaned_data.get("note", ""),
                )
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
