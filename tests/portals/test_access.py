"""The gate's capabilities per role and the explicit active membership (several companies)."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.urls import path
from django.views import View

from accounts.models import Membership
from portals.access import CAPABILITIES, EmployerPortalMixin, capabilities_of
from portals.urls import urlpatterns as root_urlpatterns
from tests import factories as f
from tests.conftest import _make

pytestmark = pytest.mark.django_db


class _Needs(EmployerPortalMixin, View):
    def get(self, request):
        return HttpResponse(f"ok {request.membership.employer.name}")


urlpatterns = [
    path("mutations/", _Needs.as_view(required_capability="submit_mutations")),
    path("access/", _Needs.as_view(required_capability="manage_access")),
    path("staff/", _Needs.as_view(required_capability="view_staff")),
    *root_urlpatterns,  # the error pages link to the landing page
]


def test_every_role_of_every_portal_has_a_row_in_the_table():
    for kind, roles in Membership.ROLES_BY_KIND.items():
        for role in roles:
            assert CAPABILITIES[(kind, role)], (kind, role)


@pytest.mark.parametrize("role,grants,expected", [
    ("admin", False, {"submit_mutations", "manage_access", "view_staff"}),
    ("clerk", False, {"submit_mutations", "view_staff"}),
    ("third_party", False, {"view_staff"}),
    ("third_party", True, {"submit_mutations", "view_staff"}),
])
def test_capabilities_follow_the_role_and_the_grant(employer, role, grants, expected):
    membership = Membership(kind="employer", role=role, employer=employer,
                            grants_mutations=grants)
    granted = capabilities_of(membership)
    assert expected <= granted
    assert ("manage_access" in granted) == (role == "admin")
    assert ("submit_mutations" in granted) == (role != "third_party" or grants)


@pytest.mark.urls("tests.portals.test_access")
@pytest.mark.parametrize("persona,path,status", [
    ("hr_admin", "/access/", 200),
    ("hr_admin", "/mutations/", 200),
    ("third_party", "/staff/", 200),
    ("third_party", "/mutations/", 403),  # read-only grant
    ("third_party", "/access/", 403),
])
def test_a_view_is_refused_without_its_capability(request, as_user, persona, path, status):
    client = as_user(request.getfixturevalue(persona))
    assert client.get(path).status_code == status


@pytest.mark.urls("tests.portals.test_access")
def test_a_grant_with_mutations_opens_the_mutation_views(as_user, third_party):
    Membership.objects.filter(user=third_party).update(grants_mutations=True)
    client = as_user(third_party)
    assert client.get("/mutations/").status_code == 200
    assert client.get("/access/").status_code == 403


@pytest.fixture
def fiduciary(terms, employer, other_employer):
    user = f.UserFactory(email="fidu@example.ch")
    for company in (employer, other_employer):
        f.MembershipFactory(user=user, kind="employer", role="third_party", employer=company)
    return _make(user)


def test_with_several_companies_nothing_is_chosen_silently(as_user, fiduciary):
    client = as_user(fiduciary)
    response = client.get("/employer/")
    assert response.status_code == 302 and response["Location"] == "/portal/?kind=employer"
    page = client.get(response["Location"]).content.decode()
    assert "Boulangerie Test SA" in page and "Autre Entreprise SA" in page


def test_the_chosen_company_is_shown_and_switched_in_one_click(as_user, fiduciary, other_employer):
    client = as_user(fiduciary)
    first, second = Membership.objects.filter(user=fiduciary).order_by("pk")
    client.post("/portal/", {"membership": first.pk})
    page = client.get("/employer/").content.decode()
    assert "<h1>Boulangerie Test SA</h1>" in page
    assert f'name="membership" value="{second.pk}"' in page  # the header's switch
    response = client.post("/portal/", {"membership": second.pk})
    assert response["Location"] == "/employer/"
    assert "<h1>Autre Entreprise SA</h1>" in client.get("/employer/").content.decode()


def test_a_membership_of_someone_else_cannot_be_activated(as_user, fiduciary, hr_admin):
    client = as_user(fiduciary)
    foreign = Membership.objects.get(user=hr_admin)
    client.post("/portal/", {"membership": foreign.pk})
    assert client.get("/employer/").status_code == 302  # still asked to choose


def test_a_revoked_choice_is_not_kept(as_user, fiduciary):
    from django.utils import timezone

    client = as_user(fiduciary)
    first, second = Membership.objects.filter(user=fiduciary).order_by("pk")
    client.post("/portal/", {"membership": first.pk})
    first.revoked_at = timezone.now()
    first.save()
    page = client.get("/employer/").content.decode()  # only one left: that one, explicitly
    assert "<h1>Autre Entreprise SA</h1>" in page
