"""A voter past their hourly limit: a 429 page that leads back to the photo, no vote counted."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from contest.models import Entry, Participant
from gallery.models import Vote
from tests.http import csrf_post

pytestmark = pytest.mark.django_db


def test_it_answers_a_vote_past_the_limit_with_a_page_leading_back_to_the_photo(
    approved: Callable[..., Entry], other_entrant: Participant, settings: Any
) -> None:
    settings.VOTES_PER_HOUR = 1
    first, second = approved(seed=1), approved(seed=2)
    voter = Client(enforce_csrf_checks=True)
    voter.force_login(other_entrant.user)

    def vote(entry: Entry) -> Any:
        public_id = entry.photo.public_id
        page = reverse("gallery:photo", args=[public_id])
        return csrf_post(voter, reverse("gallery:vote", args=[public_id]), {}, page=page)

    assert vote(first).status_code == 302
    refused = vote(second)
    assert refused.status_code == 429
    assert refused["Retry-After"].isdigit()
    page = html.unescape(refused.content.decode())
    assert "Trop de votes en peu de temps." in page
    assert "Vous pourrez réessayer dans" in page
    photo = reverse("gallery:photo", args=[second.photo.public_id])
    assert f'<a href="{photo}#vote">Revenir à la page précédente</a>' in page
    assert list(Vote.objects.values_list("entry_id", flat=True)) == [first.pk]
    second.refresh_from_db()
    assert second.vote_count == 0
