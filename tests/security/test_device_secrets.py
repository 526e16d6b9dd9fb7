"""Issue item 5: the admin showed TOTP keys (change page) and served their QR codes (/config/,
/qrcode/). Device admins are gone; the user page names each device, never its secret."""

from __future__ import annotations

from base64 import b32encode
from binascii import unhexlify

import pytest
from django.conf import settings
from django_otp.plugins.otp_static.models import StaticDevice
from two_factor.plugins.phonenumber.models import PhoneDevice

from tests.conftest import login_verified

pytestmark = pytest.mark.django_db


def test_sensitive_device_data_is_hidden_by_the_library_too():
    assert settings.OTP_ADMIN_HIDE_SENSITIVE_DATA is True


@pytest.mark.parametrize("persona", ["support", "superuser"])
def test_no_device_page_or_qr_code_in_the_admin(client, request, insured, persona):
    totp = insured.totpdevice_set.get()
    phone = PhoneDevice.objects.create(user=insured, name="backup", number="+41791234567",
                                       method="sms", confirmed=True)
    static = StaticDevice.objects.create(user=insured, name="backup")
    login_verified(client, request.getfixturevalue(persona))
    for url in [
        "/admin/otp_totp/totpdevice/", f"/admin/otp_totp/totpdevice/{totp.pk}/change/",
        f"/admin/otp_totp/totpdevice/{totp.pk}/config/",
        f"/admin/otp_totp/totpdevice/{totp.pk}/qrcode/",
        "/admin/phonenumber/phonedevice/", f"/admin/phonenumber/phonedevice/{phone.pk}/change/",
        "/admin/otp_static/staticdevice/", f"/admin/otp_static/staticdevice/{static.pk}/change/",
        "/admin/accounts/backupcodedevice/",
    ]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert totp.key not in response.content.decode()


def test_the_user_page_lists_devices_without_their_keys(client, support, insured):
    totp = insured.totpdevice_set.get()
    phone = PhoneDevice.objects.create(user=insured, name="backup", number="+41791234567",
                                       method="sms", confirmed=True)
    page = login_verified(client, support).get(
        f"/admin/accounts/user/{insured.pk}/change/").content.decode()
    assert "Application d&#x27;authentification · default" in page
    assert "SMS · backup" in page
    for secret in (totp.key, b32encode(unhexlify(totp.key)).decode(), phone.key,
                   "otpauth://"):
        assert secret not in page
