"""The relay's jobs through a real Celery worker consuming from a real Redis: a post
scheduled for now is published once on commit, even with the same job sent twice, and a
withdrawal takes it down."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.db import transaction

from contest.models import Entry, Participant
from contest.rights import entry_withdraw
from social import tasks
from social.models import SocialAccount, SocialPost
from social.services import post_schedule
from tests.social.graph_standin import GraphStandIn

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def _wait(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def test_the_worker_posts_once_and_takes_the_post_down_on_withdrawal(
    redis_worker: None,
    graph: GraphStandIn,
    account: SocialAccount,
    approved: Callable[..., Entry],
    entrant: Participant,
) -> None:
    entry = approved(seed=1)
    with transaction.atomic():
        post = post_schedule(
            entry=entry, network="facebook", crop="carre", scheduled_at=None, user=None
        )
    tasks.publish_post.delay(post.pk)  # the same job again
    posted = SocialPost.objects.filter(pk=post.pk, state=SocialPost.State.POSTED)
    _wait(posted.exists, "the Facebook post")
    time.sleep(1)  # the second message is consumed too
    assert len(graph.calls_to("POST", "photos")) == 1

    assert entry_withdraw(entry_id=entry.pk, participant=entrant)
    deleted = SocialPost.objects.filter(pk=post.pk, state=SocialPost.State.DELETED)
    _wait(deleted.exists, "the take-down")
    assert graph.posts == {}
