"""Posting like a browser: fetch the page first, then send its CSRF token back."""

from __future__ import annotations

import html
import re
from typing import Any

from django.test import Client
from django.test.client import MULTIPART_CONTENT
from django.urls import reverse


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


def signin_link_form(client: Client, link: str) -> tuple[Any, dict[str, str]]:
    """Opens an e-mailed sign-in link: its page, and the fields its Continue button posts."""
    page = client.get(link)
    form = re.search(
        r'<form method="post" action="{}">(.*?)</form>'.format(
            re.escape(reverse("contest:signin_link"))
        ),
        page.content.decode(),
        re.DOTALL,
    )
    fields = (
        {
            name: html.unescape(value)
            for name, value in re.findall(
                r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(1)
            )
        }
        if form
        else {}
    )
    return page, fields


def follow_signin_link(client: Client, link: str) -> Any:
    """Opens an e-mailed sign-in link and presses Continue, as a rider does."""
    page, fields = signin_link_form(client, link)
    assert fields, page.content.decode()
    return client.post(reverse("contest:signin_link"), fields)
