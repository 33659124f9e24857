"""Fixtures: storage in a temp folder, personas, and the real services when configured.

Tests that need Redis, S3 (moto) or Chromium skip when those are absent, unless
COVERLINE_REQUIRE_SERVICES=1 (set by .ci/run): then a missing service is a failure.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.files.base import ContentFile
from django.test import Client

from config.celery import app
from contest.models import Contest, Entry, Participant
from photos.models import Photo
from photos.services import originals_storage, photo_process
from tests.factories import (
    ContestFactory,
    EnrollmentFactory,
    EntryFactory,
    ParticipantFactory,
    ThemeFactory,
    UserFactory,
)
from tests.images import photo_bytes

REQUIRE_SERVICES = os.environ.get("COVERLINE_REQUIRE_SERVICES") == "1"


def service_missing(what: str) -> None:
    """Skip, or fail in CI where every service must be there."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required here (COVERLINE_REQUIRE_SERVICES=1) but missing")
    pytest.skip(f"{what} not available")


@pytest.fixture(autouse=True)
def _local_storage(settings: object, tmp_path: Path) -> None:
    """Every test gets empty media and originals folders of its own."""
    settings.STORAGES = {  # type: ignore[attr-defined]
        **settings.STORAGES,  # type: ignore[attr-defined]
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "base_url": "/media/"},
        },
        "originals": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "originals"), "base_url": "/no-public-url/"},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MEDIA_ROOT = str(tmp_path / "media")  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    from django.core.cache import cache

    from gallery.services import _local_starts  # each process's copy of the discover starts

    cache.clear()
    _local_starts.clear()
    yield
    cache.clear()
    _local_starts.clear()


@pytest.fixture
def contest(db: None) -> Contest:
    contest = ContestFactory(slug="couvertures-2027", title="Couvertures 2027")
    ThemeFactory(contest=contest, name="Lumières de la ville", position=1)
    ThemeFactory(contest=contest, name="Saisons", position=2)
    return contest


@pytest.fixture
def entrant(contest: Contest) -> Participant:
    participant = ParticipantFactory(
        user=UserFactory(email="camille@example.org"), credit_name="Camille D."
    )
    EnrollmentFactory(contest=contest, participant=participant)
    return participant


@pytest.fixture
def other_entrant(contest: Contest) -> Participant:
    participant = ParticipantFactory(
        user=UserFactory(email="noe@example.org"), credit_name="Noé L."
    )
    EnrollmentFactory(contest=contest, participant=participant)
    return participant


@pytest.fixture
def staff(db: None) -> object:
    return UserFactory(email="staff@reseau.example", is_staff=True, is_superuser=True)


@pytest.fixture
def entrant_client(entrant: Participant) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(entrant.user)
    return client


@pytest.fixture
def anonymous_client() -> Client:
    return Client(enforce_csrf_checks=True)


# The data migrations that give the staff groups their permissions, each with its ROLES.
GROUP_MIGRATIONS = (
    "contest.migrations.0002_groups",
    "gallery.migrations.0002_marketing_relay",
    "jury.migrations.0002_groups",
    "covers.migrations.0002_groups",
)


def staff_group(group: str) -> Any:
    """The staff group with its permissions, as its migration made it.

    The groups come from a migration, but a live server test empties the database after it
    ran: the tests that follow make the group again, from the migration's definition.
    """
    from django.contrib.auth.models import Group, Permission

    role, created = Group.objects.get_or_create(name=group)
    if created:
        codes = [
            code
            for migration in GROUP_MIGRATIONS
            for code in importlib.import_module(migration).ROLES.get(group, [])
        ]
        for code in codes:
            app_label, codename = code.split(".")
            role.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
    return role


def _staff_in(group: str, email: str) -> object:
    role = staff_group(group)
    user = UserFactory(email=email, is_staff=True)
    user.groups.add(role)
    return user


@pytest.fixture
def moderator(db: None) -> object:
    return _staff_in("Moderators", "modo@reseau.example")


@pytest.fixture
def other_moderator(db: None) -> object:
    return _staff_in("Moderators", "modo2@reseau.example")


@pytest.fixture
def juror(db: None) -> object:
    return _staff_in("Jury", "jury@reseau.example")


@pytest.fixture
def marketing(db: None) -> object:
    return _staff_in("Marketing", "marketing@reseau.example")


PERSONAS = ("anonymous", "entrant", "other_entrant", "juror", "marketing", "moderator")


@pytest.fixture
def persona_client(request: pytest.FixtureRequest) -> Callable[[str], Client]:
    """A logged-in client for a persona's name ("anonymous" is not logged in)."""

    def make(name: str) -> Client:
        client = Client(enforce_csrf_checks=True)
        if name != "anonymous":
            person = request.getfixturevalue(name)
            client.force_login(getattr(person, "user", person))
        return client

    return make


@pytest.fixture
def redis_worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    url = os.environ.get("REDIS_TEST_URL", "")
    if not url:
        service_missing("Redis (REDIS_TEST_URL)")
    import redis

    try:
        redis.Redis.from_url(url).flushdb()
    except redis.RedisError:
        service_missing(f"Redis at {url}")
    saved = (app.conf.broker_url, app.conf.broker_transport_options)
    # Celery reads CELERY_BROKER_URL from the environment before its own settings.
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    app.conf.broker_url = url
    app.conf.broker_transport_options = {"visibility_timeout": 60}
    _forget_connections()  # earlier tests may have published to the in-memory broker
    try:
        # Every queue (CELERY_TASK_QUEUES), as the worker of make run consumes them.
        queues = [queue.name for queue in app.conf.task_queues]
        with start_worker(
            app, pool="solo", perform_ping_check=False, shutdown_timeout=30, queues=queues
        ):
            yield
    finally:
        app.conf.broker_url, app.conf.broker_transport_options = saved
        _forget_connections()


def _forget_connections() -> None:
    """Drop the app's cached connection and producer pools, made for the previous broker."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def ready_entry(contest: Contest, entrant: Participant) -> Callable[..., Entry]:
    """An entry whose photo went through the real pipeline and waits for moderation."""

    def make(*, seed: int = 0, participant: Participant | None = None, **fields: object) -> Entry:
        data = photo_bytes(900, 600, seed=seed)
        name = originals_storage().save(f"t-{seed}.jpg", ContentFile(data))
        photo = Photo.objects.create(
            original=name,
            original_name="IMG_1.JPG",
            original_format="JPEG",
            original_bytes=len(data),
        )
        entry: Entry = EntryFactory(
            contest=contest, participant=participant or entrant, photo=photo, **fields
        )
        photo_process(photo_id=photo.pk)
        entry.refresh_from_db()
        return entry

    return make


@pytest.fixture
def approved(ready_entry: Callable[..., Entry], moderator: object) -> Callable[..., Entry]:
    """A public entry: processed for real, then approved by a moderator as seen."""
    from moderation.services import entry_decide
    from photos.selectors import renditions_hash

    def make(**kwargs: object) -> Entry:
        entry = ready_entry(**kwargs)
        entry_decide(
            entry_id=entry.pk,
            version=entry.version,
            moderator=moderator,  # type: ignore[arg-type]
            approve=True,
            seen_renditions=renditions_hash(entry.photo.renditions.all()),
        )
        return Entry.objects.select_related("photo", "contest", "participant").get(pk=entry.pk)

    return make
