"""Browser tests in real Chromium (Debian's), driven by Playwright against live_server.

Skipped, with a plain reason, when no Chromium is installed; `make test` says so up front.
Screenshots go to test-artifacts/screenshots/ - look at them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django_otp.oath import totp

from tests.e2e.chromium_check import chromium_path

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)
            if chromium_path() is None:
                item.add_marker(pytest.mark.skip(reason="no Chromium found: browser tests skipped"))


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server, settings):
    settings.DEBUG = False
    context = chromium.new_context(viewport=DESKTOP, locale="fr-CH", base_url=live_server.url)
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


@pytest.fixture
def phone_page(chromium, live_server):
    context = chromium.new_context(viewport=PHONE, locale="fr-CH", base_url=live_server.url,
                                   is_mobile=True, has_touch=True)
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


def shot(page, name: str) -> Path:
    """Full-page screenshot in test-artifacts/screenshots/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """axe-core (bundled by axe-playwright-python) run in the page; serious/critical only."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in results.response["violations"]
        if v["impact"] in impacts
    ]


def current_totp(user) -> str:
    device = user.totpdevice_set.get(name="default")
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def login(page, user, password: str, *, username: str | None = None) -> None:
    """The real login: username and password, then the authenticator code."""
    page.goto("/account/login/")
    page.fill("input[name='auth-username']", username or user.email)
    page.fill("input[name='auth-password']", password)
    page.click("button[data-action='next']")
    page.fill("input[name='token-otp_token']", current_totp(user))
    page.click("button[data-action='next']")
