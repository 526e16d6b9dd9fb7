"""Permission matrices built from a portal's urlpatterns (STYLE.md 6).

A portal's test module declares one `Case` per URL name and, per persona, the status it expects;
`Matrix` fails on any URL that is not classified, builds each URL (with the pk of the fixture that
owns the object) and logs the persona in. Used by the insured, employer and broker matrices.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from tests.conftest import login_verified

ANONYMOUS = "anonymous"
UNVERIFIED = "unverified"  # password given, second factor not yet: the owner's own account


@dataclass(frozen=True)
class Case:
    obj: str | None = None  # fixture whose pk goes into the URL (an object owned by `owner`)
    owner: str = ""  # persona fixture that owns the object and gets `ok`
    method: str = "get"
    ok: int = 200
    reauth: bool = False  # the page needs a recent re-authentication


class Matrix:
    def __init__(self, *, namespace: str, urlpatterns: Iterable[URLPattern],
                 cases: dict[str, Case], default_owner: str) -> None:
        self.namespace = namespace
        self.names = sorted(p.name for p in urlpatterns)
        self.cases = cases
        self.default_owner = default_owner

    def unclassified(self) -> set[str]:
        return set(self.names) ^ set(self.cases)

    def case(self, name: str) -> Case:
        return self.cases[name]

    def owner(self, name: str) -> str:
        return self.cases[name].owner or self.default_owner

    def url(self, request: pytest.FixtureRequest, name: str) -> str:
        case = self.cases[name]
        if case.obj is None:
            return reverse(f"{self.namespace}:{name}")
        return reverse(f"{self.namespace}:{name}", args=[request.getfixturevalue(case.obj).pk])

    def call(self, client: Client, name: str, url: str):
        return getattr(client, self.cases[name].method)(url)

    def client_as(self, request: pytest.FixtureRequest, persona: str, name: str,
                  reauthenticate: Callable[[Client], None] | None = None) -> Client:
        client = Client()
        if persona == ANONYMOUS:
            return client
        if persona == UNVERIFIED:
            user = request.getfixturevalue(self.owner(name))
            client.force_login(user, backend="accounts.backends.EmailOrAhvBackend")
            return client
        login_verified(client, request.getfixturevalue(persona))
        if reauthenticate is not None:
            reauthenticate(client)
        return client

    def cells(self, personas: Iterable[str]) -> list:
        """pytest parameters, one per persona x URL name (the count is the test count)."""
        return [pytest.param(p, n, id=f"{p}-{n}") for p in personas for n in self.names]


def assert_login_redirect(response) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")
