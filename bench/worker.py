"""A Celery worker for bench/run_all.py whose calls to Twilio's API go to a fake on loopback.

    BENCH_TWILIO_URL=http://127.0.0.1:PORT python bench/worker.py [--concurrency 2]

Everything else is the production worker: the same tasks, the Redis broker, the Twilio client
and its HTTP requests; only the host of the URL changes (https://api.twilio.com -> the fake).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    fake = os.environ["BENCH_TWILIO_URL"].rstrip("/")
    from twilio.http.http_client import TwilioHttpClient

    original = TwilioHttpClient.request

    def request(self, method, url, *args, **kwargs):
        return original(self, method, url.replace("https://api.twilio.com", fake, 1),
                        *args, **kwargs)

    TwilioHttpClient.request = request
    from portals.celery import app

    concurrency = sys.argv[sys.argv.index("--concurrency") + 1] if "--concurrency" in sys.argv \
        else "2"
    app.worker_main(["worker", "--loglevel=warning", f"--concurrency={concurrency}",
                     "--pool=prefork", "--without-gossip", "--without-mingle",
                     "--without-heartbeat"])


if __name__ == "__main__":
    main()
