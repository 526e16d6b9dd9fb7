"""Every string exists in German, Italian and English, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parents[1] / "locale"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_0-9]*\}")


@pytest.mark.parametrize("language", ["de", "it", "en"])
def test_catalogue_is_complete_and_keeps_placeholders(language):
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    for entry in po.translated_entries():
        source = sorted(PLACEHOLDER.findall(entry.msgid))
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            if entry.msgid_plural:
                # A singular form may spell the count out; the named values must stay.
                assert set(PLACEHOLDER.findall(text)) <= set(
                    source + PLACEHOLDER.findall(entry.msgid_plural)), entry.msgid
            else:
                assert sorted(PLACEHOLDER.findall(text)) == source, entry.msgid


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language,expected",
    [("fr", "Se connecter"), ("de", "Anmelden"), ("it", "Accedi"), ("en", "Log in")],
)
def test_pages_speak_the_chosen_language(client, language, expected):
    client.cookies["django_language"] = language
    body = client.get("/").content.decode()
    assert f'<html lang="{language}">' in body
    assert expected in body


@pytest.mark.parametrize("language", ["de", "it", "en"])
def test_catalogue_has_each_message_once(language):
    # Branches merged as a union can repeat an entry; msgmerge (makemessages) then refuses.
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    keys = [(entry.msgctxt, entry.msgid) for entry in po]
    assert len(keys) == len(set(keys))
