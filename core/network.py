"""Who a visitor is, as far as limits go: their address, its keyed hash, and hourly counters.

Shared by sign-in links, public reports and votes, so that one rule counts visitors.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _network(ip_address: str | None) -> str:
    """The address a visitor is counted by: IPv4 as is, IPv6 by its /64.

    One IPv6 subscriber holds a whole /64 and can pick any address in it at will.
    """
    if not ip_address:
        return ""
    try:
        address = ipaddress.ip_address(ip_address)
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def network_hash(*, ip_address: str | None) -> str:
    """HMAC-SHA256 of the visitor's network address, keyed with SECRET_KEY; "" if unknown.

    Stored instead of the address: enough to spot a burst, nothing more kept.
    """
    network = _network(ip_address)
    if not network:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), network.encode(), hashlib.sha256).hexdigest()


def rate_limit_hit(key: str, limit: int) -> bool:
    """Counts one more event under `key` this hour (shared cache); True past `limit`."""
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        count = 1
    return count > limit
