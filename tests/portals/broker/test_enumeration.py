"""Policy numbers cannot be enumerated: a number under someone else's mandate answers exactly
like one that does not exist (page bytes apart from tokens, status, queries), and each user may
look up at most 60 different numbers an hour, counted in the database."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from policies.models import PolicyLookup
from policies.services import POLICY_LOOKUPS_PER_HOUR

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _normalised(response, number: str) -> str:
    """The page without its CSRF tokens and with the number the user typed blanked."""
    return TOKEN.sub("TOKEN", response.content.decode()).replace(number, "NUMBER")


@pytest.mark.parametrize("name", ["broker:policy", "broker:policy-values",
                                  "broker:policy-valuation-pdf"])
def test_a_foreign_number_and_a_missing_one_get_the_same_answer(as_user, broker, policy,
                                                                broker2_policy, name):
    client = as_user(broker)
    client.get(reverse("broker:home"))  # the session's first-request work out of the way
    with CaptureQueriesContext(connection) as foreign_queries:
        foreign = client.get(reverse(name, args=["P-820001"]))
    with CaptureQueriesContext(connection) as missing_queries:
        missing = client.get(reverse(name, args=["P-899999"]))
    assert foreign.status_code == missing.status_code == 404
    assert _normalised(foreign, "P-820001") == _normalised(missing, "P-899999")
    assert len(foreign_queries) == len(missing_queries)  # same work: same timing class
    assert "Etranger" not in foreign.content.decode()


def test_an_ended_mandate_answers_like_a_missing_number(as_user, ended_broker, policy):
    client = as_user(ended_broker)
    ended = client.get(reverse("broker:policy", args=["P-810001"]))
    missing = client.get(reverse("broker:policy", args=["P-899999"]))
    assert ended.status_code == missing.status_code == 404
    assert _normalised(ended, "P-810001") == _normalised(missing, "P-899999")


def test_a_colleagues_policy_answers_like_a_missing_number(as_user, colleague_broker, policy):
    client = as_user(colleague_broker)
    colleague = client.get(reverse("broker:policy", args=["P-810001"]))
    missing = client.get(reverse("broker:policy", args=["P-899999"]))
    assert _normalised(colleague, "P-810001") == _normalised(missing, "P-899999")


def _spend(user, count: int) -> None:
    PolicyLookup.objects.bulk_create(
        PolicyLookup(user=user, number=f"P-9{i:05d}") for i in range(count))


def test_the_61st_different_number_in_an_hour_is_refused_with_a_clear_message(
        as_user, broker, policy):
    client = as_user(broker)
    for i in range(POLICY_LOOKUPS_PER_HOUR - 1):
        assert client.get(reverse("broker:policy", args=[f"P-9{i:05d}"])).status_code == 404
    assert client.get(reverse("broker:policy", args=["P-810001"])).status_code == 200  # 60th
    refused = client.get(reverse("broker:policy", args=["P-899998"]))
    assert refused.status_code == 429
    assert "Vous avez consulté 60 polices différentes au cours de la dernière heure" in (
        refused.content.decode())
    # A policy already opened this hour stays open (its other tab, its PDF).
    assert client.get(reverse("broker:policy-values", args=["P-810001"])).status_code == 200


def test_at_the_limit_an_own_number_and_a_foreign_one_get_the_same_refusal(
        as_user, broker, policy, broker2_policy):
    _spend(broker, POLICY_LOOKUPS_PER_HOUR)
    client = as_user(broker)
    own = client.get(reverse("broker:policy", args=["P-810001"]))
    foreign = client.get(reverse("broker:policy", args=["P-820001"]))
    assert own.status_code == foreign.status_code == 429
    assert _normalised(own, "P-810001") == _normalised(foreign, "P-820001")


def test_the_count_lives_in_the_database_not_in_one_processs_memory(as_user, broker, policy):
    _spend(broker, POLICY_LOOKUPS_PER_HOUR)
    cache.clear()  # another web process: nothing shared but the database
    assert as_user(broker).get(reverse("broker:policy", args=["P-810001"])).status_code == 429


def test_lookups_older_than_an_hour_no_longer_count(as_user, broker, policy):
    from django.utils import timezone

    _spend(broker, POLICY_LOOKUPS_PER_HOUR)
    PolicyLookup.objects.filter(user=broker).update(at=timezone.now() - timedelta(minutes=61))
    assert as_user(broker).get(reverse("broker:policy", args=["P-810001"])).status_code == 200


def test_the_limit_is_per_user(as_user, broker, colleague_broker, colleague_policy):
    _spend(broker, POLICY_LOOKUPS_PER_HOUR)
    response = as_user(colleague_broker).get(reverse("broker:policy", args=["P-810002"]))
    assert response.status_code == 200


def test_support_sees_which_lookups_found_a_policy(as_user, broker, policy):
    client = as_user(broker)
    client.get(reverse("broker:policy", args=["P-810001"]))
    client.get(reverse("broker:policy", args=["P-899999"]))
    assert set(PolicyLookup.objects.filter(user=broker).values_list("number", "found")) == {
        ("P-810001", True), ("P-899999", False)}


def test_the_inquiry_form_itself_reveals_nothing(as_user, broker, policy, broker2_policy):
    client = as_user(broker)
    foreign = client.get(reverse("broker:inquiry"), {"number": "P-820001"})
    missing = client.get(reverse("broker:inquiry"), {"number": "P-899999"})
    assert foreign.status_code == missing.status_code == 302  # checked on the policy's page
    assert PolicyLookup.objects.count() == 0
