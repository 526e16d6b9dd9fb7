"""two_factor's own self-service pages would bypass re-authentication, audit and the hashed
backup codes: they must not be reachable."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    ["/account/two_factor/", "/account/two_factor/disable/",
     "/account/two_factor/backup/tokens/", "/account/two_factor/phone/register/",
     "/account/two_factor/phone/unregister/1/"],
)
def test_library_self_service_pages_are_not_mounted(as_user, insured, path):
    client = as_user(insured)
    assert client.get(path).status_code == 404
    assert client.post(path, {"otp_token": "123456"}).status_code in (403, 404)
    assert insured.totpdevice_set.exists()


def test_first_factor_setup_is_still_reachable(client, terms, insured_person):
    from tests import factories as f

    user = f.UserFactory()
    client.force_login(user, backend="accounts.backends.EmailOrAhvBackend")
    assert client.get("/account/two_factor/setup/").status_code == 200
