from __future__ import annotations

import pytest
from django.test import RequestFactory

from accounts.services import client_ip


@pytest.mark.parametrize(
    "proxies,forwarded,expected",
    [
        (0, "203.0.113.9", "10.0.0.2"),             # no proxy trusted: the socket address
        (1, "203.0.113.9", "203.0.113.9"),          # one load balancer appended the client
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # a forged left entry is ignored
        (2, "203.0.113.9, 10.0.0.7", "203.0.113.9"),
        (1, "not-an-ip", "10.0.0.2"),
        (2, "203.0.113.9", "10.0.0.2"),             # fewer hops than proxies: socket address
    ],
)
def test_the_client_address_behind_trusted_proxies(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="10.0.0.2")
    assert client_ip(request) == expected
