"""Reads of the relay: marketing's queue of posts for a contest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Prefetch
from django.utils import timezone

from photos.models import Rendition
from social.models import (
    HashtagCandidate,
    HashtagClaim,
    HashtagSource,
    SocialAccount,
    SocialPost,
)

QUEUE_SIZE = 200
State = SocialPost.State
# The claimant may ask for a new check of their code this often (social.services).
CLAIM_CHECK_EVERY = timedelta(minutes=1)
# The claim page reloads itself while the image is being fetched, for this long at most.
CLAIM_FETCH_POLL_FOR = timedelta(minutes=5)


@dataclass(frozen=True)
class ClaimProgress:
    """What the claimant's page says is under way, and so whether it reloads itself."""

    fetching: bool  # the post's image is being taken from Instagram
    checking: bool  # a check the claimant asked for has not run yet


def claim_progress(*, claim: HashtagClaim, now: datetime | None = None) -> ClaimProgress:
    now = now or timezone.now()
    asked = claim.check_asked_at
    return ClaimProgress(
        fetching=claim.state == HashtagClaim.State.AWAITING
        and not claim.image_name
        and claim.created_at > now - CLAIM_FETCH_POLL_FOR,
        checking=asked is not None
        and (claim.checked_at is None or claim.checked_at < asked)
        and asked > now - CLAIM_CHECK_EVERY,
    )


@dataclass(frozen=True)
class PostQueue:
    to_remove: Sequence[SocialPost]  # Instagram posts to delete by hand
    failed: Sequence[SocialPost]
    waiting: Sequence[SocialPost]  # scheduled or being published
    posted: Sequence[SocialPost]
    closed: Sequence[SocialPost]  # cancelled or deleted
    accounts: Sequence[SocialAccount]


def post_queue(*, contest_id: int) -> PostQueue:
    """The contest's latest posts sorted by what marketing has to do about them: two
    queries whatever their number."""
    posts = list(
        SocialPost.objects.filter(entry__contest_id=contest_id)
        .select_related("entry__photo", "account")
        .prefetch_related(
            Prefetch(
                "entry__photo__renditions",
                queryset=Rendition.objects.filter(spec="thumb", format="jpeg"),
                to_attr="thumbs",
            )
        )
        .order_by("-scheduled_at", "-id")[:QUEUE_SIZE]
    )

    def having(*states: str) -> list[SocialPost]:
        return [post for post in posts if post.state in states]

    waiting = sorted(having(State.SCHEDULED, State.PUBLISHING), key=lambda p: p.next_attempt_at)
    return PostQueue(
        to_remove=having(State.REMOVE_BY_HAND),
        failed=having(State.FAILED),
        waiting=waiting,
        posted=having(State.POSTED),
        closed=having(State.CANCELLED, State.DELETED),
        accounts=list(SocialAccount.objects.filter(active=True).order_by("pk")),
    )


def hashtag_candidates(*, contest_id: int) -> list[HashtagCandidate]:
    """The posts found under the campaign's hashtag: claims to check first, then new ones,
    latest first. Each has `open_claims` (its claim not closed unentered, at most one) with its
    claimant: two queries whatever their number."""
    order: dict[str, int] = {"awaiting": 0, "new": 1, "claimed": 2}
    found = list(
        HashtagCandidate.objects.filter(contest_id=contest_id)
        .select_related("entry")
        .prefetch_related(
            Prefetch(
                "claims",
                queryset=HashtagClaim.objects.exclude(
                    state__in=(HashtagClaim.State.REFUSED, HashtagClaim.State.UNAVAILABLE)
                )
                .select_related("participant")
                .order_by("-created_at"),
                to_attr="open_claims",
            )
        )
        .order_by("-taken_at", "-id")[:QUEUE_SIZE]
    )
    return sorted(found, key=lambda c: order.get(c.state, 3))


def hashtag_claim_of(*, candidate_id: int, participant_id: int) -> HashtagClaim | None:
    """The participant's latest claim of the post, for the claim page."""
    return (
        HashtagClaim.objects.filter(candidate_id=candidate_id, participant_id=participant_id)
        .select_related("entry")
        .order_by("-created_at", "-id")
        .first()
    )


def hashtag_source(*, contest_id: int) -> HashtagSource | None:
    return HashtagSource.objects.filter(contest_id=contest_id).first()
