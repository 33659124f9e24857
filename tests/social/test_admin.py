"""Connecting the accounts in the admin: the token goes in, is stored encrypted, and is
never shown back."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from social import crypto
from social.models import SocialAccount

pytestmark = pytest.mark.django_db

TOKEN = "EAAGsecretPageToken0000abcd"


def test_it_takes_a_token_stores_it_encrypted_and_never_shows_it(staff: Any) -> None:
    client = Client()
    client.force_login(staff)
    add = reverse("admin:social_socialaccount_add")
    form = {
        "name": "Réseau Mistral",
        "facebook_page_id": "1048576",
        "instagram_user_id": "178414",
        "access_token": TOKEN,
        "token_expires_at_0": "2027-02-01",
        "token_expires_at_1": "10:00:00",
        "active": "on",
    }
    assert client.post(add, form).status_code == 302
    account = SocialAccount.objects.get()
    assert crypto.token_decrypt(account.token_encrypted) == TOKEN
    assert TOKEN not in account.token_encrypted

    change = reverse("admin:social_socialaccount_change", args=[account.pk])
    page = client.get(change).content.decode()
    assert TOKEN not in page and account.token_encrypted not in page
    assert "…abcd" in page
    listing = client.get(reverse("admin:social_socialaccount_changelist")).content.decode()
    assert TOKEN not in listing and "…abcd" in listing

    # Saved again without a token: the stored one stays.
    assert client.post(change, {**form, "access_token": "", "name": "Mistral"}).status_code == 302
    account.refresh_from_db()
    assert account.name == "Mistral"
    assert crypto.token_decrypt(account.token_encrypted) == TOKEN


def test_it_asks_for_a_token_for_a_new_account(staff: Any) -> None:
    client = Client()
    client.force_login(staff)
    response = client.post(
        reverse("admin:social_socialaccount_add"),
        {"name": "Mistral", "facebook_page_id": "1048576", "active": "on"},
    )
    assert response.status_code == 200
    assert "Saisissez le jeton d’accès de la Page." in response.content.decode()
    assert not SocialAccount.objects.exists()


def test_the_claims_audit_log_is_shown_and_cannot_be_edited(staff: Any) -> None:
    from social.models import HashtagClaimEvent

    client = Client()
    client.force_login(staff)
    changelist = reverse("admin:social_hashtagclaimevent_changelist")
    assert client.get(changelist).status_code == 200
    assert not HashtagClaimEvent.objects.exists()
    assert client.get(reverse("admin:social_hashtagclaimevent_add")).status_code == 403
