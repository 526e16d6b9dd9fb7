"""Issue item 2: the admin's query string as an oracle. `?user__id__exact=5&session_key__
startswith=<prefix>` gave away a live session key one character at a time to anyone with
"view user session". Every changelist filters only by the filters it declares."""

from __future__ import annotations

import pytest
from django.contrib import admin

from accounts.admin_base import SecureAdminMixin
from accounts.models import UserSession, session_key_hash
from tests.conftest import login_verified

pytestmark = pytest.mark.django_db

SECRET_FIELDS = {"key_hash", "body", "code_hash", "password"}


def _registry():
    # The URLconf builds the admin (and re-registers third-party admins) on import.
    import portals.urls  # noqa: F401

    return admin.site._registry


def test_every_registered_admin_uses_the_secure_base():
    plain = [type(a).__name__ for a in _registry().values() if not isinstance(a, SecureAdminMixin)]
    assert plain == []


def test_startswith_is_refused_on_every_field_of_every_changelist(client, superuser):
    login_verified(client, superuser)
    tried: set[str] = set()
    for model in _registry():
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert client.get(url).status_code == 200, url
        for field in model._meta.concrete_fields:
            for name in {field.name, field.attname}:
                response = client.get(url, {f"{name}__startswith": "x"})
                assert response.status_code == 400, f"{url}?{name}__startswith"
                tried.add(name)
    assert SECRET_FIELDS <= tried


def test_the_session_key_oracle_is_closed(client, support, insured):
    victim = login_verified(type(client)(), insured)
    victim.get("/profile/")
    key = victim.session.session_key
    assert UserSession.objects.filter(key_hash=session_key_hash(key)).exists()
    login_verified(client, support)
    url = "/admin/accounts/usersession/"
    assert client.get(url).status_code == 200
    prefix = session_key_hash(key)[:1]
    for lookup in ("key_hash__startswith", "session_key__startswith", "key_hash",
                   "user__email__startswith", "user__password__startswith", "id__gt"):
        response = client.get(url, {"user__id__exact": insured.pk, lookup: prefix})
        assert response.status_code == 400, lookup


def test_declared_filters_and_the_date_hierarchy_still_work(client, support, insured):
    login_verified(client, support)
    for url, params in [
        ("/admin/accounts/user/", {"is_active__exact": "1", "memberships__kind__exact": "insured"}),
        ("/admin/accounts/user/", {"language__exact": "fr", "is_staff__exact": "0"}),
        ("/admin/accounts/securityevent/", {"kind__exact": "login_success",
                                            "created_at__year": "2026"}),
        ("/admin/accounts/registrationcode/", {"kind__exact": "insured"}),
        ("/admin/policies/insuredperson/", {"status__exact": "active"}),
        ("/admin/policies/contract/", {"plan__id__exact": "1"}),
        ("/admin/policies/contract/", {"plan__isnull": "True"}),
        ("/admin/accounts/factorresetrequest/", {"state": "pending", "age": "5"}),
    ]:
        assert client.get(url, params).status_code == 200, (url, params)
    page = client.get("/admin/accounts/user/", {"q": "claire"}).content.decode()
    assert insured.email in page  # search is not a lookup


def test_a_declared_filter_does_not_open_its_related_fields(client, support):
    login_verified(client, support)
    response = client.get("/admin/policies/contract/", {"plan__name__startswith": "B"})
    assert response.status_code == 400
    response = client.get("/admin/accounts/user/", {"memberships__kind__startswith": "i"})
    assert response.status_code == 400
