"""Rate limits: aligned hourly windows that know their Retry-After, a person's limit and an
address's, and the 429 answer of each limited action (upload, vote, report, sign-in link)."""

from __future__ import annotations

import html
import itertools
import math
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis
from django.core.cache import caches
from django.test import Client
from django.urls import reverse
from django.utils import translation

from contest.models import Contest, Entry
from core.ratelimit import Limit, RateLimited, address_key, rate_limit
from tests.conftest import service_missing
from tests.factories import EnrollmentFactory, ParticipantFactory, UserFactory
from tests.http import csrf_post, upload_data
from tests.images import upload

HOUR = 3600
WINDOW_START = 1_800_000_000 - 1_800_000_000 % HOUR  # the first second of an hour
# A Redis cache where nothing listens (port 9, "discard"): every cache call fails.
CACHE_DOWN = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",
        "OPTIONS": {"socket_connect_timeout": 0.2},
    }
}


def test_it_refuses_past_the_limit_until_its_window_ends() -> None:
    limit = Limit("test:user:1", 2)
    rate_limit(limit, now=WINDOW_START + 3000)
    rate_limit(limit, now=WINDOW_START + 3001)
    with pytest.raises(RateLimited) as refused:
        rate_limit(limit, now=WINDOW_START + 3000.5)
    assert refused.value.retry_after == 600  # 599.5 seconds left, rounded up
    assert refused.value.minutes == 10
    # The next hour counts from zero.
    rate_limit(limit, now=WINDOW_START + HOUR)
    rate_limit(limit, now=WINDOW_START + HOUR + 1)


def test_it_tells_the_wait_in_whole_minutes_rounded_up_in_french() -> None:
    with translation.override("fr"):
        assert RateLimited(retry_after=61).message == (
            "Trop de demandes sont arrivées de votre part en peu de temps. "
            "Vous pourrez réessayer dans 2 minutes."
        )
        assert RateLimited(retry_after=1).wait == "Vous pourrez réessayer dans 1 minute."
        assert RateLimited(retry_after=0).retry_after == 1  # never "retry after 0 seconds"


def test_it_does_not_count_the_address_once_the_person_is_over_their_limit() -> None:
    address = Limit(address_key("test", "198.51.100.7"), 3)

    def attempt(person: int) -> bool:
        try:
            rate_limit(Limit(f"test:user:{person}", 1), address)
        except RateLimited:
            return False
        return True

    assert attempt(1)
    # Person 1 insists: refused by their own limit, without using up the address's.
    assert [attempt(1) for _ in range(5)] == [False] * 5
    assert [attempt(2), attempt(3)] == [True, True]
    assert not attempt(4)  # the address's third and fourth people: its limit holds


def test_it_counts_every_event_of_simultaneous_requests_once() -> None:
    limit = Limit("test:address:busy", 8 * 50)
    at = time.time()
    start = threading.Barrier(8)
    refused: list[RateLimited] = []

    def burst() -> None:
        start.wait()  # all at once, the window's first event included
        for _ in range(50):
            try:
                rate_limit(limit, now=at)
            except RateLimited as error:
                refused.append(error)

    threads = [threading.Thread(target=burst) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert refused == []
    with pytest.raises(RateLimited):
        rate_limit(limit, now=at)


def test_it_counts_an_ipv6_subscriber_by_their_network() -> None:
    limit = Limit(address_key("test", "2001:db8:1:2::a"), 1)
    rate_limit(limit)
    with pytest.raises(RateLimited):
        rate_limit(Limit(address_key("test", "2001:db8:1:2:ffff::1"), 1))


def test_it_lets_everything_through_when_the_cache_is_down(settings: Any) -> None:
    settings.CACHES = CACHE_DOWN
    for _ in range(3):
        rate_limit(Limit("test:user:1", 0), Limit(address_key("test", "192.0.2.1"), 0))


@pytest.mark.redis
def test_it_counts_in_a_real_redis_shared_by_every_process(settings: Any) -> None:
    url = os.environ.get("REDIS_TEST_URL", "")
    if not url:
        service_missing("Redis (REDIS_TEST_URL)")
    # Keys of this run only: the database may be another test's.
    prefix = f"ratelimit-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
        }
    }
    limit = Limit("test:user:1", 2)
    now = time.time()
    rate_limit(limit, now=now)
    # Another web process: its own connection to the same Redis.
    caches["default"].close()
    rate_limit(limit, now=now)
    with pytest.raises(RateLimited) as refused:
        rate_limit(limit, now=now)
    window_end = (math.floor(now / HOUR) + 1) * HOUR
    assert refused.value.retry_after == math.ceil(window_end - now)
    # The bucket expires on its own shortly after its window.
    client = redis.Redis.from_url(url)
    (key,) = client.keys(f"{prefix}:*")
    assert 0 < client.ttl(key) <= math.ceil(window_end - now) + 60
    client.delete(key)


# --- the four limited actions, through the Django client ---------------------------------


@dataclass
class Scene:
    contest: Contest
    entry: Entry  # public, votes open
    clients: dict[int, Client]
    elsewhere: set[int]  # the people who are not behind the shared address


SHARED_ADDRESS = "192.0.2.20"


@pytest.fixture
def scene(contest: Contest, approved: Callable[..., Entry]) -> Scene:
    return Scene(
        contest=contest, entry=approved(seed=1, title="Le viaduc"), clients={}, elsewhere=set()
    )


_seeds = itertools.count(100)


def _browser(scene: Scene, person: int) -> Client:
    """Person `person`'s browser, behind the shared address unless they are elsewhere."""
    if person not in scene.clients:
        address = "203.0.113.50" if person in scene.elsewhere else SHARED_ADDRESS
        scene.clients[person] = Client(enforce_csrf_checks=True, REMOTE_ADDR=address)
    return scene.clients[person]


def _signed_in(scene: Scene, person: int) -> Client:
    """Person `person`'s browser, signed in and enrolled in the contest."""
    if person not in scene.clients:
        participant = ParticipantFactory(user=UserFactory(email=f"personne{person}@example.org"))
        EnrollmentFactory(contest=scene.contest, participant=participant)
        _browser(scene, person).force_login(participant.user)
    return scene.clients[person]


def _upload(scene: Scene, person: int) -> Any:
    url = reverse("contest:upload", args=[scene.contest.slug])
    theme = scene.contest.themes.first()
    photo = upload(f"IMG_{person}.JPG", seed=next(_seeds))
    return csrf_post(
        _signed_in(scene, person), url, upload_data((photo, "Tram", "Un tram.", theme), total=1)
    )


def _vote(scene: Scene, person: int) -> Any:
    public_id = scene.entry.photo.public_id
    page = reverse("gallery:photo", args=[public_id])
    return csrf_post(
        _signed_in(scene, person), reverse("gallery:vote", args=[public_id]), {}, page=page
    )


def _report(scene: Scene, person: int) -> Any:
    url = reverse("moderation:report", args=[scene.entry.photo.public_id])
    return csrf_post(_signed_in(scene, person), url, {"reason": "other"})


def _signin(scene: Scene, person: int) -> Any:
    email = f"personne{person}@example.org"
    return csrf_post(_browser(scene, person), reverse("contest:signin"), {"email": email})


@dataclass(frozen=True)
class Action:
    send: Callable[[Scene, int], Any]
    done: int  # the status of an attempt let through
    per_person: str
    per_address: str
    refusal: str  # what the 429 page says was too much, in French


ACTIONS = {
    "upload": Action(
        _upload, 302, "UPLOADS_PER_HOUR", "UPLOADS_PER_HOUR_PER_ADDRESS", "Trop d'envois"
    ),
    "vote": Action(_vote, 302, "VOTES_PER_HOUR", "VOTES_PER_HOUR_PER_ADDRESS", "Trop de votes"),
    "report": Action(
        _report,
        200,
        "REPORTS_PER_HOUR",
        "REPORTS_PER_HOUR_PER_ADDRESS",
        "Vous avez envoyé beaucoup de signalements",
    ),
    "sign-in link": Action(
        _signin,
        200,
        "SIGNIN_RATE_PER_HOUR",
        "SIGNIN_RATE_PER_HOUR_PER_ADDRESS",
        "Trop de liens ont été demandés",
    ),
}


def assert_too_many(response: Any, action: Action) -> None:
    """A 429 in French, whose Retry-After and text name the same wait."""
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= HOUR
    page = html.unescape(response.content.decode())
    assert '<html lang="fr">' in page
    assert action.refusal in page
    minutes = math.ceil(retry_after / 60)
    plural = "s" if minutes > 1 else ""
    assert f"Vous pourrez réessayer dans {minutes} minute{plural}." in page


@pytest.fixture(params=list(ACTIONS))
def action(request: pytest.FixtureRequest, settings: Any) -> Iterator[Action]:
    chosen = ACTIONS[request.param]
    setattr(settings, chosen.per_person, 1000)
    setattr(settings, chosen.per_address, 1000)
    yield chosen


def test_each_action_answers_429_in_french_with_retry_after_past_a_persons_limit(
    scene: Scene, action: Action, settings: Any
) -> None:
    setattr(settings, action.per_person, 2)
    assert [action.send(scene, 1).status_code for _ in range(2)] == [action.done] * 2
    assert_too_many(action.send(scene, 1), action)


def test_one_person_over_their_limit_does_not_block_another_on_the_same_address(
    scene: Scene, action: Action, settings: Any
) -> None:
    setattr(settings, action.per_person, 1)
    setattr(settings, action.per_address, 3)
    assert action.send(scene, 1).status_code == action.done
    for _ in range(4):
        assert_too_many(action.send(scene, 1), action)
    assert action.send(scene, 2).status_code == action.done
    assert action.send(scene, 3).status_code == action.done


def test_the_address_limit_stops_a_flood_of_different_people_from_one_address(
    scene: Scene, action: Action, settings: Any
) -> None:
    setattr(settings, action.per_address, 3)
    assert [action.send(scene, person).status_code for person in range(3)] == [action.done] * 3
    assert_too_many(action.send(scene, 3), action)
    scene.elsewhere.add(4)
    assert action.send(scene, 4).status_code == action.done  # someone elsewhere is not concerned


def test_each_action_is_let_through_when_the_cache_is_down(
    scene: Scene, action: Action, settings: Any
) -> None:
    setattr(settings, action.per_person, 0)
    setattr(settings, action.per_address, 0)
    settings.CACHES = CACHE_DOWN
    assert [action.send(scene, 1).status_code for _ in range(2)] == [action.done] * 2
