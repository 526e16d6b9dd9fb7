"""Work queues in the support admin: a changelist that shows the open items, oldest first, with
filters by state, age in working days, kind and company; decisions are admin actions gated by a
duty (an action a group may not take is not even listed), a rejection asks for its reason on an
intermediate page (like Django's delete confirmation), and each decided item leaves its own audit
row beside the one the admin writes for the action.

A queue admin sets `queue_duty` (an accounts duty codename), `open_statuses` and, if items belong
to a company, `company_path`; its actions call `queue_decide` with the service that decides one
item. The admin index shows every queue's counts to the colleagues holding its duty
(`queue_counts`, templatetags/work_queues.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import audit
from .admin_base import SecureModelAdmin
from .duties import holds
from .models import AdminAudit

AGE_CHOICES = (2, 5, 10)
# Overdue on the dashboard: waiting more than this many working days.
OVERDUE_AFTER = 5
# At most this many items in one decision: each is its own transaction (~12 queries, 30-50 ms
# on a busy machine), and the whole must finish well within gunicorn's 30-second timeout. A
# larger file (a salary declaration) is decided in parts.
DECISION_LIMIT = 200
REASON_MAX = 2000


class QueueStateFilter(admin.SimpleListFilter):
    """The open items unless asked otherwise: "to do" is the default, "all" shows everything."""

    title = _("état")
    parameter_name = "state"
    OPEN, ALL = "open", "all"

    def __init__(self, request, params, model, model_admin):
        self.model_admin = model_admin
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        status = model_admin.model._meta.get_field("status")
        return [(self.OPEN, _("À traiter")), *status.choices, (self.ALL, _("Tous"))]

    def chosen(self) -> str:
        value = self.value()
        known = {str(key) for key, _label in self.lookup_choices}
        return value if value in known else self.OPEN

    def queryset(self, request, queryset):
        value = self.chosen()
        if value == self.ALL:
            return queryset
        if value == self.OPEN:
            return queryset.filter(status__in=self.model_admin.open_statuses)
        return queryset.filter(status=value)

    def choices(self, changelist):
        chosen = self.chosen()
        for key, label in self.lookup_choices:
            yield {
                "selected": chosen == str(key),
                "query_string": changelist.get_query_string({self.parameter_name: key}),
                "display": label,
            }


class AgeFilter(admin.SimpleListFilter):
    """Waiting for more than 2, 5 or 10 working days (without the canton's holidays)."""

    title = _("ancienneté")
    parameter_name = "age"

    def __init__(self, request, params, model, model_admin):
        self.model_admin = model_admin
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return [(str(n), ngettext("plus de %(n)d jour ouvrable", "plus de %(n)d jours ouvrables",
                                  n) % {"n": n}) for n in AGE_CHOICES]

    def queryset(self, request, queryset):
        from policies.working_days import older_than_cutoff

        value = self.value()
        if value not in {str(n) for n in AGE_CHOICES}:
            return queryset
        field = self.model_admin.age_field
        return queryset.filter(**{f"{field}__lt": older_than_cutoff(int(value))})


class CompanyFilter(admin.SimpleListFilter):
    """The companies that have open items in this queue (a bounded list, by name); any company
    id in the address works too."""

    title = _("entreprise")
    parameter_name = "company"
    LISTED = 100

    def __init__(self, request, params, model, model_admin):
        self.model_admin = model_admin
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        from policies.models import Employer

        path = model_admin.company_path
        ids = model_admin.model.objects.filter(status__in=model_admin.open_statuses).values(path)
        return [(str(pk), name) for pk, name in Employer.objects.filter(pk__in=ids)
                .order_by("name", "pk").values_list("pk", "name")[:self.LISTED]]

    def queryset(self, request, queryset):
        value = self.value() or ""
        if not value.isdigit() or len(value) > 18:
            return queryset
        return queryset.filter(**{self.model_admin.company_path: int(value)})


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif du refus (obligatoire)"), max_length=REASON_MAX, strip=True,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 70}),
        help_text=_("Visible par la personne ou l'entreprise dans son espace (au plus 2000 "
                    "caractères). L'avis par e-mail dit seulement qu'un motif l'y attend."),
    )


@dataclass(frozen=True)
class QueueCount:
    label: str
    count: int
    overdue: int
    url: str
    overdue_url: str


class WorkQueueAdmin(SecureModelAdmin):
    queue_duty = ""
    open_statuses: tuple = ()
    age_field = "created_at"
    company_path = ""
    ordering = ("created_at", "pk")
    show_full_result_count = False
    change_form_template = "accounts/admin/queue_change_form.html"
    # action name -> statuses in which the change page offers it as a button
    queue_buttons: dict[str, tuple] = {}

    def has_queue_permission(self, request) -> bool:
        return holds(request.user, self.queue_duty)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("attente (jours ouvrables)"))
    def waiting(self, obj) -> int | str:
        from policies.working_days import waited

        if obj.status not in self.open_statuses:
            return "–"
        return waited(getattr(obj, self.age_field))

    # --- the change page: a button per decision the colleague may take on this item ---

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            actions = self.get_actions(request)
            context["queue_buttons"] = [
                {"name": name, "label": actions[name][2]}
                for name, statuses in self.queue_buttons.items()
                if name in actions and obj.status in statuses
            ]
            context["queue_pk"] = obj.pk
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- deciding ---

    def changelist_view(self, request, extra_context=None):
        """An action of this queue that the colleague's duties do not include is not listed;
        posted anyway (an old page, a forged form), it is refused with 403 and an audit row
        (the admin site records every PermissionDenied) instead of being quietly ignored."""
        if request.method == "POST":
            mine = set(self.actions or ())
            allowed = self.get_actions(request)
            if any(name in mine and name not in allowed
                   for name in request.POST.getlist("action")):
                raise PermissionDenied
        return super().changelist_view(request, extra_context)

    def _missing(self, request, found: set[str]) -> None:
        """Items chosen on a page that are no longer in the queue (a colleague decided them
        meanwhile): say which, never fail."""
        chosen = [pk for pk in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
                  if str(pk).isdigit()][:DECISION_LIMIT]
        gone = [pk for pk in chosen if pk not in found]
        if not gone:
            return
        for obj in self.model._default_manager.filter(pk__in=gone):
            self.message_user(request, gettext("%(item)s : déjà traité par un·e collègue "
                                               "(%(status)s).")
                              % {"item": obj, "status": obj.get_status_display()},
                              messages.WARNING)

    def queue_decide(self, request, queryset, *, name: str, service: Callable[..., Any],
                     done: Callable[[int], str], needs_reason: bool = False, title: str = "",
                     intro: str = "") -> TemplateResponse | None:
        """Run `service(obj, by=..., [reason=...])` on each chosen item, each in its own
        transaction (one refused item does not undo the others); a refusal (ValidationError:
        four eyes, already decided, the change does not apply) is shown and audited."""
        items = list(queryset[:DECISION_LIMIT + 1])
        if len(items) > DECISION_LIMIT:
            self.message_user(request, gettext(
                "Choisissez au plus %(n)d éléments à la fois.") % {"n": DECISION_LIMIT},
                messages.ERROR)
            return None
        self._missing(request, {str(obj.pk) for obj in items})
        if not items:
            return None
        reason = ""
        if needs_reason:
            form = ReasonForm(request.POST if request.POST.get("post") == "yes" else None)
            if not form.is_valid():
                return TemplateResponse(request, "accounts/admin/queue_confirm.html", {
                    **self.admin_site.each_context(request),
                    "title": title, "intro": intro, "opts": self.model._meta,
                    "items": items, "form": form, "action": name,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                })
            reason = form.cleaned_data["reason"]
        count = 0
        for obj in items:
            try:
                if needs_reason:
                    service(obj, by=request.user, reason=reason)
                else:
                    service(obj, by=request.user)
            except ValidationError as refused:
                text = " ".join(refused.messages)
                self.message_user(request, f"{obj} : {text}", messages.ERROR)
                audit.record(request, AdminAudit.Action.REFUSED, name=name, target=obj,
                             detail={"message": text})
                continue
            count += 1
            audit.record(request, AdminAudit.Action.ACTION, name=name, target=obj,
                         detail={"outcome": "done"})
        if count:
            self.message_user(request, done(count), messages.SUCCESS)
        return None

    # --- the admin index ---

    def queue_label(self) -> str:
        return str(self.model._meta.verbose_name_plural).capitalize()

    def queue_counts(self, request) -> list[QueueCount]:
        if not self.has_queue_permission(request):
            return []
        from policies.working_days import older_than_cutoff

        cutoff = older_than_cutoff(OVERDUE_AFTER)
        counts = self.model._default_manager.filter(status__in=self.open_statuses).aggregate(
            count=models.Count("pk"),
            overdue=models.Count("pk", filter=models.Q(**{f"{self.age_field}__lt": cutoff})),
        )
        url = reverse(f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}"
                      "_changelist")
        return [QueueCount(self.queue_label(), counts["count"], counts["overdue"], url,
                           f"{url}?age={OVERDUE_AFTER}")]
