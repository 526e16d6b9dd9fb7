"""The FAQ entries of a portal's help page, in the reader's language, from the shared cache.

One cache round trip per page view: the entries of a portal and language are kept together with
the FAQ version they were read at, and that version comes in the same `get_many`. Saving or
deleting any entry moves the version (accounts.signals), now and again after commit, so a reader
racing the write cannot keep the old entries under the new version. Old entries expire.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.utils import translation

from .models import FaqEntry

FAQ_CACHE_SECONDS = 60 * 60
VERSION_KEY = "faq-version:v1"


@dataclass(frozen=True)
class Faq:
    question: str
    answer: str  # plain text; the template escapes it and makes paragraphs (linebreaks)


def _key(portal: str, language: str) -> str:
    return f"faq:v1:{portal}:{language}"


def _read(portal: str) -> list[Faq]:
    from policies.i18n import localized

    return [
        Faq(question=localized(entry, "question"), answer=localized(entry, "answer"))
        for entry in FaqEntry.objects.filter(portal=portal, published=True).order_by("order", "id")
    ]


def faq_for(portal: str) -> list[Faq]:
    """The published entries of `portal` (FaqEntry.Portal) in the current language."""
    language = (translation.get_language() or "fr")[:2]
    key = _key(portal, language)
    found = cache.get_many([key, VERSION_KEY])
    version, entry = found.get(VERSION_KEY), found.get(key)
    if entry is not None and version is not None and entry[0] == version:
        return entry[1]
    if version is None:
        cache.add(VERSION_KEY, time.time_ns(), None)
        version = cache.get(VERSION_KEY)
    entries = _read(portal)
    cache.set(key, (version, entries), FAQ_CACHE_SECONDS)
    return entries


def faq_touch() -> None:
    def bump() -> None:
        cache.set(VERSION_KEY, time.time_ns(), None)

    bump()
    transaction.on_commit(bump)
