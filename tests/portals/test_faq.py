"""FAQ entries on the help pages: the right portal's, in the reader's language, as text (never
HTML), from the shared cache (one cache read, no query), fresh after a save."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import FaqEntry

pytestmark = pytest.mark.django_db


def entry(portal: str, question: str, answer: str = "Réponse.", **texts) -> FaqEntry:
    return FaqEntry.objects.create(portal=portal, question=question, answer=answer,
                                   published=True, order=1, **texts)


def test_the_help_texts_that_were_in_the_templates_are_the_seeded_entries(client, as_user,
                                                                          insured):
    landing = client.get("/").content.decode()
    assert "Où trouver mon code d&#x27;enregistrement ?" in landing
    client.cookies["django_language"] = "de"
    assert "Wo finde ich meinen Registrierungscode?" in client.get("/").content.decode()
    client.cookies["django_language"] = "fr"
    help_page = as_user(insured).get("/insured/help/").content.decode()
    assert "Je ne reçois pas le code SMS." in help_page
    assert help_page.count("<details>") == 9


@pytest.mark.parametrize(("persona", "url", "portal"), [
    ("insured", "/insured/help/", "insured"),
    ("pensioner", "/insured/help/", "pensioner"),
    ("hr_admin", "/employer/help/", "employer"),
    ("broker", "/broker/help/", "broker"),
])
def test_each_portal_shows_its_own_entries_in_the_readers_language(request, as_user, persona,
                                                                    url, portal):
    for kind in ("public", "insured", "pensioner", "employer", "broker"):
        entry(kind, f"Question {kind} ?", question_de=f"Frage {kind}?")
    client = as_user(request.getfixturevalue(persona))
    body = client.get(url).content.decode()
    shown = {kind for kind in ("public", "insured", "pensioner", "employer", "broker")
             if f"Question {kind} ?" in body}
    assert shown == {portal}
    client.cookies["django_language"] = "de"
    body = client.get(url).content.decode()
    assert f"Frage {portal}?" in body and f"Question {portal} ?" not in body


def test_an_entry_falls_back_to_french_and_unpublished_ones_stay_hidden(client):
    entry("public", "Seulement en français ?")
    FaqEntry.objects.create(portal="public", question="Brouillon ?", answer="…", order=2)
    client.cookies["django_language"] = "it"
    body = client.get("/").content.decode()
    assert "Seulement en français ?" in body and "Brouillon ?" not in body


def test_html_typed_in_an_answer_is_shown_as_text_in_paragraphs(client):
    entry("public", "<b>Gras ?</b>",
          answer="<script>alert('x')</script> <a href=\"https://evil.example\">ici</a>\n\n"
                 "Deuxième paragraphe.")
    body = client.get("/").content.decode()
    assert "<script>alert" not in body and 'href="https://evil.example"' not in body
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body
    assert "&lt;b&gt;Gras ?&lt;/b&gt;" in body
    assert "<p>Deuxième paragraphe.</p>" in body


def test_a_help_page_reads_the_entries_from_the_cache_and_a_save_refreshes_them(client):
    question = entry("public", "Avant ?")
    client.get("/")
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/").content.decode()
    assert "Avant ?" in body
    assert not [q for q in queries.captured_queries if "faqentry" in q["sql"].lower()]
    question.question = "Après ?"
    question.save()
    body = client.get("/").content.decode()
    assert "Après ?" in body and "Avant ?" not in body
    question.delete()
    assert "Après ?" not in client.get("/").content.decode()
