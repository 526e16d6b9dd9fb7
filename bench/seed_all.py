"""Data of the whole-application benchmark (bench/run_all.py), in one fresh database.

- the bare baseline view's one row and the insured person of bench/load.py (certificates, 30
  documents, 10 requests from simulations, 5 personal-data changes);
- a company with 20,000 staff and its HR admin (bench/employer.py's people);
- 100,000 broker policies in 20 agencies of 5,000 (bench/broker.py's SQL), an agency admin of
  the first and a broker of the second with 50 policies to look up;
- published terms that every bench user accepted, a second factor and a verified session each.

Django must be set up against the bench database before `seed()` runs.
"""

from __future__ import annotations

import random
import time
from datetime import date
from decimal import Decimal

STAFF = 20_000
LOOKUP_NUMBERS = 50


def verified_session(user) -> str:
    """A logged-in, second-factor-verified session (what a real login leaves behind), written
    straight into the session store: the session key for the client's cookie."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.session_store import SessionStore
    from accounts.signals import SESSION_AUTH_AT, SESSION_VERIFIED_KEY

    device = TOTPDevice.objects.filter(user=user).first() or TOTPDevice.objects.create(
        user=user, name="default", confirmed=True)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "accounts.backends.EmailOrAhvBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session["last_seen"] = int(time.time())
    session[SESSION_AUTH_AT] = int(time.time())
    session.set_expiry(settings.SESSION_COOKIE_AGE)
    session.create()
    # Marked as verified under this very key, or the middleware would cycle it on the first
    # request (as after a real login) and the client's cookie would be stale.
    session[SESSION_VERIFIED_KEY] = session.session_key
    session.save()
    return session.session_key


def _staff(contract, size: int) -> None:
    from stdnum import ean

    from policies.models import InsuredPerson

    rng = random.Random(10)  # noqa: S311 - bench data
    names = ["Favre", "Müller", "Rossi", "Meier", "Bonvin", "Keller", "Rochat", "Schmid",
             "Weber", "Huber", "Gerber", "Frei", "Moser", "Baumann", "Rey", "Perret"]
    people = []
    for index in range(size):
        body = "756" + str(20_000_000 + index) + "0"
        digits = body + ean.calc_check_digit(body)
        people.append(InsuredPerson(
            contract=contract,
            ahv_number=f"{digits[:3]}.{digits[3:7]}.{digits[7:11]}.{digits[11:]}",
            first_name=rng.choice(["Anne", "Luc", "Marco", "Sara", "Jonas", "Lea"]),
            last_name=f"{rng.choice(names)}{index % 97}",
            birth_date=date(1960 + index % 40, 1 + index % 12, 1 + index % 28),
            sex="F" if index % 2 else "M", annual_salary=Decimal(50000 + index % 90000),
            entry_date=date(2010 + index % 15, 1, 1), personnel_number=f"P{index:06d}",
            status="left" if index % 17 == 0 else "active"))
    InsuredPerson.objects.bulk_create(people, batch_size=2000)


def seed() -> dict:
    """Everything the page measurements need; returns the cookies and the lookup numbers."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Membership, Terms, TermsAcceptance, User
    from bench import broker, load
    from policies.models import Agency, Contract, Employer, Mandate, Plan

    began = time.perf_counter()
    Terms.objects.create(version=1, language="fr", title="Conditions", body="Texte",
                         published_at=timezone.now())
    insured_cookie = load.seed()  # the first person: also the baseline view's row
    insured = User.objects.get(email="bench@example.ch")

    plan = Plan.objects.get(code="bench")
    employer = Employer.objects.create(name="Bench 20000 SA", uid="CHE-105.805.081")
    contract = Contract.objects.create(employer=employer, number="C-20000", plan=plan,
                                       start_date=date(2015, 1, 1))
    _staff(contract, STAFF)
    hr = User.objects.create_user("hr@bench.ch", "Bench-Password-9")
    Membership.objects.create(user=hr, kind="employer", role="admin", employer=employer)

    broker.load_policies()
    big = Agency.objects.order_by("pk").first()
    second = Agency.objects.order_by("pk")[1]
    admin = User.objects.create_user("agency@bench.ch", "Bench-Password-9")
    Membership.objects.create(user=admin, kind="broker", role="agency_admin", agency=big)
    agent = User.objects.create_user("broker@bench.ch", "Bench-Password-9")
    Membership.objects.create(user=agent, kind="broker", role="broker", agency=second)
    numbers = list(Mandate.objects.filter(agency=second).order_by("policy_id")
                   .values_list("policy__number", flat=True)[:LOOKUP_NUMBERS])
    Mandate.objects.filter(agency=second, policy__number__in=numbers).update(broker=agent)

    users = {"insured": insured, "hr": hr, "agency": admin, "broker": agent}
    for user in users.values():
        TermsAcceptance.objects.get_or_create(user=user, version=1)
    cookies = {name: verified_session(user) for name, user in users.items()
               if name != "insured"}
    # load.seed's session predates the terms acceptance: the gate reads it on the first page.
    cookies["insured"] = insured_cookie
    with connection.cursor() as cursor:
        # Statistics and the visibility map a production database has after autovacuum.
        cursor.execute("VACUUM ANALYZE")
    return {"cookies": cookies, "numbers": numbers, "seconds": time.perf_counter() - began,
            "portfolio": Mandate.objects.filter(agency=big).count(),
            "staff": STAFF}
