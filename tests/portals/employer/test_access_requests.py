"""/employer/access-requests/: a company's admins confirm or decline requests for access to it.

Only a current admin of that same company may: a clerk or a third party gets 403, the admin of
another company 404 on this company's request ids, an anonymous visitor the login page.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AccessRequest, RegistrationCode, SecurityEvent
from tests import factories as f
from tests.conftest import _make

pytestmark = pytest.mark.django_db


@pytest.fixture
def access_request(employer, hr_admin):
    return AccessRequest.objects.create(
        kind="employer", organisation_name="Boulangerie", organisation_number=employer.uid,
        contact_first_name="Mallory", contact_last_name="Intrus", email="mallory@evil.example",
        mobile="+41795551234",
    )


@pytest.fixture
def clerk(terms, employer):
    user = f.UserFactory(email="clerk@boulangerie.ch")
    f.MembershipFactory(user=user, kind="employer", role="clerk", employer=employer)
    return _make(user)


def _confirm(client, access_request):
    return client.post(reverse("employer:access-request-confirm", args=[access_request.pk]))


def _decline(client, access_request, note=""):
    return client.post(reverse("employer:access-request-decline", args=[access_request.pk]),
                       {"note": note})


def test_the_company_admin_sees_the_pending_request_and_the_home_links_it(
        as_user, hr_admin, access_request):
    client = as_user(hr_admin)
    home = client.get(reverse("employer:home")).content.decode()
    assert reverse("employer:access-requests") in home and "1 en attente" in home
    page = client.get(reverse("employer:access-requests")).content.decode()
    assert "Mallory Intrus" in page and "mallory@evil.example" in page


def test_the_company_admin_confirms(as_user, hr_admin, access_request):
    response = _confirm(as_user(hr_admin), access_request)
    assert response.status_code == 302
    assert response["Location"] == reverse("employer:access-requests")
    access_request.refresh_from_db()
    assert access_request.confirmed_by == hr_admin and access_request.status == "pending"
    event = SecurityEvent.objects.get(kind="access_decision")
    assert event.user == hr_admin
    assert event.detail["decision"] == "confirmed"
    assert event.detail["confirmed_as"] == "organisation_admin"
    page = as_user(hr_admin).get(reverse("employer:access-requests")).content.decode()
    assert "Demande confirmée" in page and "Confirmée, en cours de traitement" in page


def test_the_company_admin_declines_with_a_note(as_user, hr_admin, access_request):
    _decline(as_user(hr_admin), access_request, note="Inconnu chez nous")
    access_request.refresh_from_db()
    assert access_request.status == "rejected" and access_request.decided_by == hr_admin
    assert access_request.decision_note == "Inconnu chez nous"
    assert access_request.confirmed_at is None
    assert not RegistrationCode.objects.exists()
    event = SecurityEvent.objects.get(kind="access_decision")
    assert event.user == hr_admin and event.detail["decision"] == "rejected"
    # Decided: off the list, and it cannot be confirmed afterwards.
    client = as_user(hr_admin)
    assert "Mallory" not in client.get(reverse("employer:access-requests")).content.decode()
    response = client.post(reverse("employer:access-request-confirm", args=[access_request.pk]),
                           follow=True)
    assert "déjà été traitée" in response.content.decode()
    access_request.refresh_from_db()
    assert access_request.confirmed_at is None


@pytest.mark.parametrize("persona", ["clerk", "third_party"])
def test_a_clerk_or_a_third_party_is_forbidden(request, as_user, persona, access_request):
    client = as_user(request.getfixturevalue(persona))
    assert client.get(reverse("employer:access-requests")).status_code == 403
    assert _confirm(client, access_request).status_code == 403
    assert _decline(client, access_request).status_code == 403
    access_request.refresh_from_db()
    assert access_request.confirmed_at is None and access_request.status == "pending"
    assert reverse("employer:access-requests") not in client.get(
        reverse("employer:home")).content.decode()


def test_the_admin_of_another_company_gets_404(as_user, other_employer_hr, access_request):
    client = as_user(other_employer_hr)
    page = client.get(reverse("employer:access-requests"))
    assert page.status_code == 200 and "Mallory" not in page.content.decode()
    assert _confirm(client, access_request).status_code == 404
    assert _decline(client, access_request).status_code == 404
    access_request.refresh_from_db()
    assert access_request.confirmed_at is None and access_request.status == "pending"


def test_a_request_support_linked_to_another_company_is_not_this_companys(
        as_user, hr_admin, other_employer, access_request):
    access_request.employer = other_employer
    access_request.save()
    client = as_user(hr_admin)
    assert "Mallory" not in client.get(reverse("employer:access-requests")).content.decode()
    assert _confirm(client, access_request).status_code == 404


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("employer:access-requests"))
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


def test_anonymous_cannot_confirm(client, access_request):
    response = _confirm(client, access_request)
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")
    access_request.refresh_from_db()
    assert access_request.confirmed_at is None


def test_a_revoked_admin_cannot_confirm(as_user, hr_admin, access_request):
    from django.utils import timezone

    hr_admin.memberships.update(revoked_at=timezone.now())
    assert _confirm(as_user(hr_admin), access_request).status_code == 403
    access_request.refresh_from_db()
    assert access_request.confirmed_at is None
