"""The page shell (header, navigation, footer) is rendered once per process, language and persona
by the {% fragment %} tag and reused: what differs between requests still differs. Each session
gets its own CSRF token in the reused forms (and the forms work), the navigation follows the
language and the persona, and a value the tag does not name is not looked at again."""

from __future__ import annotations

import re

import pytest
from django.template import Context, engines
from django.test import Client

from tests.conftest import login_verified

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _tokens(client: Client, url: str = "/insured/") -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    return TOKEN.findall(response.content.decode())


def test_each_session_gets_its_own_token_in_the_reused_forms_and_can_log_out(insured, pensioner):
    first = login_verified(Client(enforce_csrf_checks=True), insured)
    second = login_verified(Client(enforce_csrf_checks=True), pensioner)
    first_tokens, second_tokens = _tokens(first), _tokens(second)
    assert len(first_tokens) >= 2 and len(second_tokens) >= 2  # logout and language forms
    assert "placeholder" not in " ".join(first_tokens + second_tokens)
    assert set(first_tokens).isdisjoint(second_tokens)
    response = second.post("/account/logout/", {"csrfmiddlewaretoken": second_tokens[0]})
    assert response.status_code == 302
    response = first.post("/i18n/setlang/", {"csrfmiddlewaretoken": first_tokens[-1],
                                             "language": "de", "next": "/insured/"})
    assert response.status_code == 302


def test_the_reused_navigation_follows_the_persona_and_the_language(insured, pensioner):
    active = login_verified(Client(), insured)
    retired = login_verified(Client(), pensioner)
    assert "/insured/simulations/" in active.get("/insured/").content.decode()
    assert "/insured/simulations/" not in retired.get("/insured/").content.decode()
    active.post("/i18n/setlang/", {"language": "de", "next": "/insured/"})
    page = active.get("/insured/documents/").content.decode()
    assert "Dokumente" in page and 'aria-current="page"' in page
    assert "Mes données" not in page


def test_a_fragment_is_rendered_again_only_for_other_named_values():
    template = engines["django"].from_string(
        '{% load fragments %}{% fragment "t" named %}{{ named }}-{{ other }}{% endfragment %}')
    render = template.template.render
    assert render(Context({"named": 1, "other": "a"})) == "1-a"
    assert render(Context({"named": 1, "other": "b"})) == "1-a"  # reused as it was
    assert render(Context({"named": 2, "other": "b"})) == "2-b"


def test_a_block_inside_a_fragment_is_refused_when_the_template_loads():
    from django.template import TemplateSyntaxError

    with pytest.raises(TemplateSyntaxError, match="block"):
        engines["django"].from_string(
            '{% load fragments %}{% fragment "t" %}{% block b %}{% endblock %}{% endfragment %}')
