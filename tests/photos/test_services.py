"""photo_process and the sweep for forgotten photos, called directly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from photos.models import Photo, Rendition
from photos.services import photo_process, photos_requeue_stuck
from tests.images import gps_exif, photo_bytes

pytestmark = pytest.mark.django_db


def test_it_makes_every_rendition_and_records_what_it_learnt(
    make_photo: Callable[..., Photo], all_renditions: set[tuple[str, str]]
) -> None:
    exif = gps_exif()
    exif.get_ifd(0x8769)[36867] = "2026:06:21 07:45:00"
    photo = make_photo(photo_bytes(2000, 1500, exif=exif))
    photo_process(photo_id=photo.pk)

    photo.refresh_from_db()
    assert photo.status == Photo.Status.READY
    assert (photo.width, photo.height) == (2000, 1500)
    assert photo.had_gps
    assert photo.taken_at is not None
    assert timezone.localtime(photo.taken_at).hour == 7
    assert len(photo.sha256) == 64 and len(photo.phash) == 16
    made = {(r.spec, r.format) for r in photo.renditions.all()}
    assert made == all_renditions
    for rendition in photo.renditions.all():
        with default_storage.open(rendition.file.name) as f:
            image = Image.open(f)
            assert (image.width, image.height) == (rendition.width, rendition.height)
            assert not image.getexif()
        assert str(photo.public_id) in rendition.file.name
        assert rendition.file.url.startswith("/media/renditions/")


def test_it_does_nothing_the_second_time(make_photo: Callable[..., Photo]) -> None:
    photo = make_photo()
    photo_process(photo_id=photo.pk)
    files_before = sorted(Rendition.objects.values_list("file", flat=True))
    photo_process(photo_id=photo.pk)
    assert sorted(Rendition.objects.values_list("file", flat=True)) == files_before
    photo.refresh_from_db()
    assert photo.attempts == 1


def test_it_makes_only_what_is_missing(
    make_photo: Callable[..., Photo], all_renditions: set[tuple[str, str]]
) -> None:
    photo = make_photo()
    photo_process(photo_id=photo.pk)
    kept = Rendition.objects.get(photo=photo, spec="display", format="webp")
    lost = Rendition.objects.get(photo=photo, spec="thumb", format="jpeg")
    lost.delete()
    # A crash left the photo half made.
    Photo.objects.filter(pk=photo.pk).update(status=Photo.Status.PROCESSING)
    photo_process(photo_id=photo.pk)
    assert {(r.spec, r.format) for r in photo.renditions.all()} == all_renditions
    assert Rendition.objects.get(pk=kept.pk).file.name == kept.file.name


def test_it_marks_a_photo_failed_when_it_decodes_in_the_header_only(
    make_photo: Callable[..., Photo],
) -> None:
    data = photo_bytes(1600, 1200, seed=3)
    photo = make_photo(data[: len(data) // 2])
    photo_process(photo_id=photo.pk)
    photo.refresh_from_db()
    assert photo.status == Photo.Status.FAILED
    assert photo.failure == "corrupt"
    assert not photo.renditions.exists()


def test_it_marks_a_photo_failed_when_its_original_is_gone(
    make_photo: Callable[..., Photo],
) -> None:
    photo = make_photo()
    Photo.objects.filter(pk=photo.pk).update(original="vanished.jpg")
    photo_process(photo_id=photo.pk)
    photo.refresh_from_db()
    assert (photo.status, photo.failure) == (Photo.Status.FAILED, "missing")


def test_it_gives_up_after_three_attempts(make_photo: Callable[..., Photo]) -> None:
    photo = make_photo()
    Photo.objects.filter(pk=photo.pk).update(status=Photo.Status.PROCESSING, attempts=3)
    photo_process(photo_id=photo.pk)
    photo.refresh_from_db()
    assert (photo.status, photo.failure) == (Photo.Status.FAILED, "gave_up")


def test_it_returns_quietly_when_the_photo_was_deleted() -> None:
    photo_process(photo_id=987654)


def test_it_requeues_photos_stuck_in_processing(
    make_photo: Callable[..., Photo], django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    stuck = make_photo(seed=1)
    fresh = make_photo(seed=2)
    hopeless = make_photo(seed=3)
    long_ago = timezone.now() - timedelta(hours=1)
    Photo.objects.filter(pk=stuck.pk).update(
        status=Photo.Status.PROCESSING, attempts=1, updated_at=long_ago
    )
    Photo.objects.filter(pk=hopeless.pk).update(
        status=Photo.Status.PROCESSING, attempts=3, updated_at=long_ago
    )
    assert fresh.status == Photo.Status.RECEIVED

    from photos import tasks

    sent: list[int] = []
    original = tasks.process_photo.delay
    tasks.process_photo.delay = lambda photo_id: sent.append(photo_id)  # type: ignore[method-assign]
    try:
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            assert photos_requeue_stuck() == 1
    finally:
        tasks.process_photo.delay = original  # type: ignore[method-assign]
    assert sent == [stuck.pk]
    hopeless.refresh_from_db()
    assert hopeless.status == Photo.Status.FAILED
    # A second sweep right away does not send it again.
    assert photos_requeue_stuck() == 0


def test_it_raises_a_transient_error_when_storage_is_unreachable(
    make_photo: Callable[..., Photo], settings: object
) -> None:
    """An S3 endpoint that refuses connections: the task must retry, not fail the photo."""
    from botocore.config import Config

    from photos import tasks
    from photos.services import StorageUnavailable

    photo = make_photo()
    settings.STORAGES = {  # type: ignore[attr-defined]
        **settings.STORAGES,  # type: ignore[attr-defined]
        "originals": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "nowhere",
                "endpoint_url": "http://127.0.0.1:9",
                "access_key": "x",
                "secret_key": "x",
                "region_name": "us-east-1",
                "client_config": Config(retries={"max_attempts": 0}, connect_timeout=1),
            },
        },
    }
    with pytest.raises(StorageUnavailable):
        photo_process(photo_id=photo.pk)
    photo.refresh_from_db()
    # Not failed, and back to "received": it will be tried again.
    assert photo.status == Photo.Status.RECEIVED
    assert StorageUnavailable in tasks.process_photo.autoretry_for


def test_it_survives_a_long_storage_outage_without_burning_the_photos_attempts(
    make_photo: Callable[..., Photo], settings: object
) -> None:
    """Ten runs during an outage leave the photo waiting, not failed; once storage is
    back, the next run makes its renditions."""
    from photos.services import StorageUnavailable

    photo = make_photo()
    working = settings.STORAGES  # type: ignore[attr-defined]
    settings.STORAGES = {  # type: ignore[attr-defined]
        **working,
        "originals": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            # A file where the folder should be: every open fails with an OSError.
            "OPTIONS": {"location": __file__ + "/nowhere"},
        },
    }
    for _ in range(10):
        with pytest.raises(StorageUnavailable):
            photo_process(photo_id=photo.pk)
    photo.refresh_from_db()
    assert (photo.status, photo.attempts) == (Photo.Status.RECEIVED, 0)
    settings.STORAGES = working  # type: ignore[attr-defined]
    photo_process(photo_id=photo.pk)
    photo.refresh_from_db()
    assert photo.status == Photo.Status.READY


def test_it_retries_storage_errors_over_minutes_not_seconds() -> None:
    from celery.utils.time import get_exponential_backoff_interval

    from photos import tasks

    task = tasks.process_photo
    delays = [
        get_exponential_backoff_interval(
            factor=task.retry_backoff,
            retries=n,
            maximum=task.retry_backoff_max,
            full_jitter=task.retry_jitter,
        )
        for n in range(task.max_retries)
    ]
    assert min(delays) >= 60
    assert sum(delays) >= 30 * 60
