from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _documents_in_tmp(settings):
    """Document.file's storage is built when the model loads: point it at this test's folder
    (settings.PRIVATE_MEDIA_ROOT, see tests/conftest.py), so a test sees exactly its files."""
    from policies.models import Document, private_storage

    field = Document._meta.get_field("file")
    original = field.storage
    field.storage = private_storage()
    yield
    field.storage = original
