"""The client centre's lost-phone call, in Chromium: the agent logs in to the admin with TOTP,
finds the person by AHV number from the index's search box, opens the person page, resets the
second factor with a reason and downloads the letter; the person re-enrols with the letter's
code and reaches the portal. Screenshots at 1280 and 375 px."""

from __future__ import annotations

import base64
import re

import pytest
from django_otp.oath import totp

from accounts.models import AdminAudit, SecurityEvent
from tests.conftest import PASSWORD
from tests.e2e.conftest import DESKTOP, PHONE, login, shot
from tests.pdf_text import pdf_pages_text

pytestmark = pytest.mark.django_db(transaction=True)

CODE = re.compile(r"\b([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\b")


def _both_widths(page, name: str) -> None:
    """A screenshot at 1280 px and one at 375 px, and no sideways scrolling of the page
    itself at 375 px (wide tables scroll inside their own box)."""
    shot(page, f"{name}-1280")
    page.set_viewport_size(PHONE)
    shot(page, f"{name}-375")
    width = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size(DESKTOP)
    assert width <= PHONE["width"] + 1, f"{name} scrolls sideways at 375 px ({width} px)"


def _axe_on_content(page) -> list:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context="#content")
    return [(v["id"], [n["target"] for n in v["nodes"]][:3])
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def test_agent_resets_a_lost_phone_and_the_person_re_enrols_with_the_letter(
        page, chromium, live_server, agent, insured):
    person = insured.insured_person
    person.street, person.postcode, person.city = "Chemin des Vignes 4", "1009", "Pully"
    person.save()

    # The agent: login with the authenticator, the admin index with its search box.
    login(page, agent, PASSWORD)
    page.wait_for_load_state()
    page.goto("/admin/")
    search = page.get_by_label("Numéro AVS (avec ou sans points), nom, e-mail, numéro de police "
                               "ou de personnel")
    assert search.is_visible()
    _both_widths(page, "support-admin-index")

    search.fill(person.ahv_number.replace(".", ""))
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_url("**/admin/accounts/user/find/?q=*")
    assert page.get_by_text("1 personne trouvée.").is_visible()
    assert _axe_on_content(page) == []
    _both_widths(page, "support-person-search")

    page.get_by_role("link", name=f"{person.last_name} {person.first_name}").click()
    page.wait_for_url(f"**/admin/accounts/user/{insured.pk}/person/")
    assert page.get_by_role("heading", name="Claire Favre").is_visible()
    assert page.get_by_text(insured.email).first.is_visible()
    assert page.get_by_text("Application d'authentification").is_visible()
    assert _axe_on_content(page) == []
    _both_widths(page, "support-person-page")

    # Reset with a reason; the letter downloads at once.
    page.get_by_role("link", name="Réinitialiser le deuxième facteur").click()
    page.get_by_label("Motif (obligatoire, enregistré dans le journal)").fill(
        "Appel du 3.2., téléphone perdu, identité vérifiée.")
    _both_widths(page, "support-person-reset")
    with page.expect_download() as download:
        page.get_by_role("button", name="Réinitialiser et télécharger la lettre").click()
    assert download.value.suggested_filename.endswith(".pdf")
    with open(download.value.path(), "rb") as handle:
        text = " ".join(pdf_pages_text(handle.read()))
    code = CODE.search(text).group(1)
    assert "Chemin des Vignes 4" in text and "1009 Pully" in text  # for the window envelope

    page.goto(f"/admin/accounts/user/{insured.pk}/person/")
    assert page.get_by_text("Aucun deuxième facteur.").is_visible()
    assert page.get_by_text("La lettre avec le code de réactivation a été téléchargée",
                            exact=False).is_visible()
    _both_widths(page, "support-person-after-reset")
    assert AdminAudit.objects.filter(actor=agent, name="person_reset_factor").exists()
    assert AdminAudit.objects.filter(actor=agent, action="search").exists()

    # The person: password, then the letter's code, then a new authenticator.
    context = chromium.new_context(viewport=DESKTOP, locale="fr-CH", base_url=live_server.url)
    person_page = context.new_page()
    person_page.set_default_timeout(10_000)
    person_page.goto("/account/login/")
    person_page.fill("input[name='auth-username']", insured.email)
    person_page.fill("input[name='auth-password']", PASSWORD)
    person_page.click("button[data-action='next']")
    person_page.wait_for_url("**/account/two_factor/reenrol/")
    person_page.get_by_label("Code", exact=False).first.fill(code)
    person_page.get_by_role("button", name="Continuer").click()
    person_page.wait_for_url("**/account/two_factor/setup/")
    while person_page.locator("code.secret").count() == 0:
        generator = person_page.locator("input[value='generator']")
        if generator.count():
            generator.check()
        person_page.click("button[data-action='next']")
    secret = person_page.locator("code.secret").inner_text().replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    person_page.locator("input[name$='-token']").fill(f"{totp(key):06d}")
    shot(person_page, "support-reenrol-setup-1280")
    person_page.click("button[data-action='next']")
    person_page.goto("/insured/")
    person_page.wait_for_url("**/insured/")
    assert person.first_name in person_page.content()
    shot(person_page, "support-reenrol-portal-1280")
    context.close()
    assert SecurityEvent.objects.filter(user=insured, kind="code_redeemed",
                                        detail__purpose="reenrol").exists()
