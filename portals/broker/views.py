from __future__ import annotations

from django.views.generic import TemplateView

from policies.selectors import broker_counts
from portals.access import BrokerPortalMixin


class HomeView(BrokerPortalMixin, TemplateView):
    template_name = "broker/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["agency"] = self.request.membership.agency
        context["counts"] = broker_counts(self.request.membership)
        return context
