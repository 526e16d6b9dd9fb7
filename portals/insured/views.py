from __future__ import annotations

from django.views.generic import TemplateView

from policies.selectors import certificate_latest, documents_for_insured, insured_person_for
from portals.access import InsuredPortalMixin


class HomeView(InsuredPortalMixin, TemplateView):
    template_name = "insured/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        person = insured_person_for(self.request.membership)
        context["person"] = person
        context["certificate"] = certificate_latest(person)
        context["unread_documents"] = (
            documents_for_insured(person).filter(first_read_at__isnull=True).count()
        )
        return context
