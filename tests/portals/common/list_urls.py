"""A test-only list page: insured persons through ListMixin, rendered with the common partials
(no access gate: the gate has its own tests)."""

from __future__ import annotations

from django.http import HttpResponse
from django.template import engines
from django.urls import path
from django.views.generic import ListView

from policies.models import Contract, InsuredPerson
from portals.common.lists import Column, Filter, ListMixin

PAGE = engines["django"].from_string(
    '{% include "common/_list_form.html" %}{% include "common/_list_export.html" %}'
    '{% include "common/_list_table.html" %}{% include "common/_pagination.html" %}'
)


class PersonListView(ListMixin, ListView):
    search_fields = ["last_name", "first_name", "ahv_number"]
    filters = {
        "status": Filter("Statut", InsuredPerson.Status.choices),
        "contract": Filter("Contrat", lambda view: [
            (c.pk, c.number) for c in Contract.objects.order_by("number")],
            lookup="contract_id"),
    }
    sort_columns = {"name": ("last_name", "first_name"), "salary": "annual_salary",
                    "entry": "entry_date"}
    default_sort = "name"
    columns = [
        Column("name", "Nom", lambda p: f"{p.last_name} {p.first_name}"),
        Column("employer", "Employeur", "contract.employer.name"),
        Column("status", "Statut", "get_status_display"),
        Column("salary", "Salaire annuel", "annual_salary", numeric=True),
        ("entry", "Entrée", "entry_date"),  # a plain (key, label, value) works too
    ]
    paginate_by = 10
    export_name = "assures"

    def get_base_queryset(self):
        return InsuredPerson.objects.select_related("contract__employer")

    def render_to_response(self, context, **kwargs):
        return HttpResponse(PAGE.render(context, self.request))


urlpatterns = [path("people/", PersonListView.as_view(), name="people")]
