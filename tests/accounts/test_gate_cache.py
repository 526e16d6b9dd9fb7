"""The portal gate reads memberships and the terms version from the cache: a change must still
take effect on the very next request."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories as f

pytestmark = pytest.mark.django_db


def test_a_revoked_membership_is_refused_on_the_next_request(as_user, third_party):
    client = as_user(third_party)
    assert client.get(reverse("employer:home")).status_code == 200
    membership = third_party.memberships.get()
    from django.utils import timezone

    membership.revoked_at = timezone.now()
    membership.save()
    assert client.get(reverse("employer:home")).status_code == 403


def test_a_new_membership_is_usable_at_once(as_user, hr_admin, agency):
    client = as_user(hr_admin)
    assert client.get(reverse("broker:home")).status_code == 403
    f.MembershipFactory(user=hr_admin, kind="broker", role="broker", agency=agency)
    assert client.get(reverse("broker:home")).status_code == 200


def test_new_terms_are_asked_for_on_the_next_request(as_user, insured):
    client = as_user(insured)
    assert client.get(reverse("insured:home")).status_code == 200
    f.TermsFactory(version=2)
    response = client.get(reverse("insured:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("terms"))


def test_the_gate_costs_no_query_once_warm(as_user, hr_admin):
    client = as_user(hr_admin)
    client.get(reverse("employer:home"))
    with CaptureQueriesContext(connection) as warm:
        client.get(reverse("employer:home"))
    tables = " ".join(q["sql"] for q in warm.captured_queries)
    assert "accounts_membership" not in tables
    assert "accounts_terms" not in tables
    assert "accounts_termsacceptance" not in tables
