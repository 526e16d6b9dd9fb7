"""The production smoke journey of .ci/prod-smoke, over real HTTP against gunicorn:

1. /healthz?workers=1 answers 200 with at least one Celery worker;
2. the demo insured person logs in with password + authenticator code (TOTP), accepts the terms;
3. asks (profile > mobile number, after re-entering the password) for an SMS code: the real
   worker hands it to the fake Twilio endpoint, whose file this script polls; the code typed
   back confirms the number;
4. reaches the insured portal (200, "Bonjour Claire");
5. the worker's log has JSON lines carrying the request id of the request that enqueued the SMS.

    python .ci/smoke_journey.py --base http://127.0.0.1:PORT --sms-file F --worker-log F

Loopback stands in for the TLS proxy of production: every request says X-Forwarded-Proto:
https, and the cookies (Secure in production) are kept by this script, not by a browser policy.
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.cookies import SimpleCookie
from pathlib import Path

from django_otp.oath import totp

PASSWORD = "Alpina-Demo-2026"
TOTP_KEY = base64.b32decode("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")  # every demo login's secret
LOGIN = "insured@demo.ch"
MOBILE = "079 123 45 67"
MOBILE_E164 = "+41791234567"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Just enough of a browser: cookies, redirects, CSRF token from the form."""

    def __init__(self, base: str):
        if not base.startswith(("http://127.0.0.1:", "http://localhost:")):
            raise SystemExit(f"--base must be http:// on loopback, not {base!r}")
        self.base = base.rstrip("/")
        self.origin = "https://" + urllib.parse.urlsplit(self.base).netloc
        self.cookies: dict[str, str] = {}
        self.opener = urllib.request.build_opener(NoRedirect)
        self.last_url = ""

    def _keep_cookies(self, headers) -> None:
        for header in headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def request(self, path: str, data: dict | None = None, headers: dict | None = None,
                follow: bool = True) -> tuple[int, str, dict]:
        url = path if path.startswith("http") else self.base + path
        for _ in range(10):
            body = urllib.parse.urlencode(data).encode() if data is not None else None
            request = urllib.request.Request(  # noqa: S310 (http:// on loopback, checked above)
                url, data=body, method="POST" if body else "GET")
            request.add_header("X-Forwarded-Proto", "https")
            request.add_header("Accept-Language", "fr-CH,fr")
            if body is not None:
                request.add_header("Origin", self.origin)
            if self.cookies:
                request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
            for key, value in (headers or {}).items():
                request.add_header(key, value)
            try:
                response = self.opener.open(request, timeout=30)
            except urllib.error.HTTPError as exc:
                response = exc
            self._keep_cookies(response.headers)
            status, text = response.status, response.read().decode("utf-8", "replace")
            answer_headers = dict(response.headers.items())
            location = response.headers.get("Location")
            if follow and status in (301, 302, 303) and location:
                # Behind the proxy an absolute https:// Location would come back through it.
                parts = urllib.parse.urlsplit(location)
                url = self.base + parts.path + (f"?{parts.query}" if parts.query else "")
                data, headers = None, None
                continue
            self.last_url = url
            return status, text, answer_headers
        raise AssertionError(f"too many redirects from {path}")

    @staticmethod
    def csrf(page: str) -> str:
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if match is None:
            raise AssertionError("no CSRF token on the page")
        return match.group(1)


def check(condition: bool, what: str, detail: str = "") -> None:
    if not condition:
        print(f"FAIL: {what}\n{detail[:2000]}", file=sys.stderr)
        raise SystemExit(1)
    print(f"ok: {what}")


def wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    check(False, what, f"nothing within {seconds:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--sms-file", type=Path, required=True)
    parser.add_argument("--worker-log", type=Path, required=True)
    args = parser.parse_args()
    browser = Browser(args.base)

    # 1. The whole stack answers, workers included.
    def healthy():
        status, text, _ = browser.request("/healthz?workers=1")
        return (status, json.loads(text)) if status == 200 else None

    status, health = wait_for(healthy, 30, "/healthz?workers=1 answers 200")
    check(health["checks"] == {"database": "ok", "cache": "ok", "broker": "ok", "workers": "ok"}
          and health["workers"] >= 1, f"/healthz?workers=1: 200 with {health.get('workers')} "
          "worker(s)", json.dumps(health))

    # 2. Login: password, then the authenticator code, then the terms of use.
    status, page, _ = browser.request("/account/login/")
    check(status == 200 and "auth-username" in page, "login page")
    status, page, _ = browser.request("/account/login/", {
        "csrfmiddlewaretoken": browser.csrf(page), "login_view-current_step": "auth",
        "auth-username": LOGIN, "auth-password": PASSWORD})
    check(status == 200 and "token-otp_token" in page, "password accepted, code asked", page)
    status, page, _ = browser.request("/account/login/", {
        "csrfmiddlewaretoken": browser.csrf(page), "login_view-current_step": "token",
        "token-otp_token": f"{totp(TOTP_KEY):06d}"})
    if browser.last_url.startswith(args.base + "/terms/"):
        status, page, _ = browser.request(browser.last_url, {
            "csrfmiddlewaretoken": browser.csrf(page), "accept": "yes",
            "next": html.unescape(re.search(r'name="next" value="([^"]*)"', page).group(1))})
    check(status == 200 and "/insured/" in browser.last_url,
          f"TOTP login lands on the insured portal ({browser.last_url})", page)

    # 3. An SMS code through the real worker and the fake Twilio.
    status, page, _ = browser.request("/profile/mobile/")
    if "/account/confirm/" in browser.last_url:  # re-authentication for a sensitive change
        status, page, _ = browser.request(browser.last_url, {
            "csrfmiddlewaretoken": browser.csrf(page), "password": PASSWORD})
    check(status == 200 and browser.last_url.endswith("/profile/mobile/"),
          "mobile number page after re-entering the password", page)
    request_id = "smoke-" + uuid.uuid4().hex
    sent_at = time.monotonic()
    status, page, answer = browser.request(
        "/profile/mobile/", {"csrfmiddlewaretoken": browser.csrf(page), "number": MOBILE},
        headers={"X-Request-ID": request_id})
    check(status == 200 and browser.last_url.endswith("/profile/mobile/confirm/"),
          "SMS code requested", page)

    def sms():
        for line in args.sms_file.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            found = re.search(r"\b(\d{6})\b", record["body"])
            if record["to"] == MOBILE_E164 and found:
                return found.group(1)
        return None

    code = wait_for(sms, 20, "the fake Twilio receives the SMS from the worker")
    print(f"ok: SMS delivered through the worker in {time.monotonic() - sent_at:.2f} s")
    status, page, _ = browser.request("/profile/mobile/confirm/", {
        "csrfmiddlewaretoken": browser.csrf(page), "code": code})
    check(status == 200 and browser.last_url.endswith("/profile/"),
          "the SMS code confirms the new number", page)

    # 4. The portal page.
    status, page, headers = browser.request("/insured/")
    check(status == 200 and "<h1>Bonjour Claire</h1>" in page,
          "insured portal: 200, <h1>Bonjour Claire</h1>", page)
    check(re.fullmatch(r"[0-9a-f]{32}", headers.get("X-Request-ID", "")) is not None,
          "responses carry a generated X-Request-ID")

    # 5. The worker's JSON log lines carry the id of the request that enqueued the SMS.
    def tagged():
        lines = [json.loads(line) for line in args.worker_log.read_text().splitlines()
                 if line.startswith("{")]
        return [entry for entry in lines if entry.get("request_id") == request_id]

    entries = wait_for(tagged, 10, f"worker log lines with request_id {request_id}")
    check(all({"time", "level", "logger", "message"} <= entry.keys() for entry in entries),
          f"{len(entries)} JSON worker line(s) with the request id, e.g. "
          f"{entries[0]['logger']}: {entries[0]['message'][:60]}")


if __name__ == "__main__":
    main()
