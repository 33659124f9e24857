"""Who a visitor is, as far as limits go: their address and its keyed hash.

Shared by sign-in links, uploads, public reports and votes (core.ratelimit counts them), so
that one rule counts visitors.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_ip(request: HttpRequest) -> str | None:
    """The visitor's address: REMOTE_ADDR, or X-Forwarded-For as written by our own proxies.

    X-Forwarded-For is read only as far as the proxies we were told about (README "Behind a
    proxy"): everything left of what they appended was written by the visitor and is ignored.
    """
    remote_addr = request.META.get("REMOTE_ADDR") or None
    trusted = trusted_networks(tuple(settings.TRUSTED_PROXIES))
    hops = settings.TRUSTED_PROXY_HOPS
    if not trusted and hops <= 0:
        return remote_addr
    forwarded = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [entry for entry in forwarded if entry]
    if trusted:
        found = _first_untrusted(remote_addr, forwarded, trusted)
    else:
        found = _parse(forwarded[-hops]) if len(forwarded) >= hops else None
    return str(found) if found is not None else remote_addr


def _first_untrusted(
    remote_addr: str | None, forwarded: list[str], trusted: tuple[_Network, ...]
) -> _Address | None:
    """Walks X-Forwarded-For from the right past our proxies; None when it cannot be relied on."""
    if not _is_trusted(_parse(remote_addr), trusted):
        return None  # not from our proxy: the header is whatever the visitor sent
    for entry in reversed(forwarded):
        address = _parse(entry)
        # A proxy of ours appends only real addresses: a malformed entry was written by the
        # visitor, and so was everything left of it.
        if address is None:
            return None
        if not _is_trusted(address, trusted):
            return address
    return None  # only our own proxies in the chain


def _parse(value: str | None) -> _Address | None:
    """An address, IPv4-mapped IPv6 as IPv4; None when `value` is not one."""
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: _Address | None, trusted: tuple[_Network, ...]) -> bool:
    return address is not None and any(address in network for network in trusted)


@functools.cache
def trusted_networks(entries: tuple[str, ...]) -> tuple[_Network, ...]:
    """TRUSTED_PROXIES parsed; a typo fails loudly rather than trusting nothing or everything."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as error:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES: {entry!r} is not an address or a network."
            ) from error
    return tuple(networks)


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
