"""Running actions at the same instant in threads, for the race tests on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections


def together(
    *actions: Callable[[], Any], refusal: type[BaseException]
) -> tuple[list[object], list[BaseException]]:
    """Runs the actions in threads released at once: what each returned (or the `refusal`
    it raised), and any other exception."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[object] = [None] * len(actions)
    errors: list[BaseException] = []

    def run(index: int, action: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            outcomes[index] = action()
        except refusal as refused:
            outcomes[index] = refused
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes, errors
