"""Posting like a browser: fetch the page first, then send its CSRF token back."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.test.client import MULTIPART_CONTENT


def csrf_post(
    client: Client, url: str, data: dict[str, Any], *, page: str | None = None, **extra: Any
) -> Any:
    client.get(page or url)
    token = client.cookies["csrftoken"].value
    return client.post(
        url, {**data, "csrfmiddlewaretoken": token}, content_type=MULTIPART_CONTENT, **extra
    )


def upload_data(*photos: tuple[Any, str, str, Any], total: int = 3) -> dict[str, Any]:
    """The entry formset's fields for (file, title, caption, theme) tuples."""
    data: dict[str, Any] = {
        "photos-TOTAL_FORMS": str(total),
        "photos-INITIAL_FORMS": "0",
        "photos-MIN_NUM_FORMS": "1",
        "photos-MAX_NUM_FORMS": str(total),
    }
    for index, (file, title, caption, theme) in enumerate(photos):
        data[f"photos-{index}-photo"] = file
        data[f"photos-{index}-title"] = title
        data[f"photos-{index}-caption"] = caption
        if theme is not None:
            data[f"photos-{index}-theme"] = str(theme.pk)
    return data
