"""The application's URLs plus /bench/baseline/, the bare comparison point of bench/load.py."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import path

from policies.models import InsuredPerson
from portals.urls import handler403, handler404, handler500  # noqa: F401
from portals.urls import urlpatterns as app_urlpatterns


def baseline(request):
    """One query, one template: what any page of the application costs at the least."""
    person = InsuredPerson.objects.only("first_name").order_by("pk").first()
    return render(request, "bench/baseline.html", {"person": person})


urlpatterns = [path("bench/baseline/", baseline, name="bench-baseline"), *app_urlpatterns]
