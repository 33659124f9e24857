"""`/healthz` for the orchestrator and the image's HEALTHCHECK: can this process do its work?

Each dependency (database, broker, media storage) is checked in a thread of its own and
given HEALTH_CHECK_TIMEOUT seconds: one that hangs (a firewall dropping packets, a stalled
S3 endpoint) answers "timeout" instead of holding the check, and the orchestrator's own
timeout, past the request. No login, no cache, no session: it must answer for any caller,
and say nothing more than which check failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait

from django.conf import settings
from django.core.files.storage import storages
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from kombu import Connection

logger = logging.getLogger(__name__)


def check_database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()  # this thread's own connection, never reused


def check_broker() -> None:
    timeout = settings.HEALTH_CHECK_TIMEOUT
    with Connection(
        settings.CELERY_BROKER_URL,
        connect_timeout=timeout,
        transport_options={
            **getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}),
            # Redis: a connection that opens and then stalls is cut off too.
            "socket_timeout": timeout,
        },
    ) as broker:
        # One attempt, no retry: the Redis channel sends a PING as it opens.
        broker.ensure_connection(max_retries=0, timeout=timeout)
        broker.default_channel  # noqa: B018 - opening the channel is the check


def check_storage() -> None:
    # A name that is never written: the answer (False) proves the store answered.
    storages["default"].exists("healthz/probe")


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "broker": check_broker,
    "storage": check_storage,
}


def run_checks(checks: dict[str, Callable[[], None]] | None = None) -> dict[str, str]:
    """{name: "ok" | "timeout" | "error"}, in at most about HEALTH_CHECK_TIMEOUT seconds."""
    checks = CHECKS if checks is None else checks
    # A pool of its own each time: a thread stuck on a dead peer is left behind (it ends
    # with its socket timeout) instead of occupying a shared pool's slot.
    pool = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="healthz")
    futures = {name: pool.submit(check) for name, check in checks.items()}
    wait(futures.values(), timeout=settings.HEALTH_CHECK_TIMEOUT)
    pool.shutdown(wait=False, cancel_futures=True)
    results: dict[str, str] = {}
    for name, future in futures.items():
        if not future.done():
            results[name] = "timeout"
        elif (error := future.exception()) is not None:
            logger.warning("healthz: %s failed: %r", name, error)
            results[name] = "error"
        else:
            results[name] = "ok"
    return results


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    results = run_checks()
    failed = sorted(name for name, result in results.items() if result != "ok")
    body: dict[str, object] = {"status": "fail" if failed else "ok", "checks": results}
    if failed:
        body["failed"] = failed
    return JsonResponse(body, status=503 if failed else 200)
