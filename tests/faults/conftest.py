"""Fault injection: real workers, a Redis of our own, gunicorn, a fake Twilio on loopback."""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
import requests
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.plugins.phonenumber.models import PhoneDevice

from tests.conftest import PASSWORD
from tests.stack import RedisServer, WebServer, Worker


@pytest.fixture
def workers(transactional_db, tmp_path):
    """Start real Celery workers with `workers(name, **Worker options)`; while the test runs,
    tasks it queues go to Redis instead of running eagerly. All are stopped at the end."""
    from portals.celery import app

    started: list[Worker] = []
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    app.control.purge()  # nothing left over from an earlier test

    def start(name: str = "worker", **options) -> Worker:
        worker = Worker(tmp_path / f"{name}.log", **options).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
    app.conf.task_always_eager = previous


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path / "redis.log", tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def web_server(transactional_db, tmp_path):
    """Start gunicorn with production settings with `web_server(**env)`."""
    started: list[WebServer] = []

    def start(**env) -> WebServer:
        server = WebServer(tmp_path / f"web{len(started)}.log", env=env).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def sms_user(user, number: str = "+41791234567"):
    """The persona with an SMS phone as only second factor."""
    TOTPDevice.objects.filter(user=user).delete()
    PhoneDevice.objects.filter(user=user).delete()
    PhoneDevice.objects.create(user=user, name="default", number=number, method="sms",
                               confirmed=True)
    return user


UNDELIVERED = "Le SMS n'a pas pu être envoyé"
SENT_TEXT = "Nous vous avons envoyé un code par SMS"


def code_in(text: str) -> str:
    return re.search(r"\b(\d{6})\b", text).group(1)


# --- a browser against the web server -----------------------------------------------------------

class Browser:
    """A person's browser against the web server: cookies, and the CSRF token on each post."""

    def __init__(self, server):
        self.server = server
        self.session = requests.Session()

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.server.url(path), allow_redirects=False, timeout=30)

    def post(self, path: str, data: dict) -> requests.Response:
        token = self.session.cookies.get("csrftoken")
        return self.session.post(self.server.url(path), allow_redirects=False, timeout=30,
                                 data={"csrfmiddlewaretoken": token, **data})

    def password(self, email: str) -> requests.Response:
        self.get("/account/login/")
        return self.post("/account/login/", {"login_view-current_step": "auth",
                                             "auth-username": email, "auth-password": PASSWORD})

    def token(self, code: str) -> requests.Response:
        return self.post("/account/login/", {"login_view-current_step": "token",
                                             "token-otp_token": code})

    def login(self, user) -> None:
        """Password and authenticator code: logged in with the second factor."""
        from tests.conftest import totp_now

        assert self.password(user.email).status_code == 200
        response = self.token(totp_now(user))
        assert response.status_code == 302, response.text


# --- Twilio on loopback ---------------------------------------------------------------------------

class FakeTwilio:
    """Twilio's Messages API over real HTTP on loopback; the answer depends on the number."""

    RATE_LIMITED = "+41790000429"  # 429 the first time, then accepted
    BROKEN = "+41790000500"  # 500 every time
    SLOW = "+41790000408"  # accepted, but only after SLOW_SECONDS (the client gave up before)
    SLOW_SECONDS = 3.0

    def __init__(self):
        self.calls: list[dict[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                fake.calls.append({"to": form.get("To", ""), "body": form.get("Body", "")})
                earlier = sum(1 for call in fake.calls if call["to"] == form.get("To"))
                status, payload = fake.answer(form.get("To", ""), earlier)
                body = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client stopped waiting (the timeout case)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, to: str, nth: int) -> tuple[int, dict]:
        if to == self.RATE_LIMITED and nth == 1:
            return 429, {"code": 20429, "message": "Too Many Requests", "status": 429}
        if to == self.BROKEN:
            return 500, {"code": 20500, "message": "Internal Server Error", "status": 500}
        if to == self.SLOW:
            time.sleep(self.SLOW_SECONDS)
        return 201, {"sid": f"SM{len(self.calls):032d}", "status": "queued"}

    def calls_to(self, number: str) -> list[dict[str, str]]:
        return [call for call in self.calls if call["to"] == number]

    def __enter__(self) -> FakeTwilio:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


TWILIO_WORKER_ENV = {
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "secret-token",
    "TWILIO_FROM_NUMBER": "+41215556600",
    "FAULT_TWILIO_TIMEOUT": "1",
}


# --- employer files of mutations ------------------------------------------------------------------

def salary_file(people) -> bytes:
    """A CSV file with one salary change per person, as an employer uploads it."""
    from django.utils import timezone

    effective = timezone.localdate().replace(day=1).strftime("%d.%m.%Y")
    lines = ["Type;Numéro AVS;Date d'effet;Salaire annuel (CHF)"]
    lines += [f"salaire;{person.ahv_number};{effective};{90000 + index}"
              for index, person in enumerate(people)]
    return ("\n".join(lines) + "\n").encode()


def staff(employer, count: int):
    from tests import factories as f

    contract = f.ContractFactory(employer=employer)
    return f.InsuredPersonFactory.create_batch(count, contract=contract)


def ready_batch(employer, user, count: int = 3):
    """A checked file of `count` valid rows, waiting for the employer's confirmation."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from policies import services

    upload = SimpleUploadedFile("mutations.csv", salary_file(staff(employer, count)))
    created = services.batch_create(employer=employer, user=user, upload=upload)
    batch = services.batch_validate(batch_id=created.pk)
    assert batch.status == "ready" and batch.valid_count == count
    return batch


ENTRY_HEADER = ("Type;Numéro AVS;Nom;Prénom;Date de naissance;Sexe (F/M);Date d'effet;"
                "Salaire annuel (CHF);Taux d'occupation (%)")


def entries_file(count: int) -> bytes:
    """A CSV file announcing `count` new employees (nobody in the database needed)."""
    from django.utils import timezone

    from tests.factories import next_ahv

    effective = timezone.localdate().replace(day=1).strftime("%d.%m.%Y")
    lines = [ENTRY_HEADER] + [
        f"entrée;{next_ahv()};Neuve;Nina{index};12.04.1990;F;{effective};72000;80"
        for index in range(count)]
    return ("\n".join(lines) + "\n").encode()


def upload(client, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/employer/uploads/",
                       {"file": SimpleUploadedFile("mutations.csv", content)})
