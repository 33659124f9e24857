"""The relay's posts of a participant's photos, and their claims of hashtag posts, for their
download and their account's erasure (registered with contest.rights at start-up)."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from contest.models import Participant
from social.models import HashtagCandidate, HashtagClaim, HashtagClaimEvent, SocialPost


def posts_export(participant: Participant) -> list[dict[str, Any]]:
    posts = SocialPost.objects.filter(entry__participant=participant).select_related(
        "entry__contest"
    )
    return [
        {
            "contest": post.entry.contest.slug,
            "network": post.network,
            "state": post.state,
            "caption": post.caption,
            "link": post.permalink,
            "posted_at": post.posted_at.isoformat() if post.posted_at else None,
        }
        for post in posts.order_by("created_at", "pk")
    ]


def posts_erase(participant: Participant) -> None:
    """Empties the captions (they carry the credit name). The posts themselves were taken
    down by the entries' withdrawal, which comes first (contest.rights.participant_erase)."""
    SocialPost.objects.filter(entry__participant=participant).update(caption="")
    HashtagCandidate.objects.filter(entry__participant=participant).update(caption="", media_url="")


def claims_export(participant: Participant) -> list[dict[str, Any]]:
    claims = HashtagClaim.objects.filter(participant=participant).select_related(
        "candidate__contest"
    )
    return [
        {
            "contest": claim.candidate.contest.slug,
            "instagram_post": claim.candidate.permalink,
            "instagram_username": claim.handle,
            "title": claim.title,
            "caption": claim.caption,
            "state": claim.state,
            "reason": claim.reason,
            "claimed_at": claim.created_at.isoformat(),
        }
        for claim in claims.order_by("created_at", "pk")
    ]


def claims_erase(participant: Participant) -> None:
    """Empties what the claims say of the person; a claim still open is closed (no mail:
    the account is going) and its post open to be claimed again; the images kept for the
    claims are deleted once this commits. The audit rows stay.

    The open claims are closed under their row locks: the entry job (claim_entry_make)
    makes an entry under the same lock, so it either finished first (the claim is entered,
    and the entry withdrawn with the others) or finds the claim closed and makes none."""
    from social.services import claim_image_drop

    with transaction.atomic():
        claims = HashtagClaim.objects.filter(participant=participant)
        open_ids = list(
            claims.select_for_update()
            .exclude(
                state__in=(
                    HashtagClaim.State.REFUSED,
                    HashtagClaim.State.ENTERED,
                    HashtagClaim.State.UNAVAILABLE,
                )
            )
            .values_list("pk", flat=True)
        )
        HashtagCandidate.objects.filter(
            claims__in=open_ids, state=HashtagCandidate.State.AWAITING
        ).update(state=HashtagCandidate.State.NEW)
        HashtagClaim.objects.filter(pk__in=open_ids).update(
            state=HashtagClaim.State.REFUSED, closed_at=timezone.now()
        )
        claims.update(handle="", title="", caption="", check_note="", reason="")
        HashtagClaimEvent.objects.filter(claim__participant=participant).update(note="")
        with_images = list(claims.exclude(image_name="").values_list("pk", flat=True))
        for claim_id in with_images:
            transaction.on_commit(partial(claim_image_drop, claim_id=claim_id))
