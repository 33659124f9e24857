"""The relay's posts of a participant's photos, for their download and their account's
erasure (registered with contest.rights at start-up)."""

from __future__ import annotations

from typing import Any

from contest.models import Participant
from social.models import HashtagCandidate, SocialPost


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
