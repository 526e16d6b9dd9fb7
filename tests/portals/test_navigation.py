"""The header's navigation: one per persona on every page, kept on the profile pages, and the
logo leads to the person's portal home."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests import factories as f

pytestmark = pytest.mark.django_db

INSURED_PAGES = ["insured:home", "insured:documents", "insured:requests", "insured:personal",
                 "insured:help", "profile", "sessions"]


def brand_href(body: str) -> str:
    return re.search(r'class="brand" href="([^"]*)"', body).group(1)


def test_profile_pages_keep_the_insured_navigation_and_the_logo_leads_home(as_user, insured):
    client = as_user(insured)
    for name in ("profile", "sessions", "password-change"):
        body = client.get(reverse(name)).content.decode()
        assert f'href="{reverse("insured:documents")}"' in body, name
        assert f'href="{reverse("insured:simulations")}"' in body, name
        assert brand_href(body) == reverse("insured:home"), name


@pytest.mark.parametrize("name", INSURED_PAGES)
def test_a_pensioner_sees_the_same_navigation_on_every_page(as_user, pensioner, name):
    body = as_user(pensioner).get(reverse(name)).content.decode()
    nav = re.search(r'<nav class="portal-nav".*?</nav>', body, re.S).group(0)
    assert reverse("insured:simulations") not in nav
    for link in ("insured:home", "insured:documents", "insured:requests", "insured:personal",
                 "insured:help"):
        assert f'href="{reverse(link)}"' in nav


def test_an_active_insured_sees_simulations_on_the_dashboard_too(as_user, insured):
    body = as_user(insured).get(reverse("insured:home")).content.decode()
    nav = re.search(r'<nav class="portal-nav".*?</nav>', body, re.S).group(0)
    assert f'href="{reverse("insured:simulations")}"' in nav


def test_with_several_portals_the_profile_offers_the_chooser_then_the_portal_used_last(
        as_user, insured, employer):
    f.MembershipFactory(user=insured, kind="employer", role="admin", employer=employer)
    client = as_user(insured)
    body = client.get(reverse("profile")).content.decode()
    assert brand_href(body) == reverse("portal-chooser")
    assert "Choisir un portail" in body
    client.get(reverse("insured:documents"))
    body = client.get(reverse("profile")).content.decode()
    assert brand_href(body) == reverse("insured:home")
    assert f'href="{reverse("insured:documents")}"' in body


def test_an_employer_admin_keeps_the_employer_home_on_the_profile(as_user, hr_admin):
    body = as_user(hr_admin).get(reverse("profile")).content.decode()
    assert brand_href(body) == reverse("employer:home")
    assert reverse("insured:home") not in body


def test_anonymous_visitors_logo_leads_to_the_landing_page(client):
    body = client.get(reverse("landing")).content.decode()
    assert brand_href(body) == reverse("landing")


def test_the_404_page_leads_back_to_the_persons_portal(as_user, insured):
    response = as_user(insured).get("/insured/documents/999999/")
    body = response.content.decode()
    assert response.status_code == 404
    assert f'class="button button-primary" href="{reverse("insured:home")}"' in body


def _nav(body: str) -> str:
    return re.search(r'<nav class="portal-nav".*?</nav>', body, re.S).group(0)


def test_the_navigation_follows_a_person_who_retires_at_the_next_page(as_user, insured):
    client = as_user(insured)
    assert reverse("insured:simulations") in _nav(client.get(reverse("insured:help")).content
                                                   .decode())
    person = insured.insured_person
    person.status = "pensioner"
    person.save()  # the person's data version moves: the cached answer is not read again
    assert reverse("insured:simulations") not in _nav(client.get(reverse("insured:help")).content
                                                       .decode())


def test_a_warm_dashboard_asks_the_database_nothing_about_the_person_for_its_navigation(
        as_user, insured):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user(insured)
    client.get(reverse("insured:home"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("insured:home")).status_code == 200
    assert not [q for q in queries.captured_queries if "policies_insuredperson" in q["sql"]]
