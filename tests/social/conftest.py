"""The Graph API stand-in on loopback, and the operator's connected account."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from social.models import SocialAccount
from social.services import account_token_set
from tests.social.graph_standin import GraphStandIn

TOKEN = "EAAGpageTokenForTestsOnly1234"
PAGE_ID = "104857600000001"
IG_USER_ID = "17841400000000001"


def fetched_image_size(url: str) -> tuple[int, int] | None:
    """What the network would fetch at `url`: the size of the JPEG found there, or None."""
    prefix = "http://testserver/media/"
    if not url.startswith(prefix):
        return None
    try:
        with default_storage.open(url.removeprefix(prefix), "rb") as file, Image.open(file) as im:
            return im.size if im.format == "JPEG" else None
    except FileNotFoundError:
        return None


@pytest.fixture
def graph(settings: Any) -> Iterator[GraphStandIn]:
    standin = GraphStandIn(tokens={TOKEN}, image_check=fetched_image_size)
    standin.start()
    settings.GRAPH_API_BASE_URL = standin.base_url
    settings.GRAPH_API_TIMEOUT = 5.0
    settings.SOCIAL_IG_POLL_SECONDS = 0.0
    settings.SITE_URL = "http://testserver"
    try:
        yield standin
    finally:
        standin.stop()


@pytest.fixture
def account(db: None) -> SocialAccount:
    account = SocialAccount(
        name="Réseau Mistral", facebook_page_id=PAGE_ID, instagram_user_id=IG_USER_ID
    )
    account_token_set(account=account, token=TOKEN)
    return account
