"""From a saved simulation to a formal request: a confirmation step says what happens next, and
only confirming files the request."""

from __future__ import annotations

import pytest
from django.urls import reverse

from simulations.models import ServiceRequest

pytestmark = pytest.mark.django_db


def test_the_detail_page_button_leads_to_a_confirmation_not_a_request(as_user, insured,
                                                                      simulation):
    client = as_user(insured)
    detail = client.get(reverse("insured:simulation-detail", args=[simulation.pk]))
    confirm_url = reverse("insured:simulation-request", args=[simulation.pk])
    assert f'href="{confirm_url}"' in detail.content.decode()
    page = client.get(confirm_url)
    body = page.content.decode()
    assert page.status_code == 200
    assert "Ce qui se passe ensuite" in body
    assert "5 jours ouvrables" in body
    assert "Envoyer la demande" in body
    assert not ServiceRequest.objects.exists()


def test_a_post_without_confirming_files_nothing(as_user, insured, simulation):
    client = as_user(insured)
    url = reverse("insured:simulation-request", args=[simulation.pk])
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == url
    assert not ServiceRequest.objects.exists()


def test_confirming_files_the_request_once(as_user, insured, simulation):
    client = as_user(insured)
    url = reverse("insured:simulation-request", args=[simulation.pk])
    made = client.post(url, {"confirm": "yes"})
    request = ServiceRequest.objects.get()
    assert made["Location"] == reverse("insured:request-detail", args=[request.pk])
    # Coming back to the confirmation leads to the request already made.
    assert client.get(url)["Location"] == made["Location"]


def test_another_persons_simulation_has_no_confirmation_page(as_user, other_insured, simulation):
    response = as_user(other_insured).get(
        reverse("insured:simulation-request", args=[simulation.pk]))
    assert response.status_code == 404
