"""Every task of the apps is routed on purpose to a queue that some worker consumes."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

from django.conf import settings

from config.celery import app
from tests.config.compose import ROOT, services, worker_queues


def app_task_names() -> list[str]:
    """The tasks of our own apps (a folder of the project), not Celery's or a test's."""
    app.loader.import_default_modules()
    top_folders = {path.name for path in ROOT.iterdir() if (path / "tasks.py").is_file()}
    names = sorted(name for name in app.tasks if name.split(".")[0] in top_folders)
    assert "photos.tasks.process_photo" in names  # the discovery did find the apps' tasks
    return names


def queue_of(name: str) -> str:
    return str(app.amqp.router.route({}, name)["queue"].name)


def test_it_routes_every_task_of_the_apps_by_a_line_of_its_own() -> None:
    routes = settings.CELERY_TASK_ROUTES
    unrouted = [
        name
        for name in app_task_names()
        if name not in routes and not any(fnmatch.fnmatchcase(name, key) for key in routes)
    ]
    assert unrouted == [], "give these tasks a queue in CELERY_TASK_ROUTES"


def test_it_sends_each_kind_of_work_to_its_own_queue() -> None:
    assert queue_of("photos.tasks.process_photo") == "renditions"
    assert queue_of("notifications.tasks.send_message") == "email"
    assert queue_of("covers.tasks.build_package") == "exports"
    assert queue_of("transit.tasks.import_feed") == "exports"
    assert queue_of("moderation.tasks.match_duplicates") == "celery"
    assert {q.name for q in app.conf.task_queues} == {"celery", "renditions", "email", "exports"}


def test_every_routed_queue_has_a_worker_in_the_production_compose_file() -> None:
    consumed: dict[str, set[str]] = {
        name: worker_queues(service) for name, service in services().items()
    }
    all_consumed = set().union(*consumed.values())
    orphans = {name: queue_of(name) for name in app_task_names()}
    assert {n: q for n, q in orphans.items() if q not in all_consumed} == {}
    # Sign-in links never wait behind photos: the e-mail worker consumes nothing else.
    assert consumed["worker-email"] == {"email"}
    assert consumed["worker-renditions"] == {"renditions"}
    assert consumed["worker-exports"] == {"exports"}


def test_the_dev_run_and_the_tests_workers_consume_every_queue() -> None:
    # make run's worker has no -Q: it takes every queue of CELERY_TASK_QUEUES.
    worker_line = next(
        line
        for line in (ROOT / "Makefile").read_text().splitlines()
        if "celery -A config worker" in line
    )
    assert not re.search(r"\s(-Q|--queues)\b", worker_line)
    conftest = (Path(__file__).resolve().parents[1] / "conftest.py").read_text()
    assert "queues = [queue.name for queue in app.conf.task_queues]" in conftest
    assert {queue_of(name) for name in app_task_names()} <= {q.name for q in app.conf.task_queues}
