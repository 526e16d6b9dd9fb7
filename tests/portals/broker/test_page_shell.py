"""The busiest pages (the insured dashboard, a policy's two tabs) keep their shell rendered once
per process (portals.common.shell) and put the page's own parts in on each request: the page a
person gets is byte for byte the page rendered as usual, apart from the CSRF token, for every
persona and language; pending messages are still shown; the request's own path goes back in
the language form; a value that looks like a stand-in is shown as typed."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage import default_storage
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from policies.models import PolicyHolder
from portals.common import shell
from tests.conftest import login_verified

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
DETAILS = reverse("broker:policy", args=["P-810001"])
COLLEAGUE = reverse("broker:policy", args=["P-810002"])
VALUES = reverse("broker:policy-values", args=["P-810001"])


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return TOKEN.sub("TOKEN", response.content.decode())


def _as_rendered_usually(client: Client, url: str) -> str:
    with override_settings(PAGE_SHELL_CACHE=False):
        return _page(client, url)


@pytest.mark.parametrize("language", ["fr", "de", "it", "en"])
def test_each_page_is_the_page_rendered_as_usual(insured, other_insured, pensioner, broker,
                                                  broker2, agency_admin, hr_admin, insured_person,
                                                  policy, colleague_policy, broker2_policy,
                                                  language):
    shell._shells.clear()
    # Two insured persons share one shell; the pensioner has another navigation.
    cases = [(insured, "/insured/"), (other_insured, "/insured/"), (pensioner, "/insured/"),
             (broker, DETAILS), (agency_admin, COLLEAGUE),
             (broker, VALUES), (agency_admin, DETAILS), (agency_admin, VALUES),
             # the list pages: cached first pages, a search, a filter, a page further on
             (hr_admin, "/employer/staff/"), (hr_admin, "/employer/staff/?q=Claire"),
             (hr_admin, "/employer/staff/?status=active&sort=-salary"),
             (agency_admin, "/broker/portfolio/"), (agency_admin, "/broker/portfolio/?q=Verm"),
             (broker, "/broker/portfolio/?page=1&sort=-number"),
             (broker2, "/broker/portfolio/")]  # another agency: its own name in the header
    for user, url in cases:
        client = login_verified(Client(), user)
        client.post("/i18n/setlang/", {"language": language, "next": url})
        client.get(url)  # the shell is kept
        cached = _page(client, url)
        assert cached == _as_rendered_usually(client, url), (user, url, language)
    # insured, pensioner (another navigation), each tab for a broker and for the agency admin
    # (two policies, one shell), the staff list, the portfolio for a broker (two agencies, one
    # shell: the name is put in) and for the agency admin
    assert len({key[1:] for key in shell._shells}) == 9  # not counting settings generations


def test_the_dashboard_and_tab_follow_their_data_not_the_first_request(insured, pensioner,
                                                                       broker, policy):
    first = _page(login_verified(Client(), insured), "/insured/")
    second = _page(login_verified(Client(), pensioner), "/insured/")
    assert insured.insured_person.last_name in first
    assert pensioner.insured_person.last_name in second
    assert insured.insured_person.last_name not in second
    client = login_verified(Client(), broker)
    assert "<title>Police P-810001" in _page(client, DETAILS)
    assert "<title>Valeurs de la police P-810001" in _page(client, VALUES)


def test_a_pending_message_is_shown_once(insured):
    client = login_verified(Client(), insured)
    client.get("/insured/")
    client.get("/insured/")  # the shell is kept
    request = RequestFactory().get("/insured/")
    request.session = client.session
    storage = default_storage(request)
    storage.add(constants.SUCCESS, "Votre adresse a été enregistrée.")
    response = HttpResponse()
    storage.update(response)
    request.session.save()
    client.cookies.update(response.cookies)
    assert "Votre adresse a été enregistrée." in _page(client, "/insured/")
    assert "Votre adresse a été enregistrée." not in _page(client, "/insured/")


def test_the_language_form_returns_to_the_requested_address(insured):
    client = login_verified(Client(), insured)
    client.get("/insured/")
    page = client.get("/insured/?a=1&b='x'").content.decode()
    assert 'name="next" type="hidden" value="/insured/?a=1&amp;b=&#x27;x&#x27;"' in page
    assert 'name="next" type="hidden" value="/insured/"' in client.get(
        "/insured/").content.decode()


def test_the_header_names_each_agency_on_the_shared_shell(broker, broker2, policy,
                                                         broker2_policy):
    first = _page(login_verified(Client(), broker), "/broker/portfolio/")
    second = _page(login_verified(Client(), broker2), "/broker/portfolio/")
    assert "Courtage Test" in first and "Autre Courtage SA" not in first
    assert "Autre Courtage SA" in second and "Courtage Test" not in second


def test_another_persons_page_from_the_same_shell_carries_their_own_working_token(
        insured, other_insured):
    first = login_verified(Client(enforce_csrf_checks=True), insured)
    second = login_verified(Client(enforce_csrf_checks=True), other_insured)
    first.get("/insured/")
    first_tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"',
                              first.get("/insured/").content.decode())
    second_tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"',
                               second.get("/insured/").content.decode())
    assert len(second_tokens) == 2 and set(first_tokens).isdisjoint(second_tokens)
    response = second.post("/i18n/setlang/", {"csrfmiddlewaretoken": second_tokens[1],
                                              "language": "de", "next": "/insured/"})
    assert response.status_code == 302
    assert second.post("/account/logout/",
                       {"csrfmiddlewaretoken": second_tokens[0]}).status_code == 302


def test_a_value_that_looks_like_a_stand_in_is_shown_as_typed(broker, policy):
    holder = PolicyHolder.objects.get(pk=policy.holder_id)
    holder.last_name = "page-slot-csrf_token-5b1c9e7d csrf-token-placeholder-8d3f0c1e"
    holder.save()
    client = login_verified(Client(), broker)
    client.get(DETAILS)
    page = client.get(DETAILS).content.decode()
    assert "page-slot-csrf_token-5b1c9e7d csrf-token-placeholder-8d3f0c1e" in page
