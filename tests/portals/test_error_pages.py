from __future__ import annotations

import pytest
from django.test import Client
from django.urls import path

from portals import urls as root_urls

pytestmark = pytest.mark.django_db


def _boom(request):
    raise RuntimeError("secret internal detail")


urlpatterns = [*root_urls.urlpatterns, path("boom/", _boom)]
handler404 = root_urls.handler404
handler500 = root_urls.handler500


def test_unknown_url_gets_the_styled_404_page(client):
    response = client.get("/does-not-exist/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page introuvable" in body
    assert "portal.css" in body


def test_server_error_shows_a_calm_page_without_the_stack_trace(settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Erreur technique" in body
    assert "secret internal detail" not in body
    assert "Traceback" not in body
