"""Backup codes: ten, single-use, stored as keyed hashes, replaced as a whole."""

from __future__ import annotations

import pytest

from accounts.models import BackupCode, BackupCodeDevice
from accounts.services import backup_codes_regenerate


@pytest.mark.django_db
def test_regenerating_replaces_every_old_code(insured):
    old = backup_codes_regenerate(user=insured)
    new = backup_codes_regenerate(user=insured)
    device = BackupCodeDevice.objects.get(user=insured)
    assert BackupCode.objects.count() == 10
    assert not device.verify_token(old[0])
    assert device.verify_token(new[0])


@pytest.mark.django_db
def test_a_code_is_accepted_typed_in_capitals_or_without_the_dash_but_only_once(insured):
    codes = backup_codes_regenerate(user=insured)
    device = BackupCodeDevice.objects.get(user=insured)
    assert device.verify_token(codes[0].replace("-", "").upper())
    assert not device.verify_token(codes[0])
    assert device.codes_left() == 9


@pytest.mark.django_db
def test_codes_are_random_and_never_stored_in_clear(insured):
    codes = backup_codes_regenerate(user=insured)
    other = backup_codes_regenerate(user=insured)
    assert not set(codes) & set(other)
    for row in BackupCode.objects.all():
        assert len(row.code_hash) == 64
        assert all(code.replace("-", "") not in row.code_hash for code in other)
