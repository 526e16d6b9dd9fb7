from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.admin_base import SecureModelAdmin
from accounts.admin_queue import AgeFilter, CompanyFilter, QueueStateFilter, WorkQueueAdmin
from policies.models import OPEN_REQUEST_STATUSES, RequestStatus

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


@admin.register(models.ServiceRequest)
class ServiceRequestAdmin(WorkQueueAdmin):
    """The queue of requests made from a saved simulation (buy-in, home-ownership withdrawal,
    retirement): take one in hand, mark it done or reject it with a reason; the person is told
    of the decision."""

    queue_duty = "book_change_request"
    audit_views = True  # the page shows a person's simulation figures
    open_statuses = OPEN_REQUEST_STATUSES
    company_path = "person__contract__employer"
    list_display = ("case_number", "person", "kind", "status", "created_at", "waiting")
    list_filter = (QueueStateFilter, AgeFilter, "kind", CompanyFilter)
    search_fields = ("case_number", "person__last_name", "person__ahv_number")
    list_select_related = ("person",)
    fields = readonly_fields = ("case_number", "person", "kind", "simulation",
                                "simulation_summary", "status", "reason", "submitted_by",
                                "created_at")
    inlines = [ServiceRequestEventInline]
    actions = ["take", "complete", "reject"]
    queue_buttons = {
        "take": (RequestStatus.RECEIVED,),
        "complete": OPEN_REQUEST_STATUSES,
        "reject": OPEN_REQUEST_STATUSES,
    }

    def queue_label(self) -> str:
        return gettext("Demandes issues des simulations")

    @admin.display(description=_("Résultat de la simulation"))
    def simulation_summary(self, obj):
        if obj.simulation is None:
            return "–"
        result = obj.simulation.result
        keys = ("retirement_age", "lump_sum_share", "annual_pension", "lump_sum", "amount",
                "max_buy_in", "max_withdrawal")
        return ", ".join(f"{k}: {result[k]}" for k in keys if result.get(k) is not None)

    def _transition(self, status: str):
        def run(obj, by, reason=""):
            return services.service_request_transition(request=obj, status=status, by=by,
                                                       reason=reason)
        return run

    @admin.action(description=_("Prendre en charge (en traitement)"), permissions=["queue"])
    def take(self, request, queryset):
        return self.queue_decide(
            request, queryset, name="service_request_take",
            service=self._transition(RequestStatus.IN_PROGRESS),
            done=lambda n: ngettext("%(n)d demande en traitement.",
                                    "%(n)d demandes en traitement.", n) % {"n": n})

    @admin.action(description=_("Terminer : demande traitée (la personne est avertie)"),
                  permissions=["queue"])
    def complete(self, request, queryset):
        return self.queue_decide(
            request, queryset, name="service_request_complete",
            service=self._transition(RequestStatus.DONE),
            done=lambda n: ngettext("%(n)d demande terminée ; la personne est avertie.",
                                    "%(n)d demandes terminées ; les personnes sont averties.",
                                    n) % {"n": n})

    @admin.action(description=_("Refuser avec un motif…"), permissions=["queue"])
    def reject(self, request, queryset):
        return self.queue_decide(
            request, queryset, name="service_request_reject", needs_reason=True,
            title=gettext("Refuser des demandes"),
            intro=gettext("La personne voit le motif dans son espace et reçoit un e-mail."),
            service=self._transition(RequestStatus.REJECTED),
            done=lambda n: ngettext("%(n)d demande refusée ; la personne est avertie.",
                                    "%(n)d demandes refusées ; les personnes sont averties.",
                                    n) % {"n": n})
