"""The relay's jobs through a real Celery worker consuming from a real Redis: a post
scheduled for now is published once on commit, even with the same job sent twice, and a
withdrawal takes it down; a claim of a hashtag post is verified and entered once."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.db import transaction

from contest.models import Contest, Entry, Participant
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


def test_the_worker_verifies_a_claim_and_makes_its_entry_once(
    redis_worker: None,
    graph: GraphStandIn,
    account: SocialAccount,
    contest: Contest,
    entrant: Participant,
) -> None:
    from social.models import HashtagCandidate, HashtagClaim
    from social.services import candidate_claim
    from tests.images import photo_bytes

    candidate = HashtagCandidate.objects.create(
        contest=contest,
        media_id="1801",
        media_type="IMAGE",
        media_url=graph.cdn_url("1801.jpg", photo_bytes(1080, 1350, seed=3)),
        permalink="https://www.instagram.com/p/1801/",
    )
    with transaction.atomic():  # the jobs go on commit
        claim = candidate_claim(
            candidate_id=candidate.pk,
            participant=entrant,
            handle="camille.photo",
            title="Le tram du matin",
            caption="Un tram sous la pluie.",
            theme=contest.themes.first(),
        )
        # The author has added the claim's code to the post's caption.
        graph.business_accounts["camille.photo"] = [
            {
                "id": "1801",
                "caption": f"Mon tram #Couvertures2027 {claim.display_code}",
                "media_type": "IMAGE",
                "media_url": graph.cdn_url("1801-bd.jpg", b""),
                "permalink": "https://www.instagram.com/p/1801/",
                "timestamp": "2026-12-01T08:00:00+0000",
            }
        ]
    # The image is fetched, then the claim verified, then the entry made from the image kept.
    entered = HashtagClaim.objects.filter(pk=claim.pk, state=HashtagClaim.State.ENTERED)
    _wait(entered.exists, "the claim's entry")
    tasks.make_claim_entry.delay(claim.pk)  # the same jobs again
    tasks.verify_claim.delay(claim.pk)
    tasks.fetch_claim_image.delay(claim.pk)
    time.sleep(1)  # the three messages are consumed too
    assert Entry.objects.filter(participant=entrant).count() == 1
    assert HashtagCandidate.objects.get().entry == Entry.objects.get()
    assert HashtagClaim.objects.get().image_name == ""  # the image kept is deleted
