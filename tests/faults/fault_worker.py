"""`python -m tests.faults.fault_worker -A portals worker ...`: a Celery worker with faults
injected from the environment, then the ordinary `celery` command line. Test code only.

FAULT_TWILIO_URL      Twilio's API is called at this loopback address (a fake server the test
                      runs) instead of https://api.twilio.com, over real HTTP;
FAULT_TWILIO_TIMEOUT  seconds, instead of the client's 10 s (a timeout test need not wait 10 s);
FAULT_DIE_AFTER_ROWS  the worker SIGKILLs itself while checking that row of a mutation file;
FAULT_DIE_AFTER_SEND  the worker SIGKILLs itself once the gateway accepted an SMS, before the
                      outcome is recorded (the SMS has left, the task is not acknowledged);
FAULT_VISIBILITY_TIMEOUT  seconds after which Redis hands an unacknowledged task to another
                      worker (the default is one hour).
"""

from __future__ import annotations

import os
import signal
import sys


def _die() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def _fake_twilio(base_url: str, timeout: float | None) -> None:
    from twilio.http.http_client import TwilioHttpClient

    original = TwilioHttpClient.request

    def request(self, method, url, *args, **kwargs):
        url = url.replace("https://api.twilio.com", base_url.rstrip("/"))
        if timeout is not None:
            kwargs["timeout"] = timeout
        return original(self, method, url, *args, **kwargs)

    TwilioHttpClient.request = request


def _die_after_rows(limit: int) -> None:
    from policies import mutations

    original = mutations.MutationChecker.check
    seen = {"rows": 0}

    def check(self, *args, **kwargs):
        seen["rows"] += 1
        if seen["rows"] > limit:
            print(f"FAULT: worker killed at row {seen['rows']}", flush=True)
            _die()
        return original(self, *args, **kwargs)

    mutations.MutationChecker.check = check


def _die_after_send() -> None:
    from accounts import delivery

    original = delivery.send_sms

    def send_sms(**kwargs):
        sent = original(**kwargs)
        print(f"FAULT: worker killed after sending to {kwargs['to']}", flush=True)
        _die()
        return sent

    delivery.send_sms = send_sms


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portals.settings")
    django.setup()
    if os.environ.get("FAULT_TWILIO_URL"):
        timeout = os.environ.get("FAULT_TWILIO_TIMEOUT")
        _fake_twilio(os.environ["FAULT_TWILIO_URL"], float(timeout) if timeout else None)
    if os.environ.get("FAULT_DIE_AFTER_ROWS"):
        _die_after_rows(int(os.environ["FAULT_DIE_AFTER_ROWS"]))
    if os.environ.get("FAULT_DIE_AFTER_SEND"):
        _die_after_send()
    from portals.celery import app

    if os.environ.get("FAULT_VISIBILITY_TIMEOUT"):
        app.conf.broker_transport_options = {
            "visibility_timeout": int(os.environ["FAULT_VISIBILITY_TIMEOUT"]),
            # look for such tasks every second, not every 100 s
            "unacked_restore_interval": 1, "unacked_restore_throttle": 1}
    from celery.__main__ import main as celery_main

    sys.argv = ["celery", *sys.argv[1:]]
    celery_main()


if __name__ == "__main__":
    main()
