"""Links asked for past the limit (sign-in, data-rights confirmations): refused with the wait
named, the form kept."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from contest import rights
from contest.models import Contest, Participant
from tests.http import csrf_post
from tests.mail import deliver_mail

pytestmark = pytest.mark.django_db


def test_it_keeps_the_sign_in_form_filled_with_its_429(contest: Contest, settings: Any) -> None:
    settings.SIGNIN_RATE_PER_HOUR = 1
    browser = Client(enforce_csrf_checks=True)
    url = reverse("contest:signin")
    assert csrf_post(browser, url, {"email": "lea@example.org"}).status_code == 200
    refused = csrf_post(browser, url, {"email": "lea@example.org"})
    assert refused.status_code == 429
    retry_after = int(refused["Retry-After"])
    page = html.unescape(refused.content.decode())
    minutes = -(-retry_after // 60)
    assert (
        "Trop de liens ont été demandés : utilisez le dernier lien envoyé. "
        f"Vous pourrez réessayer dans {minutes} minute"
    ) in page
    assert 'value="lea@example.org"' in page
    assert 'aria-invalid="true"' in page
    deliver_mail()
    assert len(mail.outbox) == 1


def test_it_names_the_wait_when_too_many_rights_links_were_asked_for(
    entrant: Participant, settings: Any
) -> None:
    settings.SIGNIN_RATE_PER_HOUR = 1

    def ask() -> None:
        rights.rights_request_send(
            participant=entrant,
            action=rights.Action.DELETE_ACCOUNT,
            language="fr",
            base_url="http://testserver",
        )

    ask()
    with translation.override("fr"), pytest.raises(rights.RightsRefused) as refused:
        ask()
    assert refused.value.message.startswith("Trop de liens ont été demandés")
    assert "Vous pourrez réessayer dans" in refused.value.message
