"""The Celery task class of every app: one way to enqueue after commit, and never harmful.

Enqueueing happens after the rows are committed. If the broker is down at that instant, the
database already holds the truth (a photo "received", a message "pending") and each app's
beat sweep sends what was never sent: so a broker error is logged, never raised into the
request that already committed (which would answer 500 and run cleanup code for a
transaction that in fact succeeded).
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from celery.contrib.django.task import DjangoTask
from django.db import transaction

logger = logging.getLogger(__name__)


class OnCommitTask(DjangoTask):
    def delay_on_commit(self, *args: Any, **kwargs: Any) -> None:
        transaction.on_commit(partial(self._enqueue, args, kwargs, {}))

    def apply_async_on_commit(  # type: ignore[override]
        self, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None, **options: Any
    ) -> None:
        transaction.on_commit(partial(self._enqueue, args, kwargs or {}, options))

    def _enqueue(self, args: tuple[Any, ...], kwargs: dict[str, Any], options: Any) -> None:
        try:
            if options:
                self.apply_async(args, kwargs, **options)
            else:
                self.delay(*args, **kwargs)
        except Exception:
            # The sweep re-sends it: see the module docstring.
            logger.exception("could not enqueue %s%r; the sweep will send it", self.name, args)
