"""Permission matrix of every /broker/ URL (STYLE.md 6): a new URL fails until classified here.

anonymous and password-only sessions -> login; insured and employer -> 403; the broker holding
the mandate and the agency admin -> the page; a broker of another agency, a colleague of the same
agency and a broker whose mandate on the policy ended -> 404 on the policy, its client, its
documents and the broker's commission statement, and their own (empty of this data) list pages.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from portals.broker.urls import urlpatterns
from tests.portals.matrix import ANONYMOUS, UNVERIFIED, Case, Matrix, assert_login_redirect

pytestmark = pytest.mark.django_db


class BrokerMatrix(Matrix):
    """Policies are addressed by their number (what a broker reads out), other objects by pk."""

    def url(self, request, name):
        case = self.cases[name]
        if case.obj is None:
            return reverse(f"{self.namespace}:{name}")
        obj = request.getfixturevalue(case.obj)
        key = obj.number if case.obj == "policy" else obj.pk
        return reverse(f"{self.namespace}:{name}", args=[key])


MATRIX = BrokerMatrix(namespace="broker", urlpatterns=urlpatterns, default_owner="broker", cases={
    "home": Case(),
    "portfolio": Case(),
    "client": Case(obj="client_holder"),
    "inquiry": Case(),
    "policy": Case(obj="policy"),
    "policy-values": Case(obj="policy"),
    "policy-valuation-pdf": Case(obj="policy"),
    "payments": Case(),
    "documents": Case(),
    "document-download": Case(obj="document"),
    "commissions": Case(),
    "commission-statement": Case(obj="statement"),
    "commission-statement-pdf": Case(obj="statement"),
    "account": Case(),
    "help": Case(),
})

OUTSIDERS = ["broker2", "colleague_broker", "ended_broker"]


def test_every_broker_url_is_classified():
    assert MATRIX.unclassified() == set(), "classify the new /broker/ URL in MATRIX"


@pytest.fixture(autouse=True)
def _data(policy, document, statement, colleague_policy, broker2_policy):
    """Every persona's world holds the broker's objects (and others' own policies)."""


@pytest.mark.parametrize("persona,name", MATRIX.cells([ANONYMOUS, UNVERIFIED]))
def test_anonymous_and_password_only_sessions_are_sent_to_login(request, persona, name):
    url = MATRIX.url(request, name)
    client = MATRIX.client_as(request, persona, name)
    assert_login_redirect(MATRIX.call(client, name, url))


@pytest.mark.parametrize("persona,name", MATRIX.cells(["insured", "hr_admin"]))
def test_insured_and_employer_are_forbidden(request, persona, name):
    url = MATRIX.url(request, name)
    client = MATRIX.client_as(request, persona, name)
    assert MATRIX.call(client, name, url).status_code == 403


@pytest.mark.parametrize("persona,name", MATRIX.cells(OUTSIDERS))
def test_other_brokers_get_404_on_this_brokers_objects(request, persona, name):
    case = MATRIX.case(name)
    url = MATRIX.url(request, name)
    client = MATRIX.client_as(request, persona, name)
    response = MATRIX.call(client, name, url)
    if case.obj is not None:
        assert response.status_code == 404
    else:
        assert response.status_code == case.ok  # their own page, never this broker's data
    body = response.content.decode() if not response.streaming else ""
    assert "Vermeil" not in body  # the client's name
    assert "P-810001" not in body or case.obj == "policy"  # echoed only as the typed number


@pytest.mark.parametrize("persona", ["broker", "agency_admin"])
@pytest.mark.parametrize("name", MATRIX.names)
def test_the_mandate_holder_and_the_agency_admin_get_the_page(request, persona, name):
    case = MATRIX.case(name)
    url = MATRIX.url(request, name)
    client = MATRIX.client_as(request, persona, name)
    assert MATRIX.call(client, name, url).status_code == case.ok
