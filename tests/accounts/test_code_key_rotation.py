"""Rotating the code-hashing key (README.md, "Operations"): codes issued before the rotation keep
working while their old key stays in CODE_HASH_KEY_FALLBACKS; new codes use the new key."""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import sys
from pathlib import Path

import pytest

from accounts import registration as reg
from accounts import services
from accounts.models import BackupCodeDevice, Membership, RegistrationCode, VerificationCode
from accounts.services import backup_codes_regenerate
from tests.conftest import LOGIN, identify, post_password, post_token

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
GENERIC = "Nous n&#x27;avons pas pu vous identifier avec ces données"
OLD = "old-key-" + "o" * 60
NEW = "new-key-" + "n" * 60


@pytest.fixture
def before(settings):
    """The key in force when the codes were issued."""
    settings.CODE_HASH_KEY = OLD
    settings.CODE_HASH_KEY_FALLBACKS = []
    return settings


def rotate(settings, *, keep_old: bool) -> None:
    settings.CODE_HASH_KEY = NEW
    settings.CODE_HASH_KEY_FALLBACKS = [OLD] if keep_old else []


def test_a_registration_code_printed_before_the_rotation_still_registers(
        client, person, terms, before):
    issued = reg.registration_code_issue(
        kind=Membership.Kind.INSURED, role=Membership.Role.INSURED, insured_person=person,
        created_by=None)
    rotate(before, keep_old=True)
    response = identify(client, person, issued.plain)
    assert response.status_code == 302 and response["Location"] == "/register/user/"


def test_without_the_old_key_the_same_code_no_longer_registers(client, person, terms, before):
    issued = reg.registration_code_issue(
        kind=Membership.Kind.INSURED, role=Membership.Role.INSURED, insured_person=person,
        created_by=None)
    rotate(before, keep_old=False)
    response = identify(client, person, issued.plain)
    assert response.status_code == 200
    assert GENERIC in response.content.decode()  # the refusal of any wrong code


def test_codes_issued_after_the_rotation_are_hashed_with_the_new_key(person, terms, before):
    rotate(before, keep_old=True)
    issued = reg.registration_code_issue(
        kind=Membership.Kind.INSURED, role=Membership.Role.INSURED, insured_person=person,
        created_by=None)
    normalized = "".join(ch for ch in issued.plain.upper() if ch.isalnum())
    expected = hmac.new(NEW.encode(), normalized.encode(), hashlib.sha256).hexdigest()
    assert RegistrationCode.objects.get(pk=issued.code.pk).code_hash == expected


def test_an_sms_or_email_code_sent_before_the_rotation_is_accepted_once(insured, before):
    row, code = services.verification_code_issue(
        purpose=VerificationCode.Purpose.MOBILE_CHANGE, user=insured, target="+41791234567")
    rotate(before, keep_old=True)
    attempt = services.verification_code_check(
        code_id=row.pk, purpose=VerificationCode.Purpose.MOBILE_CHANGE, code=code)
    assert attempt.ok
    again = services.verification_code_check(
        code_id=row.pk, purpose=VerificationCode.Purpose.MOBILE_CHANGE, code=code)
    assert not again.ok  # still single use


def test_a_wrong_code_is_still_wrong_under_every_key(insured, before):
    row, code = services.verification_code_issue(
        purpose=VerificationCode.Purpose.MOBILE_CHANGE, user=insured, target="+41791234567")
    rotate(before, keep_old=True)
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    attempt = services.verification_code_check(
        code_id=row.pk, purpose=VerificationCode.Purpose.MOBILE_CHANGE, code=wrong)
    assert not attempt.ok
    assert VerificationCode.objects.get(pk=row.pk).attempts == 1


def test_a_backup_code_from_before_the_rotation_still_logs_in(client, insured, before):
    codes = backup_codes_regenerate(user=insured)
    rotate(before, keep_old=True)
    post_password(client, insured.email)
    client.post(LOGIN, {"login_view-current_step": "token", "wizard_goto_step": "backup"})
    response = post_token(client, codes[0], step="backup")
    assert response.status_code == 302
    assert client.get("/insured/").status_code == 200
    assert BackupCodeDevice.objects.get(user=insured).codes_left() == 9


def _settings_of(**env) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(
        ("SECRET_KEY", "CODE_HASH_KEY", "ENV_FILE"))}
    clean.update(env, DEBUG="1", DJANGO_SETTINGS_MODULE="portals.settings", ENV_FILE="/dev/null")
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings as s; "
         "print(s.CODE_HASH_KEY); print(','.join(s.CODE_HASH_KEY_FALLBACKS))"],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_by_default_the_code_key_follows_secret_key_and_its_fallbacks():
    assert _settings_of(SECRET_KEY=NEW, SECRET_KEY_FALLBACKS=OLD) == [NEW, OLD]


def test_a_code_key_of_its_own_has_its_own_fallbacks():
    assert _settings_of(SECRET_KEY=NEW, SECRET_KEY_FALLBACKS=OLD, CODE_HASH_KEY="c" * 60,
                        CODE_HASH_KEY_FALLBACKS="d" * 60) == ["c" * 60, "d" * 60]
    assert _settings_of(SECRET_KEY=NEW, SECRET_KEY_FALLBACKS=OLD,
                        CODE_HASH_KEY="c" * 60) == ["c" * 60, ""]
