"""Permission matrix of every /employer/ URL (STYLE.md 6): a new URL fails until classified.

anonymous and password-only sessions -> login; insured, broker and an expired third party ->
403; each employer persona -> the page when its capability (portals.access.CAPABILITIES) allows
it, else 403; another company's admin -> 404 on this company's objects.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from portals.employer.urls import urlpatterns
from tests.portals.matrix import ANONYMOUS, UNVERIFIED, Case, Matrix, assert_login_redirect

pytestmark = pytest.mark.django_db

POST = {"method": "post", "ok": 302}
CASES = {
    "home": (Case(), "view_company"),
    "help": (Case(), "view_company"),
    "staff": (Case(), "view_staff"),
    "staff-detail": (Case(obj="staff_person"), "view_staff"),
    "mutations": (Case(), "view_staff"),
    "mutation-detail": (Case(obj="mutation"), "view_staff"),
    "mutation-choose": (Case(), "submit_mutations"),
    "mutation-create": (Case(), "submit_mutations"),
    "mutation-withdraw": (Case(obj="mutation", **POST), "submit_mutations"),
    "upload": (Case(), "submit_mutations"),
    "upload-template": (Case(), "submit_mutations"),
    "upload-detail": (Case(obj="batch"), "submit_mutations"),
    "upload-progress": (Case(obj="batch"), "submit_mutations"),
    "upload-confirm": (Case(obj="batch", **POST), "submit_mutations"),
    "upload-discard": (Case(obj="batch", **POST), "submit_mutations"),
    "declaration": (Case(), "submit_mutations"),
    "declaration-submit": (Case(**POST), "submit_mutations"),
    "contributions": (Case(), "view_documents"),
    "contribution-detail": (Case(obj="invoice"), "view_documents"),
    "contribution-pdf": (Case(obj="invoice"), "view_documents"),
    "documents": (Case(), "view_documents"),
    "document-download": (Case(obj="company_document"), "view_documents"),
    "access": (Case(), "manage_access"),
    "access-invite": (Case(), "manage_access"),
    "access-change": (Case(obj="granted"), "manage_access"),
    "access-revoke": (Case(obj="granted", **POST), "manage_access"),
    "invitation-revoke": (Case(obj="invitation", **POST), "manage_access"),
    "access-requests": (Case(), "manage_access"),
    "access-request-confirm": (Case(obj="access_request", **POST), "manage_access"),
    "access-request-decline": (Case(obj="access_request", **POST), "manage_access"),
}
# URLs with another argument than an object's pk, and objects the page needs to exist.
ARGS = {"mutation-create": ["salary"]}
NEEDS = {"declaration-submit": "declaration"}
# Pages about this company's single object of the kind (the year's declaration): another
# company, which has none, gets 404 like for an object id.
SCOPED = {"declaration-submit"}

ALL = frozenset({"view_company", "view_staff", "submit_mutations", "manage_access",
                 "view_documents"})
READ = frozenset({"view_company", "view_staff", "view_documents"})
PERSONAS = {
    "hr_admin": ALL,
    "clerk": ALL - {"manage_access"},
    "third_party": READ,
    "third_party_mutations": READ | {"submit_mutations"},
}


class EmployerMatrix(Matrix):
    def url(self, request, name):
        if name in NEEDS:
            request.getfixturevalue(NEEDS[name])
        if name in ARGS:
            return reverse(f"{self.namespace}:{name}", args=ARGS[name])
        return super().url(request, name)


MATRIX = EmployerMatrix(namespace="employer", urlpatterns=urlpatterns, default_owner="hr_admin",
                        cases={name: case for name, (case, _cap) in CASES.items()})


@pytest.fixture
def declaration(employer):
    from django.utils import timezone

    from policies.services import declaration_open

    return declaration_open(employer=employer, year=timezone.localdate().year)


def test_every_employer_url_is_classified():
    assert MATRIX.unclassified() == set(), "classify the new /employer/ URL in CASES"


@pytest.mark.parametrize("persona,name", MATRIX.cells([ANONYMOUS, UNVERIFIED]))
def test_anonymous_and_password_only_sessions_are_sent_to_login(request, persona, name):
    url = MATRIX.url(request, name)
    client = MATRIX.client_as(request, persona, name)
    assert_login_redirect(MATRIX.call(client, name, url))


@pytest.mark.parametrize("persona,name", MATRIX.cells(
    ["insured", "broker", "expired_third_party"]))
def test_other_portals_and_an_expired_third_party_are_forbidden(request, persona, name):
    url = MATRIX.url(request, name)
    client = MATRIX.client_as(request, persona, name)
    assert MATRIX.call(client, name, url).status_code == 403


@pytest.mark.parametrize("persona,name", MATRIX.cells(["other_employer_hr"]))
def test_another_companys_admin_gets_404_on_this_companys_objects(request, persona, name):
    case = MATRIX.case(name)
    url = MATRIX.url(request, name)
    client = MATRIX.client_as(request, persona, name)
    response = MATRIX.call(client, name, url)
    if case.obj is not None or name in SCOPED:
        assert response.status_code == 404
    else:
        assert response.status_code == case.ok
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            page = response.content.decode()
            assert "Boulangerie Test SA" not in page and "Favre" not in page


@pytest.mark.parametrize("persona,name", MATRIX.cells(list(PERSONAS)))
def test_each_role_gets_what_its_capabilities_allow(request, persona, name):
    case, capability = CASES[name]
    url = MATRIX.url(request, name)
    client = MATRIX.client_as(request, persona, name)
    response = MATRIX.call(client, name, url)
    expected = case.ok if capability in PERSONAS[persona] else 403
    assert response.status_code == expected
