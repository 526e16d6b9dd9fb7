"""Permission matrix of every /insured/ URL (STYLE.md 6): a new URL fails until classified here.

anonymous and password-only sessions -> login; employer and broker -> 403; another insured
person -> 404 on this person's objects; the right person -> the page.
"""

from __future__ import annotations

import pytest

from portals.insured.urls import urlpatterns
from tests.portals.insured.conftest import make_document, reauthenticate
from tests.portals.matrix import ANONYMOUS, UNVERIFIED, Case, Matrix, assert_login_redirect

pytestmark = pytest.mark.django_db

MATRIX = Matrix(namespace="insured", urlpatterns=urlpatterns, default_owner="insured", cases={
    "home": Case(),
    "ahv-reveal": Case(reauth=True),
    "documents": Case(),
    "document-download": Case(obj="document"),
    "simulations": Case(),
    "simulation-retirement": Case(),
    "simulation-buy-in": Case(),
    "simulation-wef": Case(),
    "simulation-detail": Case(obj="simulation"),
    "simulation-pdf": Case(obj="simulation"),
    "simulation-request": Case(obj="simulation", method="post", ok=302),
    "requests": Case(),
    "request-detail": Case(obj="service_request"),
    "personal": Case(),
    "change-address": Case(reauth=True),
    "change-civil-status": Case(),
    "change-bank-account": Case(owner="pensioner", reauth=True),
    "change-detail": Case(obj="change_request"),
    "my-data": Case(reauth=True),
    "help": Case(),
})


def test_every_insured_url_is_classified():
    assert MATRIX.unclassified() == set(), "classify the new /insured/ URL in MATRIX"


@pytest.fixture
def document(insured, certificate):
    return make_document(insured.insured_person, certificate=certificate)


@pytest.mark.parametrize("persona,name", MATRIX.cells([ANONYMOUS, UNVERIFIED]))
def test_anonymous_and_password_only_sessions_are_sent_to_login(request, persona, name):
    url = MATRIX.url(request, name)
    client = MATRIX.client_as(request, persona, name)
    assert_login_redirect(MATRIX.call(client, name, url))


@pytest.mark.parametrize("persona,name", MATRIX.cells(["hr_admin", "broker"]))
def test_employer_and_broker_are_forbidden(request, persona, name):
    url = MATRIX.url(request, name)
    client = MATRIX.client_as(request, persona, name, reauthenticate)
    assert MATRIX.call(client, name, url).status_code == 403


@pytest.mark.parametrize("persona,name", MATRIX.cells(["other_insured"]))
def test_another_insured_person_gets_404_on_this_persons_objects(request, persona, name):
    case = MATRIX.case(name)
    url = MATRIX.url(request, name)
    client = MATRIX.client_as(request, persona, name, reauthenticate)
    response = MATRIX.call(client, name, url)
    if case.obj is not None:
        assert response.status_code == 404
    elif MATRIX.owner(name) == "pensioner":
        assert response.status_code == 403  # an active member has no pension account
    else:
        assert response.status_code == case.ok  # their own page, never this person's data
        if response.status_code == 200:
            assert "Claire" not in response.content.decode()


@pytest.mark.parametrize("name", MATRIX.names)
def test_the_right_person_gets_the_page(request, name):
    case = MATRIX.case(name)
    url = MATRIX.url(request, name)
    client = MATRIX.client_as(request, MATRIX.owner(name), name,
                              reauthenticate if case.reauth else None)
    assert MATRIX.call(client, name, url).status_code == case.ok
