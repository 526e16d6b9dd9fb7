"""/register/code/: employer, broker and third-party codes, then the same steps 2-5."""

from __future__ import annotations

from datetime import date

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import registration as reg
from accounts.models import Membership, RegistrationCode, User
from tests import factories as f
from tests.conftest import register_with_code

pytestmark = pytest.mark.django_db

CODE_FAILED = "Ce code d&#x27;enregistrement n&#x27;est pas valable"
LOCKED = "l&#x27;enregistrement est bloqué pendant une heure"




def test_an_employer_code_creates_an_employer_admin(client, terms, employer, support):
    issued = reg.registration_code_issue(
        kind="employer", role="admin", employer=employer, email="rh@boulangerie.ch",
        created_by=support, valid_until=date(2030, 12, 31),
    )
    response = register_with_code(client, issued.plain, "rh@boulangerie.ch")
    assert response.status_code == 200
    user = User.objects.get(email="rh@boulangerie.ch")
    membership = Membership.objects.get(user=user)
    assert (membership.kind, membership.role, membership.employer) == ("employer", "admin",
                                                                       employer)
    assert membership.valid_until == date(2030, 12, 31)
    assert membership.granted_by == support
    assert user.insured_person is None
    assert client.get("/portal/", follow=True).redirect_chain[-1][0] == "/employer/"


def test_a_broker_code_creates_a_broker_membership(client, terms, agency):
    issued = reg.registration_code_issue(kind="broker", role="broker", agency=agency,
                                         email="b@courtage.ch", created_by=None)
    register_with_code(client, issued.plain, "b@courtage.ch")
    membership = Membership.objects.get(user__email="b@courtage.ch")
    assert (membership.kind, membership.agency) == ("broker", agency)


def test_a_third_party_code_gives_read_only_role(client, terms, employer):
    issued = reg.registration_code_issue(kind="employer", role="third_party", employer=employer,
                                         email="fidu@example.ch", created_by=None,
                                         valid_until=date(2027, 6, 30))
    register_with_code(client, issued.plain, "fidu@example.ch")
    membership = Membership.objects.get(user__email="fidu@example.ch")
    assert membership.role == "third_party" and membership.valid_until == date(2027, 6, 30)


def test_an_insured_code_is_refused_on_the_code_page(client, terms):
    person = f.InsuredPersonFactory()
    issued = reg.registration_code_issue(kind="insured", role="insured", insured_person=person,
                                         created_by=None)
    response = client.post("/register/code/", {"code": issued.plain, "accept_terms": "on"})
    assert CODE_FAILED in response.content.decode()


def test_five_wrong_codes_lock_the_address(client, terms, employer):
    issued = reg.registration_code_issue(kind="employer", role="admin", employer=employer,
                                         created_by=None)
    for n in range(4):
        response = client.post("/register/code/", {"code": f"WRON-GCOD-E00{n}",
                                                    "accept_terms": "on"})
        assert CODE_FAILED in response.content.decode()
    response = client.post("/register/code/", {"code": "WRON-GCOD-E009", "accept_terms": "on"})
    assert LOCKED in response.content.decode()
    response = client.post("/register/code/", {"code": issued.plain, "accept_terms": "on"})
    assert LOCKED in response.content.decode()
    assert RegistrationCode.objects.get().redeemed_at is None
    assert not TOTPDevice.objects.exists()
