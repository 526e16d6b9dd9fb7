"""Found by the access matrix: Django's own password form of the admin (/admin/password_change/)
was open to every colleague of the support. It set a new password without the profile's flow
(re-authentication, a security event, the e-mail and SMS notice): it now leads there."""

from __future__ import annotations

import pytest

from accounts.models import SecurityEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_admin_password_form_leads_to_the_profile_flow(as_user, agent):
    client = as_user(agent)
    response = client.post("/admin/password_change/", {
        "old_password": PASSWORD, "new_password1": "Blue-Meadow-Lantern-42",
        "new_password2": "Blue-Meadow-Lantern-42"})
    assert response.status_code == 302 and response["Location"] == "/profile/password/"
    agent.refresh_from_db()
    assert agent.check_password(PASSWORD)
    assert client.get("/admin/password_change/done/")["Location"] == "/profile/"


def test_the_profile_flow_records_and_tells_what_the_admin_form_did_not(as_user, agent):
    from tests.conftest import reauthed

    client = reauthed(as_user(agent))
    client.post("/profile/password/", {
        "old_password": PASSWORD, "new_password1": "Blue-Meadow-Lantern-42",
        "new_password2": "Blue-Meadow-Lantern-42"})
    assert SecurityEvent.objects.filter(user=agent, kind="password_changed").exists()
