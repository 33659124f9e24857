"""Seeds the loopback stack (bench/stack.py) for the fault and load tests: one JSON line out.

Run in the stack's environment (Stack.seed): a contest open for entries and votes, riders
with a signed-in session each (as a sign-in link leaves them), and public entries to vote on,
made by the real services (upload, processing, a moderator's approval). Options (a JSON
object as the only argument): riders, prefix, photos_per_rider, public_entries, contest,
photos (names in shared/data/photos for the public entries, in turn).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.files import File  # noqa: E402
from django.utils import timezone  # noqa: E402

from contest import services  # noqa: E402
from contest.models import Contest, Entry, Participant  # noqa: E402
from moderation.services import entry_decide  # noqa: E402
from photos import imaging  # noqa: E402
from photos.selectors import renditions_hash  # noqa: E402
from photos.services import photo_process, upload_policy  # noqa: E402

PHOTOS = settings.BASE_DIR.parent / "shared" / "data" / "photos"
# Small real photos for the public entries (processed here, in this process).
PUBLIC_PHOTOS = ["jpeg_nokia-n70_iptc.jpg", "jpeg_iphone13mini_hdr-gainmap_mpo.jpg"]


def contest_get(slug: str, photos_per_rider: int) -> Contest:
    contest, _ = Contest.objects.get_or_create(
        slug=slug,
        defaults={
            "title_fr": "Charge",
            "pitch_fr": "Le concours du banc d'essai.",
            "rules_text_fr": "Article 1. Le concours est gratuit.",
            "rules_version": "1",
            "opens_at": timezone.now() - timedelta(days=1),
            "closes_at": timezone.now() + timedelta(days=14),
            "status": Contest.Status.OPEN,
            "max_photos_per_participant": photos_per_rider,
            "votes_open": True,
        },
    )
    return contest


def rider_make(contest: Contest, email: str) -> dict[str, str]:
    user, _ = get_user_model().objects.get_or_create(username=email, defaults={"email": email})
    participant, _ = Participant.objects.get_or_create(
        user=user,
        defaults={
            "credit_name": email.split("@")[0][:40],
            "age_bracket": Participant.AgeBracket.ADULT,
            "email_verified_at": timezone.now(),
        },
    )
    services.enrollment_accept(
        contest=contest,
        participant=participant,
        allows_gallery=True,
        allows_social=True,
        allows_print=True,
        ip_address="127.0.0.1",
    )
    # What django.contrib.auth.login leaves in the session (a sign-in link's landing).
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return {"email": email, "session": str(session.session_key)}


def public_entries(contest: Contest, count: int, photos: list[str] | None = None) -> list[str]:
    """`count` approved entries with their renditions (of `photos`, in turn); public ids."""
    photos = photos or PUBLIC_PHOTOS
    have = list(
        Entry.objects.filter(contest=contest, moderation=Entry.Moderation.APPROVED).values_list(
            "photo__public_id", flat=True
        )
    )
    moderator, created = get_user_model().objects.get_or_create(
        username="bench-moderator",
        defaults={"email": "moderator@bench.localhost", "is_staff": True},
    )
    if created:
        moderator.groups.add(Group.objects.get(name="Moderators"))
    for n in range(len(have), count):
        author = Participant.objects.get(
            user__username=rider_make(contest, f"author{n}@bench.localhost")["email"]
        )
        name = photos[n % len(photos)]
        with (PHOTOS / name).open("rb") as handle:
            upload = File(handle, name=name)
            upload.size = (PHOTOS / name).stat().st_size
            info = imaging.inspect_upload(upload, size=upload.size, policy=upload_policy())
            upload.seek(0)
            (entry,) = services.entry_submit(
                contest=contest,
                participant=author,
                drafts=[
                    services.EntryDraft(
                        upload=upload, info=info, title=f"Public {n}", caption="", theme=None
                    )
                ],
            )
        photo_process(photo_id=entry.photo_id)
        entry.refresh_from_db()
        entry_decide(
            entry_id=entry.pk,
            version=entry.version,
            moderator=moderator,
            approve=True,
            seen_renditions=renditions_hash(entry.photo.renditions.all()),
            # The same two files by several authors: the moderator has compared them.
            duplicate_confirmed=True,
        )
        have.append(entry.photo.public_id)
    return [str(public_id) for public_id in have[:count]]


def main(options: dict[str, Any]) -> dict[str, Any]:
    contest = contest_get(options.get("contest", "charge"), options.get("photos_per_rider", 20))
    prefix = options.get("prefix", "rider")
    riders = [
        rider_make(contest, f"{prefix}{n}@bench.localhost") for n in range(options.get("riders", 0))
    ]
    public = public_entries(contest, options.get("public_entries", 0), options.get("photos"))
    return {"contest": contest.slug, "riders": riders, "public": public}


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1] if len(sys.argv) > 1 else "{}"))))
