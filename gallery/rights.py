"""The votes a participant cast, for their download and their account's erasure
(registered with contest.rights at start-up)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F

from contest.models import Entry, Participant
from contest.services import contest_gallery_changed
from gallery.models import Vote


def votes_export(participant: Participant) -> list[dict[str, Any]]:
    votes = Vote.objects.filter(user_id=participant.user_id).select_related(
        "entry__photo", "entry__contest"
    )
    return [
        {
            "contest": vote.entry.contest.slug,
            "photo": str(vote.entry.photo.public_id),
            "title": vote.entry.title,
            "at": vote.created_at.isoformat(),
        }
        for vote in votes.order_by("created_at", "pk")
    ]


def votes_erase(participant: Participant) -> None:
    """Deletes the participant's votes and takes them off the photos' counts."""
    with transaction.atomic():
        votes = Vote.objects.select_for_update().filter(user_id=participant.user_id)
        voted = list(votes.values_list("entry_id", "entry__contest_id"))
        votes.delete()
        # One vote per user and photo (vote_once): each photo loses exactly one.
        Entry.objects.filter(pk__in=[entry_id for entry_id, _ in voted]).update(
            vote_count=F("vote_count") - 1
        )
        for contest_id in {contest_id for _, contest_id in voted}:
            contest_gallery_changed(contest_id=contest_id)
