"""Staff send a feed in the admin; the worker's task imports it and the run shows how far."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.transit.conftest import GOOGLE, edit_line, zip_folder
from transit import gtfs
from transit.models import ImportRun, Line, Network
from transit.services import feed_import, network_get_or_create
from transit.tasks import import_feed

pytestmark = pytest.mark.django_db
UPLOAD = reverse("admin:transit_importrun_upload")


@pytest.fixture
def staff_client(staff: object) -> Client:
    client = Client()
    client.force_login(staff)  # type: ignore[arg-type]
    return client


def upload(
    client: Client, archive: Path, capture: Callable[..., Any], **fields: Any
) -> tuple[Any, list[Any]]:
    data = {"new_network": "Démo", **fields}
    data["feed"] = SimpleUploadedFile("feed.zip", archive.read_bytes(), "application/zip")
    with capture(execute=False) as callbacks:
        response = client.post(UPLOAD, data)
    return response, callbacks


def test_it_imports_an_uploaded_feed_in_the_worker_and_shows_the_summary(
    staff_client: Client,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    assert "Importer un flux GTFS" in staff_client.get(UPLOAD).content.decode()
    archive = zip_folder(GOOGLE, tmp_path / "feed.zip")

    response, enqueued = upload(staff_client, archive, django_capture_on_commit_callbacks)

    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:transit_importrun_change", args=[run.pk])
    assert len(enqueued) == 1  # the task, sent once the run is committed
    assert run.state == ImportRun.State.PENDING
    assert run.source_name == "feed.zip" and run.upload.name.startswith("gtfs/")
    assert not Line.objects.exists()
    waiting = staff_client.get(response.url).content.decode()
    assert "En attente du worker" in waiting
    assert 'http-equiv="refresh"' in waiting  # reloads itself while the worker works

    assert import_feed(run.pk) is True  # what the worker runs

    run.refresh_from_db()
    assert (run.state, run.progress) == (ImportRun.State.DONE, 100)
    assert run.summary["lines"] == {"created": 5, "updated": 0, "deactivated": 0}
    assert Line.objects.filter(network__name="Démo").count() == 5
    page = staff_client.get(response.url).content.decode()
    assert "Lignes : 5 créées, 0 mises à jour, 0 désactivées." in page
    assert 'http-equiv="refresh"' not in page


def test_it_runs_an_import_once_even_if_the_task_comes_twice(
    staff_client: Client, tmp_path: Path, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    upload(
        staff_client, zip_folder(GOOGLE, tmp_path / "feed.zip"), django_capture_on_commit_callbacks
    )
    run = ImportRun.objects.get()
    import_feed(run.pk)
    finished = ImportRun.objects.values().get()

    assert import_feed(run.pk) is False
    assert ImportRun.objects.values().get() == finished
    assert import_feed(run.pk + 1000) is False  # a run deleted since


def test_it_records_where_a_broken_upload_is_wrong_and_imports_nothing(
    staff_client: Client,
    tmp_path: Path,
    feed_copy: Callable[[Path], Path],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    broken = feed_copy(GOOGLE)
    edit_line(broken / "stop_times.txt", 3, "BEATTY_AIRPORT", "NOWHERE")
    upload(
        staff_client, zip_folder(broken, tmp_path / "feed.zip"), django_capture_on_commit_callbacks
    )
    run = ImportRun.objects.get()

    import_feed(run.pk)

    run.refresh_from_db()
    assert run.state == ImportRun.State.FAILED
    assert (run.error_file, run.error_line, run.error_column) == ("stop_times.txt", 3, "stop_id")
    assert not Line.objects.exists()
    page = staff_client.get(reverse("admin:transit_importrun_change", args=[run.pk]))
    assert "Aucun arrêt n’a l’identifiant « NOWHERE »" in page.content.decode()


def test_it_writes_progress_in_a_few_steps_however_many_rows(
    staff_client: Client,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    upload(
        staff_client, zip_folder(GOOGLE, tmp_path / "feed.zip"), django_capture_on_commit_callbacks
    )
    run = ImportRun.objects.get()
    monkeypatch.setattr(gtfs, "PROGRESS_EVERY", 1)  # the reader reports after every row

    with CaptureQueriesContext(connection) as queries:
        import_feed(run.pk)

    updates = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "transit_importrun"')]
    # Claim, at most one write per 5 %, "saving", done.
    assert 3 < len(updates) <= 1 + 20 + 1 + 1
    assert any("\"state\" = 'saving'" in sql for sql in updates)


def test_it_refuses_a_file_that_is_not_a_zip(
    staff_client: Client, tmp_path: Path, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    text = tmp_path / "stops.txt"
    text.write_bytes((GOOGLE / "stops.txt").read_bytes())

    response, enqueued = upload(staff_client, text, django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert "Ce fichier n’est pas une archive .zip." in response.content.decode()
    assert not ImportRun.objects.exists() and not enqueued


def test_it_adds_the_feed_to_an_existing_network_when_one_is_chosen(
    staff_client: Client, tmp_path: Path, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    tan = Network.objects.create(name="Tan", slug="tan")
    upload(
        staff_client,
        zip_folder(GOOGLE, tmp_path / "feed.zip"),
        django_capture_on_commit_callbacks,
        network=tan.pk,
        new_network="",
    )
    assert ImportRun.objects.get().network == tan


def test_it_keeps_the_upload_from_staff_without_the_permission(
    marketing: object, tmp_path: Path, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    client = Client()
    client.force_login(marketing)  # type: ignore[arg-type]
    response, _enqueued = upload(
        client, zip_folder(GOOGLE, tmp_path / "feed.zip"), django_capture_on_commit_callbacks
    )
    assert response.status_code == 403
    assert not ImportRun.objects.exists()


def test_it_lists_the_imported_lines_and_stops_for_staff(staff_client: Client) -> None:
    feed_import(source=GOOGLE, network=network_get_or_create(name="Démo"))
    stops = staff_client.get(reverse("admin:transit_stop_changelist"), {"q": "Bullfrog"})
    assert "Bullfrog (Demo)" in stops.content.decode()
    lines = staff_client.get(reverse("admin:transit_line_changelist"))
    assert "Airport - Bullfrog" in lines.content.decode()
    assert staff_client.get(reverse("admin:transit_importrun_changelist")).status_code == 200
    # Rows the feed writes are not edited by hand.
    add = staff_client.get(reverse("admin:transit_line_add"))
    assert add.status_code == 403
