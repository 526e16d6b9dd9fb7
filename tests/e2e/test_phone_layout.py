"""At 375 px: the login's SMS step keeps its buttons whole and stacked, and the 404 page fits
the screen. Screenshots: test-artifacts/screenshots/phone-*.png."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.plugins.phonenumber.models import PhoneDevice

from tests.conftest import PASSWORD
from tests.e2e.conftest import shot

pytestmark = pytest.mark.django_db(transaction=True)

# Buttons and button-like links of <main> on a phone: each inside the viewport and stacked one
# per row at full width (no button squeezed beside another, no link dangling on its own line).
BUTTONS_OUT_OF_PLACE = """() => {
  const vw = document.documentElement.clientWidth;
  const out = [];
  if (document.documentElement.scrollWidth > vw) out.push('the page scrolls sideways');
  const buttons = [...document.querySelectorAll(
    'main .actions .button, main .actions button, main .form-secondary .button')];
  for (const b of buttons) {
    const r = b.getBoundingClientRect();
    if (!r.width) continue;
    const label = b.innerText.trim();
    if (r.left < -0.5 || r.right > vw + 0.5) out.push(`"${label}" leaves the screen`);
    const row = b.closest('.actions, p, form').getBoundingClientRect();
    if (r.width < row.width - 2) out.push(`"${label}" does not take the full width (${r.width} of ${row.width})`);
  }
  return out;
}"""


def test_the_sms_step_buttons_fit_a_phone(phone_page, insured):
    TOTPDevice.objects.filter(user=insured).delete()
    PhoneDevice.objects.create(user=insured, name="default", number="+41791234567",
                               method="sms", confirmed=True)
    phone_page.goto("/account/login/")
    phone_page.fill("input[name='auth-username']", insured.email)
    phone_page.fill("input[name='auth-password']", PASSWORD)
    phone_page.click("button[data-action='next']")
    phone_page.wait_for_selector("text=Nous vous avons envoyé un code par SMS")
    shot(phone_page, "phone-login-sms-375")
    assert phone_page.evaluate(BUTTONS_OUT_OF_PLACE) == []


@pytest.mark.parametrize("language", ["fr", "de"])
def test_the_404_page_fits_a_phone(phone_page, insured, language):
    from tests.e2e.conftest import login

    login(phone_page, insured, PASSWORD)
    phone_page.wait_for_url("**/insured/")
    phone_page.context.add_cookies([{"name": "django_language", "value": language,
                                     "url": phone_page.url}])
    phone_page.goto("/insured/documents/999999/")
    shot(phone_page, f"phone-404-375-{language}")
    assert phone_page.evaluate(BUTTONS_OUT_OF_PLACE) == []
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the 404 page scrolls sideways ({width} px)"
