"""What the hostile-input sweep (test_hostile_input.py) found, each pinned by a plain test: the
input, and the answer a person now gets instead of a 500."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from policies.models import MutationBatch
from tests import factories as f
from tests.conftest import login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(employer):
    return f.InsuredPersonFactory(contract=f.ContractFactory(employer=employer),
                                  first_name="Luc", last_name="Staff")


def _xlsx(*rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


HEADER = ["Type", "Numéro AVS", "Date d'effet", "Salaire annuel (CHF)", "Taux d'occupation (%)"]


@pytest.mark.parametrize("salary", ["1e309", "9" * 40, "1e20", float("inf"), float("nan")])
def test_an_absurd_amount_in_an_uploaded_file_is_a_row_error(client, hr_admin, staff, salary):
    content = _xlsx(HEADER, ["salaire", staff.ahv_number, "01.01.2026", salary, ""])
    response = login_verified(client, hr_admin).post(
        "/employer/uploads/", {"file": SimpleUploadedFile("m.xlsx", content)})
    batch = MutationBatch.objects.get()
    assert response.status_code == 302 and batch.valid_count == 0 and batch.error_count == 1
    if isinstance(salary, str):
        assert "Saisissez un nombre" in client.get(response["Location"]).content.decode()


def test_an_absurd_degree_in_a_csv_file_is_a_row_error(client, hr_admin, staff):
    text = (f"Type;Numéro AVS;Date d'effet;Taux d'occupation (%)\n"
            f"taux;{staff.ahv_number};01.01.2026;1e309\n")
    response = login_verified(client, hr_admin).post(
        "/employer/uploads/", {"file": SimpleUploadedFile("m.csv", text.encode())})
    assert response.status_code == 302
    assert MutationBatch.objects.get().error_count == 1


@pytest.mark.parametrize("page", ["²", "١", "9" * 30, "-1", "last"])
def test_a_page_number_that_is_no_number_shows_the_first_page(client, hr_admin, staff, page):
    client = login_verified(client, hr_admin)
    assert client.get("/employer/declaration/", {"page": page}).status_code == 200
    # "١" is Python's 1: a person id, of somebody else's staff or of nobody, is a 404; the
    # others are no id at all and show the empty form. Never a 500.
    expected = (200, 404) if page.isdecimal() else (200,)
    assert client.get("/employer/mutations/new/salary/",
                      {"person": page}).status_code in expected


def test_a_portfolio_page_number_that_is_no_number_is_no_error(client, broker):
    assert login_verified(client, broker).get("/broker/portfolio/", {"page": "²"}).status_code \
        == 200


@pytest.fixture
def no_factor(terms):
    user = f.UserFactory(email="nofactor@example.ch")
    return user


def test_the_factor_set_up_starts_again_when_a_later_step_is_asked_first(client, no_factor):
    client.force_login(no_factor, backend="accounts.backends.EmailOrAhvBackend")
    response = client.post("/account/two_factor/setup/", {
        "setup_view-current_step": "welcome", "wizard_goto_step": "validation"})
    assert response.status_code == 302 and response["Location"] == "/account/two_factor/setup/"
    assert client.get("/account/two_factor/setup/").status_code == 200


@pytest.mark.parametrize("url,step", [("/account/two_factor/setup/", "setup_view"),
                                      ("/account/login/", "login_view")])
def test_a_file_sent_to_a_wizard_is_dropped(client, no_factor, url, step):
    if step == "setup_view":
        client.force_login(no_factor, backend="accounts.backends.EmailOrAhvBackend")
        data = {f"{step}-current_step": "welcome"}
    else:
        data = {f"{step}-current_step": "auth", "auth-username": no_factor.email,
                "auth-password": "Correct-Horse-9"}
    data["file"] = SimpleUploadedFile("x.pdf", b"%PDF-1.4 not really")
    assert client.post(url, data).status_code in (200, 302)


HUGE = "99999999999999999999"


def test_a_key_no_column_holds_is_not_a_valid_choice_in_the_admin(client, superuser):
    client = login_verified(client, superuser)
    invite = client.post("/admin/accounts/user/invite/", {
        "email": "new@fund.ch", "groups": [HUGE], "days": "14"})
    group = client.post("/admin/auth/group/add/", {"name": "X", "permissions": [HUGE]})
    for response in (invite, group):
        assert response.status_code == 200 and "errorlist" in response.content.decode()


def test_support_records_no_terms_acceptance_in_someones_name(client, superuser):
    client = login_verified(client, superuser)
    assert client.post("/admin/accounts/termsacceptance/add/", {}).status_code == 403


def test_the_login_lock_clean_up_action_works_in_the_admin(client, superuser):
    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.create(user_agent="x", http_accept="*/*", path_info="/",
                                           username="x", failures_since_start=1)
    response = login_verified(client, superuser).post("/admin/axes/accessattempt/", {
        "action": "cleanup_expired_attempts", "_selected_action": [attempt.pk]})
    assert response.status_code == 302


@pytest.fixture
def pending_request(employer):
    from accounts.models import AccessRequest

    return AccessRequest.objects.create(
        kind="employer", organisation_name="Boulangerie", organisation_number=employer.uid,
        contact_first_name="Mallory", contact_last_name="Intrus", email="mallory@example.ch",
        mobile="+41795551234")


NUL_REFUSED = "Le caractère nul n’est pas autorisé."  # Django's message, translated


def test_a_decline_note_with_a_nul_character_is_refused(client, hr_admin, pending_request):
    client = login_verified(client, hr_admin)
    response = client.post(f"/employer/access-requests/{pending_request.pk}/decline/",
                           {"note": "a\x00b"}, follow=True)
    assert NUL_REFUSED in response.content.decode()
    pending_request.refresh_from_db()
    assert pending_request.status == "pending"  # PostgreSQL refused to store it: a 500


def test_a_decision_note_with_a_nul_character_is_refused_in_the_admin(client, superuser,
                                                                    pending_request):
    client = login_verified(client, superuser)
    # Rejecting asks for its reason on a page of its own; approving takes an optional note.
    for action, field in (("reject", "reason"), ("approve", "decision_note")):
        response = client.post(f"/admin/accounts/accessrequest/{pending_request.pk}/{action}/",
                               {field: "a\x00b"}, follow=True)
        assert NUL_REFUSED in response.content.decode()
    pending_request.refresh_from_db()
    assert pending_request.status == "pending"



@pytest.mark.parametrize("selected", ["x", "͇¾͗", HUGE, "\x00"])
def test_an_admin_action_on_a_key_that_is_none_selects_nothing(client, superuser, insured,
                                                               selected):
    response = login_verified(client, superuser).post("/admin/accounts/user/", {
        "action": "reset_second_factor", "_selected_action": [selected], "index": "0",
        "post": "yes", "reason": "Téléphone perdu"}, follow=True)
    assert response.status_code == 200
    assert insured.totpdevice_set.exists()  # nobody's factor was reset


def test_a_staff_list_page_number_that_is_no_number_is_no_error(client, hr_admin, staff):
    # "²" passes str.isdigit() but not int(): the cached-page check must not trip on it.
    assert login_verified(client, hr_admin).get("/employer/staff/", {"page": "²"}).status_code \
        == 200
