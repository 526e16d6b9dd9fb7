"""Text that support types in the admin, in the reader's language: a field `name` has optional
`name_de`, `name_it`, `name_en`; French (the source language) is the field itself and the
fallback when a translation is empty."""

from __future__ import annotations

from django.utils import translation


def localized(obj, field: str) -> str:
    language = (translation.get_language() or "fr")[:2]
    if language != "fr":
        value = getattr(obj, f"{field}_{language}", "") or ""
        if value.strip():
            return value
    return getattr(obj, field)

