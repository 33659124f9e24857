"""Phone or computer: the class of the upload's browser is kept, never its User-Agent."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from contest.devices import device_class
from contest.models import Contest, Entry
from tests.http import csrf_post, upload_data
from tests.images import upload

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Safari/537.36"
)
WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15"
)


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        (IPHONE, "phone"),
        (ANDROID_TABLET, "phone"),
        (WINDOWS, "computer"),
        (MAC, "computer"),
        ("curl/8.5.0", ""),
        ("", ""),
    ],
)
def test_it_tells_a_phone_from_a_computer(user_agent: str, expected: str) -> None:
    assert device_class(user_agent) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(("user_agent", "expected"), [(IPHONE, "phone"), (WINDOWS, "computer")])
def test_it_records_the_device_class_of_an_upload_and_not_the_user_agent(
    entrant_client: Client, contest: Contest, user_agent: str, expected: str
) -> None:
    url = reverse("contest:upload", args=[contest.slug])
    data = upload_data((upload(seed=4), "Tram", "Un tram.", contest.themes.first()))
    response = csrf_post(entrant_client, url, data, HTTP_USER_AGENT=user_agent)
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert entry.device == expected
    row = Entry.objects.filter(pk=entry.pk).values().get()
    assert not any(isinstance(v, str) and "Mozilla" in v for v in row.values())
