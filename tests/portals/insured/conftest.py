"""Fixtures of the insured portal tests: documents, pensions, saved simulations, requests."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.reauth import SESSION_KEY
from policies.models import Document, Pension, PensionPayment
from policies.services import change_request_submit
from simulations.models import Simulation
from simulations.services import service_request_from_simulation


@pytest.fixture
def certificate(insured_person):
    return insured_person.certificates.get()


def make_document(person, *, title="Certificat de prévoyance 2026", category="certificate",
                  year=2026, certificate=None, published=True, file_bytes=None, read=False):
    document = Document(
        category=category, title=title, year=year, insured_person=person, published=published,
        published_at=timezone.now() if published else None, certificate=certificate,
        first_read_at=timezone.now() if read else None,
    )
    if file_bytes is not None:
        document.file.save("lettre.pdf", ContentFile(file_bytes), save=False)
    document.save()
    return document


@pytest.fixture
def certificate_document(insured_person, certificate):
    return make_document(insured_person, certificate=certificate)


@pytest.fixture
def other_document(other_insured):
    person = other_insured.insured_person
    return make_document(person, certificate=person.certificates.get(), title="Certificat Otto")


@pytest.fixture
def pension(pensioner):
    person = pensioner.insured_person
    pension = Pension.objects.create(person=person, kind="old_age",
                                     monthly_amount=Decimal("2150.40"),
                                     start_date=date(2020, 4, 1))
    for month in (1, 2, 3):
        PensionPayment.objects.create(pension=pension, date=date(2026, month, 25),
                                      amount=Decimal("2150.40"))
    return pension


def save_simulation(person, kind="retirement"):
    return Simulation.objects.create(
        person=person, kind=kind, inputs={"retirement_age": 62, "lump_sum_share": "0.3"},
        result={"retirement_age": 62, "retirement_year": 2037, "lump_sum_share": "0.3",
                "capital_at_retirement": "400000.00", "conversion_rate": "0.062",
                "annual_pension": "17360.00", "monthly_pension": "1446.67",
                "lump_sum": "120000.00", "bvg_minimum_applied": False,
                "series": {"capital": [[2026, 51, "200000.00"], [2027, 52, "215000.00"]]},
                "options": []},
    )


@pytest.fixture
def simulation(insured):
    return save_simulation(insured.insured_person)


@pytest.fixture
def other_simulation(other_insured):
    return save_simulation(other_insured.insured_person)


@pytest.fixture
def service_request(simulation, insured):
    return service_request_from_simulation(simulation=simulation, user=insured)


@pytest.fixture
def other_service_request(other_simulation, other_insured):
    return service_request_from_simulation(simulation=other_simulation, user=other_insured)


@pytest.fixture
def change_request(insured):
    return change_request_submit(
        person=insured.insured_person, kind="address",
        data={"street": "Rue Neuve 3", "postcode": "1003", "city": "Lausanne", "country": "CH"},
        effective_date=date.today(), submitted_by=insured,
    )


@pytest.fixture
def other_change_request(other_insured):
    return change_request_submit(
        person=other_insured.insured_person, kind="address",
        data={"street": "Bahnhofstrasse 1", "postcode": "8001", "city": "Zürich",
              "country": "CH"},
        effective_date=date.today(), submitted_by=other_insured,
    )


def reauthenticate(client) -> None:
    session = client.session
    session[SESSION_KEY] = time.time()
    session.save()
