"""Rate limits: hourly counters in the shared cache, and the refusal that says how long to wait.

Each limit counts in aligned windows (the key carries the window's number), so the end of the
window, and so Retry-After, is known from the clock alone on any cache backend, without
asking the cache for a key's remaining lifetime. The price: a burst straddling a window's
end may get up to twice the limit in a short time, which is harmless at these sizes.

A limit is counted per signed-in person (their user id) and, higher, per network address
(core.network.network_hash): a whole mobile carrier's CGNAT or an office shares one address,
so the address's limit only stops a flood, and one person over theirs never blocks the rest.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass
from typing import ClassVar

from django.core.cache import cache
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, ngettext

from core.errors import ApplicationError
from core.network import network_hash

logger = logging.getLogger(__name__)

HOUR = 3600


class RateLimited(ApplicationError):
    """Too many of one action in the current window; `retry_after` is the seconds left in it.

    `message` names the wait in whole minutes, rounded up. Subclasses say what was too much
    with their own `reason`.
    """

    reason: ClassVar[str | Promise] = gettext_lazy(
        "Too many requests came from you in a short time."
    )

    def __init__(self, *, retry_after: int) -> None:
        self.retry_after = max(1, retry_after)
        self.minutes = math.ceil(self.retry_after / 60)
        self.wait = ngettext(
            "You can try again in %(minutes)s minute.",
            "You can try again in %(minutes)s minutes.",
            self.minutes,
        ) % {"minutes": self.minutes}
        super().__init__(f"{self.reason} {self.wait}")


@dataclass(frozen=True)
class Limit:
    """At most `limit` events under `key` per window of `window` seconds."""

    key: str
    limit: int
    window: int = HOUR


def person_key(action: str, user_id: int) -> str:
    return f"{action}:user:{user_id}"


def address_key(action: str, ip_address: str | None) -> str:
    """By the keyed hash of the network, so not even the cache holds the address; visitors
    whose address is unknown share one bucket."""
    return f"{action}:ip:{network_hash(ip_address=ip_address) or 'unknown'}"


def email_key(action: str, email: str) -> str:
    """For someone not signed in yet, known by the address they typed (hashed, as above)."""
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return f"{action}:email:{digest}"


def rate_limit(
    *limits: Limit, error: type[RateLimited] = RateLimited, now: float | None = None
) -> None:
    """Counts one event under each limit in turn; raises `error` at the first one past its limit.

    Put the person's limit first: once it refuses, the address's is not counted, so a person
    hammering past their own limit does not use up everyone else's on the same address.
    When the cache is down, the event is let through (and logged): a Redis outage must not
    stop every rider from signing in, voting or sending photos; the database rules still hold.
    """
    at = time.time() if now is None else now
    for limit in limits:
        count = _count(limit, at)
        if count is not None and count > limit.limit:
            window_end = (math.floor(at / limit.window) + 1) * limit.window
            raise error(retry_after=math.ceil(window_end - at))


def _count(limit: Limit, at: float) -> int | None:
    """The events in the current window of `limit`, this one included; None if uncounted."""
    number = math.floor(at / limit.window)
    bucket = f"ratelimit:{limit.key}:{limit.window}:{number}"
    # Kept a little past its window's end, then gone: no sweep needed.
    timeout = math.ceil((number + 1) * limit.window - at) + 60
    try:
        # incr first: the window's bucket usually exists already, and add is then not needed.
        try:
            return int(cache.incr(bucket))
        except ValueError:  # the window's first event
            if cache.add(bucket, 1, timeout=timeout):
                return 1
            return int(cache.incr(bucket))  # another process made the bucket first
    except Exception:
        logger.warning(
            "rate limit %s not counted: the cache is unavailable", limit.key, exc_info=True
        )
        return None
