"""The demo speaks every portal language: real, versioned terms of use in four languages, and the
contacts and plan names support typed, translated."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import translation

from accounts.models import SupportContact, Terms
from policies.models import Plan

pytestmark = pytest.mark.django_db

# What terms of use must cover, per language: scope, data protection (nFADP), the user's
# security duties, liability, changes.
TOPICS = {
    "fr": ["champ d'application", "protection des données", "LPD", "Devoirs de diligence",
           "Responsabilité", "Modifications"],
    "de": ["Geltungsbereich", "Datenschutz", "DSG", "Sorgfaltspflichten", "Haftung",
           "Änderungen"],
    "it": ["campo d'applicazione", "Protezione dei dati", "LPD", "Obblighi di diligenza",
           "Responsabilità", "Modifiche"],
    "en": ["scope", "Data protection", "nFADP", "security duties", "Liability", "Changes"],
}


def test_the_demo_has_real_terms_and_translated_contacts_and_plans(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    for language, topics in TOPICS.items():
        terms = Terms.objects.get(version=1, language=language)
        assert terms.published_at is not None
        assert terms.body.startswith(("Version 1", "Versione 1"))
        for topic in topics:
            assert topic in terms.body, (language, topic)
        assert len(terms.body) > 3000
    contact = SupportContact.objects.get(kind="insured")
    with translation.override("de"):
        assert contact.name_display == "Kundencenter" and "Uhr" in contact.hours_display
    with translation.override("it"):
        assert Plan.objects.get(code="bvg-minimum").name_display == "Piano LPP minimo"
    with translation.override("fr"):
        assert contact.name_display == "Centre clients"
