from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_admin_needs_a_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/account/login/" in response["Location"] or "/admin/login/" in response["Location"]


def test_staff_with_password_only_does_not_reach_admin(client, support):
    client.force_login(support, backend="accounts.backends.EmailOrAhvBackend")
    response = client.get("/admin/policies/insuredperson/")
    assert response.status_code == 302


def test_verified_support_reaches_admin_lists(as_user, support, insured):
    client = as_user(support)
    for url in ["/admin/", "/admin/policies/insuredperson/", "/admin/accounts/user/",
                "/admin/policies/document/", "/admin/policies/mutation/",
                "/admin/accounts/securityevent/"]:
        assert client.get(url).status_code == 200, url
    search = client.get("/admin/policies/insuredperson/", {"q": "Favre"})
    assert "Favre" in search.content.decode()


def test_insured_person_cannot_reach_admin(as_user, insured):
    response = as_user(insured).get("/admin/")
    assert response.status_code == 302
