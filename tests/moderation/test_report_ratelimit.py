"""Reports past the limit: a signed-in reporter is counted as a person, a visitor who is not
by their address; the refusal keeps the form as it was filled."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from contest.models import Entry, Participant
from moderation.models import EntryReport
from tests.http import csrf_post

pytestmark = pytest.mark.django_db


def test_it_counts_a_signed_in_reporter_apart_from_the_others_on_their_address(
    approved: Callable[..., Entry], other_entrant: Participant, settings: Any
) -> None:
    settings.REPORTS_PER_HOUR = 1
    entry = approved(seed=1)
    url = reverse("moderation:report", args=[entry.photo.public_id])
    reporter = Client(enforce_csrf_checks=True)
    reporter.force_login(other_entrant.user)
    form = {"reason": "other", "message": "Une plaque d'immatriculation lisible."}

    assert csrf_post(reporter, url, form).status_code == 200
    refused = csrf_post(reporter, url, form)
    assert refused.status_code == 429
    assert refused["Retry-After"].isdigit()
    page = html.unescape(refused.content.decode())
    assert "Vous avez envoyé beaucoup de signalements en peu de temps." in page
    assert "Vous pourrez réessayer dans" in page
    # The form is still there, as it was filled, for when the wait is over.
    assert "Une plaque d'immatriculation lisible.</textarea>" in page
    # Someone else on the same address, signed in or not, is not held back.
    assert csrf_post(Client(enforce_csrf_checks=True), url, {"reason": "other"}).status_code == 200
    assert EntryReport.objects.count() == 2
