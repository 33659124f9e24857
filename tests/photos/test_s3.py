"""The S3 path, against moto's S3 server (a real HTTP S3 endpoint)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from django.test import Client
from django.urls import reverse

from contest.models import Contest, Participant
from photos.models import Photo
from photos.services import originals_storage, photo_process
from tests.conftest import service_missing
from tests.http import csrf_post, upload_data
from tests.images import gps_exif, photo_bytes, upload

pytestmark = [pytest.mark.s3, pytest.mark.django_db]
BUCKET = "coverline-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    endpoint = os.environ.get("MOTO_S3_ENDPOINT", "")
    process = None
    if not endpoint:
        server = Path(sys.executable).with_name("moto_server")
        if not server.exists():
            service_missing("moto_server")
        port = _free_port()
        process = subprocess.Popen(
            [str(server), "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        endpoint = f"http://127.0.0.1:{port}"
    for _ in range(80):
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2)
            break
        except OSError:
            time.sleep(0.25)
    else:
        service_missing(f"moto S3 server at {endpoint}")
    yield endpoint
    if process:
        process.terminate()
        process.wait(10)


@pytest.fixture
def s3(moto_endpoint: str, settings: object) -> Iterator[object]:
    # moto keeps its state between tests unless told to forget it.
    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"))
    client = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.create_bucket(Bucket=BUCKET)
    common = {
        "bucket_name": BUCKET,
        "endpoint_url": moto_endpoint,
        "region_name": "us-east-1",
        "access_key": "test",
        "secret_key": "test",
        "file_overwrite": False,
    }
    settings.STORAGES = {  # type: ignore[attr-defined]
        **settings.STORAGES,  # type: ignore[attr-defined]
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                **common,
                "location": "media",
                "querystring_auth": False,
                "default_acl": "public-read",
            },
        },
        "originals": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                **common,
                "location": "originals",
                "default_acl": "private",
                "querystring_auth": True,
            },
        },
    }
    yield client


def test_it_stores_originals_privately_and_renditions_publicly_on_s3(
    s3: object, entrant: Participant, contest: Contest
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(entrant.user)
    data = photo_bytes(1400, 1000, seed=7, exif=gps_exif())
    response = csrf_post(
        client,
        reverse("contest:upload", args=[contest.slug]),
        upload_data(
            (upload("IMG_0042.JPG", data=data), "Quai", "Un quai de gare.", contest.themes.first())
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    photo = Photo.objects.get()

    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}  # type: ignore[attr-defined]
    assert keys == {f"originals/{photo.original}"}
    acl = s3.get_object_acl(Bucket=BUCKET, Key=f"originals/{photo.original}")  # type: ignore[attr-defined]
    assert not [g for g in acl["Grants"] if "AllUsers" in str(g.get("Grantee", {}))]
    signed = originals_storage().url(photo.original)
    assert "Signature=" in signed
    # Without the signature, the original is out of reach.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(signed.split("?")[0])
    assert refused.value.code == 403

    photo_process(photo_id=photo.pk)
    photo.refresh_from_db()
    assert photo.status == Photo.Status.READY
    assert photo.had_gps
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}  # type: ignore[attr-defined]
    renditions = {k for k in keys if k.startswith("media/renditions/")}
    assert len(renditions) == 5
    for rendition in photo.renditions.all():
        url = rendition.file.url
        assert "Signature" not in url
        body = urllib.request.urlopen(url).read()
        assert len(body) == rendition.bytes
        assert b"GPS" not in body and b"Exif" not in body
    # The page shows renditions, never the original's key.
    page = client.get(reverse("contest:my_entries", args=[contest.slug])).content.decode()
    assert photo.original not in page


def test_it_removes_the_s3_original_when_the_entry_is_refused(
    s3: object, entrant: Participant, contest: Contest
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(entrant.user)
    same = photo_bytes(seed=8)
    url = reverse("contest:upload", args=[contest.slug])
    csrf_post(
        client, url, upload_data((upload("a.jpg", data=same), "A", "A", contest.themes.first()))
    )
    response = csrf_post(
        client,
        url,
        upload_data(
            (upload("b.jpg", seed=11), "B", "B", contest.themes.first()),
            (upload("a-again.jpg", data=same), "C", "C", contest.themes.first()),
            total=2,
        ),
    )
    assert response.status_code == 400
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]  # type: ignore[attr-defined]
    assert len(keys) == 1
