"""Permission matrix of every /insured/ URL (STYLE.md 6): a new URL fails until classified here.

anonymous and password-only sessions -> login; employer and broker -> 403; another insured
person -> 404 on this person's objects; the right person -> the page.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import reverse

from portals.insured.urls import urlpatterns
from tests.portals.insured.conftest import make_document, reauthenticate

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Case:
    obj: str | None = None  # fixture whose pk goes into the URL (owned by `owner`)
    owner: str = "insured"
    method: str = "get"
    ok: int = 200
    reauth: bool = False


MATRIX: dict[str, Case] = {
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
}
NAMES = sorted(p.name for p in urlpatterns)


def test_every_insured_url_is_classified():
    assert set(NAMES) == set(MATRIX), "classify the new /insured/ URL in MATRIX"


@pytest.fixture
def document(insured, certificate):
    return make_document(insured.insured_person, certificate=certificate)


def _url(request, name: str) -> str:
    case = MATRIX[name]
    if case.obj is None:
        return reverse(f"insured:{name}")
    return reverse(f"insured:{name}", args=[request.getfixturevalue(case.obj).pk])


def _call(client, name: str, url: str):
    return getattr(client, MATRIX[name].method)(url)


@pytest.mark.parametrize("name", NAMES)
def test_anonymous_is_sent_to_login(request, client, name):
    response = _call(client, name, _url(request, name))
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


@pytest.mark.parametrize("name", NAMES)
def test_password_only_session_is_sent_to_login(request, client, name):
    url = _url(request, name)
    user = request.getfixturevalue(MATRIX[name].owner)
    client.force_login(user, backend="accounts.backends.EmailOrAhvBackend")
    response = _call(client, name, url)
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


@pytest.mark.parametrize("persona", ["hr_admin", "broker"])
@pytest.mark.parametrize("name", NAMES)
def test_employer_and_broker_are_forbidden(request, as_user, name, persona):
    url = _url(request, name)
    client = as_user(request.getfixturevalue(persona))
    reauthenticate(client)
    assert _call(client, name, url).status_code == 403


@pytest.mark.parametrize("name", NAMES)
def test_another_insured_person_gets_404_on_this_persons_objects(request, as_user, name):
    case = MATRIX[name]
    url = _url(request, name)
    client = as_user(request.getfixturevalue("other_insured"))
    reauthenticate(client)
    response = _call(client, name, url)
    if case.obj is not None:
        assert response.status_code == 404
    elif case.owner == "pensioner":
        assert response.status_code == 403  # an active member has no pension account
    else:
        assert response.status_code == case.ok  # their own page, never this person's data
        if response.status_code == 200:
            assert "Claire" not in response.content.decode()


@pytest.mark.parametrize("name", NAMES)
def test_the_right_person_gets_the_page(request, as_user, name):
    case = MATRIX[name]
    url = _url(request, name)
    client = as_user(request.getfixturevalue(case.owner))
    if case.reauth:
        reauthenticate(client)
    response = _call(client, name, url)
    assert response.status_code == case.ok
