from __future__ import annotations

from django.views.generic import TemplateView

from policies.selectors import employer_staff_counts
from portals.access import EmployerPortalMixin


class HomeView(EmployerPortalMixin, TemplateView):
    template_name = "employer/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["employer"] = self.request.membership.employer
        context["counts"] = employer_staff_counts(self.request.membership)
        return context
