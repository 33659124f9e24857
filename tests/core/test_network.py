"""The visitor's address behind our proxies: X-Forwarded-For read only as far as they wrote it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory
from django.urls import reverse

from contest.models import Contest
from core.network import client_ip, trusted_networks
from tests.http import csrf_post

PROXY = "10.0.0.1"


def _address(remote_addr: str, forwarded_for: str | None = None) -> str | None:
    request = RequestFactory().get("/", REMOTE_ADDR=remote_addr)
    if forwarded_for is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client_ip(request)


def test_it_ignores_a_forwarded_for_header_when_no_proxy_is_trusted() -> None:
    assert _address("198.51.100.20", "203.0.113.9") == "198.51.100.20"


def test_it_takes_the_address_our_proxy_appended_not_those_the_visitor_prepended(
    settings: object,
) -> None:
    settings.TRUSTED_PROXY_HOPS = 1  # type: ignore[attr-defined]
    assert _address(PROXY, "203.0.113.7") == "203.0.113.7"
    assert _address(PROXY, "1.1.1.1, 2.2.2.2,203.0.113.7") == "203.0.113.7"
    # Two headers arrive joined by a comma; the last one is our proxy's.
    assert _address(PROXY, "1.1.1.1,  203.0.113.7 ") == "203.0.113.7"


def test_it_counts_hops_from_the_right_through_two_proxies(settings: object) -> None:
    settings.TRUSTED_PROXY_HOPS = 2  # type: ignore[attr-defined]
    # Load balancer appends the visitor, nginx appends the load balancer.
    assert _address(PROXY, "6.6.6.6, 203.0.113.7, 10.0.0.2") == "203.0.113.7"


@pytest.mark.parametrize(
    "forwarded_for",
    [None, "", "unknown", "1.1.1.1, not-an-address", "203.0.113.7:4711", " , "],
)
def test_it_falls_back_to_the_proxy_address_when_the_header_is_missing_or_malformed(
    settings: object, forwarded_for: str | None
) -> None:
    settings.TRUSTED_PROXY_HOPS = 1  # type: ignore[attr-defined]
    assert _address(PROXY, forwarded_for) == PROXY


def test_it_falls_back_when_the_header_is_shorter_than_the_hops(settings: object) -> None:
    settings.TRUSTED_PROXY_HOPS = 2  # type: ignore[attr-defined]
    assert _address(PROXY, "203.0.113.7") == PROXY


def test_it_walks_past_trusted_proxies_to_the_first_untrusted_address(settings: object) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.10"]  # type: ignore[attr-defined]
    assert _address(PROXY, "6.6.6.6, 203.0.113.7, 192.0.2.10, 10.9.8.7") == "203.0.113.7"
    # A visitor who pretends to be one of our proxies only moves the walk one step left.
    assert _address(PROXY, "203.0.113.7, 10.9.9.9") == "203.0.113.7"


def test_it_ignores_the_header_when_the_connection_is_not_from_a_trusted_proxy(
    settings: object,
) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]  # type: ignore[attr-defined]
    assert _address("198.51.100.20", "203.0.113.7") == "198.51.100.20"


@pytest.mark.parametrize(
    "forwarded_for",
    ["203.0.113.7, garbage, 10.1.2.3", "10.1.2.3", "", "unknown"],
)
def test_it_falls_back_when_the_trusted_chain_holds_no_usable_visitor(
    settings: object, forwarded_for: str
) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]  # type: ignore[attr-defined]
    assert _address(PROXY, forwarded_for) == PROXY


def test_it_reads_ipv6_visitors_and_proxies(settings: object) -> None:
    settings.TRUSTED_PROXIES = ["2001:db8:ffff::/48", "10.0.0.0/8"]  # type: ignore[attr-defined]
    assert _address("2001:db8:ffff::1", "2001:db8:1:2::a") == "2001:db8:1:2::a"
    assert _address("2001:db8:ffff::1", "[2001:db8:1:2::a]") == "2001:db8:ffff::1"
    # A dual-stack socket reports an IPv4 proxy as an IPv4-mapped address.
    assert _address("::ffff:10.0.0.1", "203.0.113.7, ::ffff:10.0.0.2") == "203.0.113.7"
    assert _address("2001:db8:ffff::1", "2001:DB8:1:2:0:0:0:A") == "2001:db8:1:2::a"


def test_it_reads_an_ipv6_visitor_with_a_hop_count(settings: object) -> None:
    settings.TRUSTED_PROXY_HOPS = 1  # type: ignore[attr-defined]
    assert _address("::1", "2001:db8::6, 2001:db8:1:2::a") == "2001:db8:1:2::a"


def test_it_refuses_a_trusted_proxy_that_is_not_an_address() -> None:
    with pytest.raises(ImproperlyConfigured, match=r"10\.0\.0\.0/33"):
        trusted_networks(("10.0.0.0/33",))


@pytest.mark.django_db
def test_it_rate_limits_sign_in_links_per_visitor_behind_the_proxy_not_for_everyone(
    contest: Contest, settings: object
) -> None:
    settings.TRUSTED_PROXY_HOPS = 1  # type: ignore[attr-defined]
    settings.SIGNIN_RATE_PER_HOUR = 1  # type: ignore[attr-defined]
    per_address = 10
    settings.SIGNIN_RATE_PER_HOUR_PER_ADDRESS = per_address  # type: ignore[attr-defined]
    url = reverse("contest:signin")

    def ask(browser: Client, email: str, forwarded_for: str) -> bool:
        response = csrf_post(browser, url, {"email": email}, HTTP_X_FORWARDED_FOR=forwarded_for)
        return "Trop de liens" not in response.content.decode()

    # Every request reaches the app from the proxy, for many different riders.
    proxied = Client(enforce_csrf_checks=True, REMOTE_ADDR=PROXY)
    for rider in range(per_address + 5):
        assert ask(proxied, f"rider{rider}@example.org", f"198.51.100.{rider}")

    # One rider asking for many addresses' links is still one rider, whatever they prepend.
    sent = [
        ask(proxied, f"spam{n}@example.org", f"6.6.6.{n}, 203.0.113.5")
        for n in range(per_address + 1)
    ]
    assert sent == [True] * per_address + [False]
