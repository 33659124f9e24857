"""Every URL of the site against every persona: what each may see, and never a server error.

The table names each URL's access; a URL added without a line here fails the completeness
test, so every new page is checked against every persona. The jury's and the covers' URLs
are checked the same way, with their own personas (chair, other juror...), by
tests/jury/test_permissions.py and tests/covers/test_permissions.py; the admin is Django's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from contest.models import Contest, Entry, Participant
from moderation.models import ModerationEvent
from tests.conftest import PERSONAS
from tests.networks import line, nantes_network

pytestmark = pytest.mark.django_db

DELEGATED = ("admin:", "jury:", "covers:")
STAFF_LOGIN = "/gestion-admin/login/"
SIGN_IN = "/connexion/"
STAFF = ("juror", "marketing", "moderator")
RIDERS = ("entrant", "other_entrant")

# What a GET answers, per persona: a status, or (status, start of the Location).
Expected = int | tuple[int, str]


def everyone(answer: Expected) -> dict[str, Expected]:
    return dict.fromkeys(PERSONAS, answer)


def signed_in(answer: Expected) -> dict[str, Expected]:
    """A page of any signed-in person; the anonymous visitor is sent to sign in."""
    return {**everyone(answer), "anonymous": (302, SIGN_IN)}


def rider_step(answer: Expected) -> dict[str, Expected]:
    """A step of taking part: shown signed out (it starts with the sign-in), and staff
    accounts, which have no rider profile, are asked for one first."""
    return {
        **everyone(answer),
        "anonymous": 200,
        **dict.fromkeys(STAFF, (302, "/profil/")),
    }


def staff_only(holder: str, answer: Expected = 200) -> dict[str, Expected]:
    """A staff page: the holder of its permission only; others refused, never shown."""
    return {**everyone(403), "anonymous": (302, STAFF_LOGIN), holder: answer}


ACCESS: dict[str, dict[str, Expected]] = {
    "healthz": everyone(200),
    "staff_home": {**everyone(200), "anonymous": (302, STAFF_LOGIN)},
    "set_language": everyone((302, "/")),
    "contest:home": everyone(200),
    "contest:signin": everyone(200),
    "contest:signin_link": everyone(400),
    "contest:signout": everyone(405),
    "contest:profile": signed_in(200),
    "contest:my_photos": {
        **signed_in((302, "/concours/")),
        **dict.fromkeys(STAFF, (302, "/")),
    },
    "contest:parent_resend": signed_in(405),
    "contest:parent_confirm": everyone(400),
    "contest:parent_withdraw": everyone(405),
    "contest:enter": {**rider_step((302, "/concours/"))},
    "contest:rules": rider_step(200),
    "contest:upload": rider_step(200),
    "contest:my_entries": rider_step(200),
    # The entrant's approved photo has its place set by moderation: sent back to the list.
    "contest:entry_place": {**rider_step((302, "/concours/")), "other_entrant": 404},
    "contest:entry_withdraw": rider_step(405),
    "contest:use_withdraw": rider_step(405),
    "contest:my_data": signed_in(200),
    "contest:my_data_download": signed_in(405),
    "contest:account_delete": signed_in(405),
    "contest:rights_confirm": everyone(400),
    # The sample photo needs no release (no moderator marked it): nothing to ask for.
    "contest:release_request": rider_step(404),
    "contest:release_answer": everyone(400),
    "contest:brand_css": everyone(200),
    "moderation:queue": staff_only("moderator"),
    "moderation:triage_start": staff_only("moderator"),
    "moderation:triage_entry": staff_only("moderator"),
    "moderation:triage_next": staff_only("moderator"),
    "moderation:triage_decide": staff_only("moderator", 405),
    "moderation:triage_rotate": staff_only("moderator", 405),
    "moderation:triage_place": staff_only("moderator", 405),
    "moderation:triage_undo": staff_only("moderator", 405),
    "moderation:triage_identifiable": staff_only("moderator", 405),
    "moderation:bulk": staff_only("moderator", 405),
    "moderation:audit_csv": staff_only("moderator"),
    "moderation:original": staff_only("moderator"),
    "moderation:report": everyone(200),
    "gallery:landing": everyone(200),
    "gallery:gallery": everyone(200),
    "gallery:line": everyone(200),
    "gallery:lines_css": everyone(200),
    "gallery:feed": everyone(200),
    "gallery:photo": everyone(200),
    "gallery:vote": everyone(405),
    "gallery:share": everyone((302, "https://www.facebook.com/sharer/")),
    "gallery:embed": everyone(200),
    "gallery:relay": staff_only("marketing"),
    "gallery:vote_bursts": staff_only("marketing"),
    "gallery:social_kit": staff_only("marketing"),
    "dashboard:dashboard": staff_only("marketing"),
    "transit:lines_suggest": everyone(200),
    "transit:stops_suggest": everyone(200),
    "notifications:optout": everyone(400),
    "social:queue": staff_only("marketing"),
    "social:candidates": staff_only("marketing"),
    "social:schedule": staff_only("marketing", 405),
    # No post or candidate has that number: marketing is told so, the others refused.
    "social:retry": staff_only("marketing", 405),
    "social:mark_removed": staff_only("marketing", 405),
    "social:dismiss": staff_only("marketing", 405),
    "social:claim_confirm": staff_only("marketing", 405),
    "social:claim_refuse": staff_only("marketing", 405),
    "social:claim_retry": staff_only("marketing", 405),
    # A claim link that is not one: the rider's step shows nothing of it.
    "social:claim": rider_step(404),
    "social:claim_check": rider_step(405),
    # The resumable upload's protocol endpoints: tus creates by POST and resumes by
    # HEAD/PATCH, and an upload nobody created is unknown.
    "contest:tus_endpoint": everyone(405),
    "contest:tus_upload": everyone(404),
}


def site_patterns() -> list[tuple[str, str]]:
    """(name, route) of every named URL outside the delegated namespaces."""
    found: list[tuple[str, str]] = []

    def walk(patterns: list[URLPattern | URLResolver], prefix: str, ns: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                namespace = f"{pattern.namespace}:" if pattern.namespace else ""
                walk(pattern.url_patterns, prefix + str(pattern.pattern), ns + namespace)
            elif pattern.name and not (ns + pattern.name).startswith(DELEGATED):
                found.append((ns + pattern.name, prefix + str(pattern.pattern)))

    walk(get_resolver().url_patterns, "", "")
    return found


def test_it_names_the_access_of_every_url() -> None:
    names = {name for name, _route in site_patterns()}
    assert names - set(ACCESS) == set(), "a URL without its line in ACCESS"
    assert set(ACCESS) - names == set(), "a line in ACCESS for a URL that is gone"


@pytest.fixture
def samples(contest: Contest, entrant: Participant, approved: Callable[..., Entry]) -> Any:
    entry = approved(seed=1)
    network = nantes_network(contest=contest)
    event = ModerationEvent.objects.get(entry=entry)
    return {
        "slug": contest.slug,
        "entry_id": entry.pk,
        "public_id": entry.photo.public_id,
        "line_id": line(network, "2").pk,
        "network": network.slug,
        "token": "not-a-token",
        "use": "social",
        "event_id": event.pk,
        "post_id": 999,
        "candidate_id": 999,
        "claim_id": 999,
        "upload_id": "00000000-0000-4000-8000-000000000000",
    }


def url_for(name: str, route: str, samples: dict[str, Any]) -> str:
    values = {**samples, "network": "facebook"} if name == "gallery:share" else samples
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)


def _client(persona: str, request: pytest.FixtureRequest) -> Client:
    client = Client()
    if persona != "anonymous":
        person = request.getfixturevalue(persona)
        client.force_login(getattr(person, "user", person))
    return client


def _answer(response: Any, expected: Expected) -> Expected:
    if isinstance(expected, tuple):
        location = response.get("Location", "")
        prefix = expected[1]
        return (response.status_code, prefix if location.startswith(prefix) else location)
    return int(response.status_code)


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_gives_each_persona_what_it_may_see_of_every_url(
    persona: str, samples: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    wrong = []
    for name, route in site_patterns():
        url = url_for(name, route, samples)
        expected = ACCESS[name][persona]
        got = _answer(_client(persona, request).get(url), expected)
        if got != expected:
            wrong.append(f"GET {name} {url}: {got}, expected {expected}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_never_fails_on_an_empty_post_and_keeps_staff_posts_to_their_holders(
    persona: str, samples: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    wrong = []
    for name, route in site_patterns():
        url = url_for(name, route, samples)
        response = _client(persona, request).post(url, {})
        if response.status_code >= 500:
            wrong.append(f"POST {name} {url}: {response.status_code}")
        # A staff page (someone gets 403) for a persona it refuses.
        staff_page = 403 in ACCESS[name].values()
        refused = staff_page and ACCESS[name][persona] in (403, (302, STAFF_LOGIN))
        if refused and _answer(response, ACCESS[name][persona]) != ACCESS[name][persona]:
            wrong.append(f"POST {name} {url}: {response.status_code} for a refused persona")
    assert not wrong, "\n".join(wrong)
