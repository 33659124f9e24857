"""Writes of the relay: scheduling posts, the worker that publishes them on the Facebook
Page and the Instagram account, and taking them down when the photo or its social use is
withdrawn.

Every network call is made by the worker on a post it claimed with a conditional UPDATE, and
each id the network returns is recorded before the next step: a job run twice, or run again
after a crash, posts once. A post whose call may have gone through without its id being
recorded is never posted again blindly: it fails with a message asking to check the page.
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from functools import partial

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from contest.models import Contest, Enrollment, Entry, Participant, Theme
from contest.selectors import entries_public
from contest.services import EntryDraft, EntryRefused, entry_submit, upload_advice
from core.errors import ApplicationError
from gallery.services import social_caption, social_hashtag, social_place
from notifications.services import message_queue
from photos import imaging
from photos.services import originals_storage, upload_policy
from social import crypto
from social.graph import (
    CONTAINER_ERROR,
    CONTAINER_EXPIRED,
    CONTAINER_FINISHED,
    CONTAINER_PUBLISHED,
    GraphClient,
    GraphError,
)
from social.models import (
    HashtagCandidate,
    HashtagClaim,
    HashtagClaimEvent,
    HashtagSource,
    SocialAccount,
    SocialPost,
)
from social.selectors import CLAIM_CHECK_EVERY

logger = logging.getLogger(__name__)

State = SocialPost.State
Network = SocialPost.Network
CROP_DIR = "renditions/social"
# A post left "publishing" this long was lost with its worker (the task's limit is 3 min).
STUCK_AFTER = timedelta(minutes=10)
# Retries of transient errors: 1, 2, 4... minutes; rate limits wait longer (Graph API,
# "Rate Limiting": usage decays over an hour).
RETRY_BASE = timedelta(minutes=1)
RATE_LIMIT_BASE = timedelta(minutes=15)
RETRY_MAX = timedelta(hours=6)


class PostRefused(ApplicationError):
    """The photo cannot be scheduled (not public, no consent, no account, already queued)."""


# --- accounts ----------------------------------------------------------------------------


def account_token_set(
    *, account: SocialAccount, token: str, expires_at: datetime | None = None
) -> None:
    """Stores a new Page access token, encrypted; a refused token's mark is cleared."""
    token = token.strip()
    account.token_encrypted = crypto.token_encrypt(token)
    account.token_hint = token[-4:] if len(token) >= 12 else ""
    account.token_rejected_at = None
    if expires_at is not None:
        account.token_expires_at = expires_at
    account.save()


def account_client(*, account: SocialAccount) -> GraphClient:
    return GraphClient(
        base_url=settings.GRAPH_API_BASE_URL,
        access_token=crypto.token_decrypt(account.token_encrypted),
        timeout=settings.GRAPH_API_TIMEOUT,
    )


# --- scheduling --------------------------------------------------------------------------


def entry_social_refusal(*, entry_id: int) -> str:
    """Why the entry may not be posted ("" when it may): it must be public (approved,
    shown in the gallery) and its participant must allow social media for its contest."""
    entry = entries_public().filter(pk=entry_id).only("contest_id", "participant_id").first()
    if entry is None:
        return _("This photo is not public (withdrawn, hidden or not approved).")
    allowed = Enrollment.objects.filter(
        contest_id=entry.contest_id, participant_id=entry.participant_id, allows_social=True
    ).exists()
    if not allowed:
        return _("Its author did not allow social media.")
    return ""


def post_caption(*, entry: Entry) -> str:
    """Title, caption, place, credit, contest, the photo page's address on SITE_URL (a
    worker has no request), and the campaign hashtag: the social kit's caption."""
    return social_caption(
        title=entry.title,
        caption=entry.caption,
        credit=entry.participant.credit_name,
        contest_title=entry.contest.title,
        url=settings.SITE_URL + reverse("gallery:photo", args=[entry.photo.public_id]),
        slug=entry.contest.slug,
        place=social_place(entry),
    ).strip()


def post_schedule(
    *,
    entry: Entry,
    network: str,
    crop: str,
    scheduled_at: datetime | None,
    user: User | None,
) -> SocialPost:
    """Queues the entry's photo for one network at `scheduled_at` (now when None).

    Raises PostRefused when the photo is not public, its author did not allow social
    media, no account can post to that network, or it is already queued or posted there.
    """
    if network not in Network.values or crop not in SocialPost.Crop.values:
        raise PostRefused(_("Choose a network and a crop."))
    refusal = entry_social_refusal(entry_id=entry.pk)
    if refusal:
        raise PostRefused(refusal)
    field = "facebook_page_id" if network == Network.FACEBOOK else "instagram_user_id"
    account = (
        SocialAccount.objects.filter(active=True)
        .exclude(**{field: ""})
        .exclude(token_encrypted="")
        .order_by("pk")
        .first()
    )
    if account is None:
        raise PostRefused(_("No account is connected for this network: add one in the admin."))
    when = scheduled_at or timezone.now()
    try:
        with transaction.atomic():
            post = SocialPost.objects.create(
                entry=entry,
                account=account,
                network=network,
                crop=crop,
                caption=post_caption(entry=entry),
                scheduled_at=when,
                next_attempt_at=when,
                scheduled_by=user,
            )
    except IntegrityError:
        raise PostRefused(_("This photo is already scheduled or posted on this network.")) from None
    if when <= timezone.now():
        from social.tasks import publish_post

        publish_post.delay_on_commit(post.pk)
    return post


def post_retry(*, post_id: int) -> bool:
    """Marketing asks a failed post to be tried again now (after reconnecting, say)."""
    now = timezone.now()
    try:
        with transaction.atomic():
            changed = SocialPost.objects.filter(
                pk=post_id, state=State.FAILED, withdrawn_at=None
            ).update(state=State.SCHEDULED, next_attempt_at=now, attempts=0, last_error="")
    except IntegrityError:  # posted again on that network meanwhile
        return False
    if changed:
        from social.tasks import publish_post

        publish_post.delay_on_commit(post_id)
    return bool(changed)


def post_mark_removed(*, post_id: int) -> bool:
    """Marketing deleted an Instagram post by hand, as the queue asked."""
    return bool(
        SocialPost.objects.filter(pk=post_id, state=State.REMOVE_BY_HAND).update(
            state=State.DELETED
        )
    )


# --- the worker --------------------------------------------------------------------------


def post_publish(*, post_id: int) -> str:
    """Publishes a due post; returns its state afterwards ("" when there was nothing to do).

    Claimed by a conditional UPDATE first, so of two runs only one calls the API.
    """
    now = timezone.now()
    claimed = SocialPost.objects.filter(
        pk=post_id, state=State.SCHEDULED, next_attempt_at__lte=now, withdrawn_at=None
    ).update(state=State.PUBLISHING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return ""
    post = SocialPost.objects.select_related(
        "account", "entry__photo", "entry__contest", "entry__participant"
    ).get(pk=post_id)
    refusal = entry_social_refusal(entry_id=post.entry_id)
    if refusal and not post.remote_id:
        return _finish(post, State.FAILED, error=refusal)
    try:
        client = account_client(account=post.account)
        if post.network == Network.FACEBOOK:
            note: str | None = _publish_facebook(post, client)
        else:
            note = _publish_instagram(post, client)
        if note is None:
            return State.SCHEDULED  # waits for the container or the daily limit
    except crypto.TokenUnreadable:
        return _finish(post, State.FAILED, error=_reconnect_message())
    except GraphError as error:
        return _failed_call(post, error)
    except _CropUnavailable as error:
        return _finish(post, State.FAILED, error=str(error))
    state = _finish(post, State.POSTED, error=note)
    # Withdrawn while the call was being made: the hook found it "publishing" and left it.
    if SocialPost.objects.filter(pk=post.pk).exclude(withdrawn_at=None).exists():
        # A transient failure: the beat job's take-downs find it again.
        with contextlib.suppress(GraphError):
            post_take_down(post_id=post.pk)
        return SocialPost.objects.get(pk=post.pk).state
    return state


def _publish_facebook(post: SocialPost, client: GraphClient) -> str:
    if not post.remote_id:
        url = _image_url(post)
        _photo_id, post_id = client.page_photo_create(
            page_id=post.account.facebook_page_id, url=url, caption=post.caption
        )
        _record(post, remote_id=post_id)
    if not post.permalink:
        data = client.object_fields(object_id=post.remote_id, fields="permalink_url")
        _record(post, permalink=str(data.get("permalink_url", ""))[:300])
    return ""


def _publish_instagram(post: SocialPost, client: GraphClient) -> str | None:
    """The two steps (container, then publish): a note for marketing ("" mostly), or None
    when the post must wait."""
    ig_user = post.account.instagram_user_id
    if not post.remote_id:
        if not post.container_id:
            # Instagram's documented daily limit (a rolling 24 hours): over it, the post
            # waits for the next day rather than failing.
            limit = client.ig_publishing_limit(ig_user_id=ig_user)
            if limit.reached:
                _wait_for_limit(post)
                return None
            url = _image_url(post)
            container = client.ig_container_create(
                ig_user_id=ig_user, image_url=url, caption=post.caption
            )
            _record(post, container_id=container)
        status = _container_status(client, post.container_id)
        if status == CONTAINER_PUBLISHED:
            # Published by an earlier run that died before recording the media id.
            return _("Posted, but its link could not be read back.")
        if status in (CONTAINER_ERROR, CONTAINER_EXPIRED):
            # An expired container (24 h) is made again on the next run; an error is final.
            _record(post, container_id="")
            if status == CONTAINER_EXPIRED:
                _reschedule(post, after=RETRY_BASE, count=False, error="")
                return None
            raise GraphError(message=_("Instagram could not process the image."), code=-2)
        if status != CONTAINER_FINISHED:
            _reschedule(post, after=RETRY_BASE, count=False, error="")
            return None
        media_id = client.ig_container_publish(ig_user_id=ig_user, container_id=post.container_id)
        _record(post, remote_id=media_id)
    if not post.permalink:
        data = client.object_fields(object_id=post.remote_id, fields="permalink")
        _record(post, permalink=str(data.get("permalink", ""))[:300])
    return ""


def _container_status(client: GraphClient, container_id: str) -> str:
    """Polls the container until it is no longer IN_PROGRESS, a few times at most."""
    status = ""
    for attempt in range(max(1, settings.SOCIAL_IG_POLL_TRIES)):
        if attempt:
            time.sleep(settings.SOCIAL_IG_POLL_SECONDS)
        status = client.ig_container_status(container_id=container_id)
        if status != "IN_PROGRESS":
            break
    return status


def _record(post: SocialPost, **fields: str) -> None:
    """Writes what the API just returned at once, before the next call."""
    SocialPost.objects.filter(pk=post.pk).update(**fields)
    for name, value in fields.items():
        setattr(post, name, value)


def _finish(post: SocialPost, state: str, *, error: str = "") -> str:
    fields: dict[str, object] = {"state": state, "last_error": error[:500]}
    if state == State.POSTED:
        fields["posted_at"] = timezone.now()
    if SocialPost.objects.filter(pk=post.pk, state=State.PUBLISHING).update(**fields):
        # The network copied the image when the post (or container) was made: the public
        # crop goes, and is made again should a later run need it.
        _crop_delete(post)
    return state


def _reschedule(post: SocialPost, *, after: timedelta, count: bool, error: str) -> None:
    """Back in the queue, due `after` from now; `count=False` gives the attempt back."""
    fields: dict[str, object] = {
        "state": State.SCHEDULED,
        "next_attempt_at": timezone.now() + after,
        "last_error": error[:500],
    }
    if not count:
        fields["attempts"] = F("attempts") - 1
    SocialPost.objects.filter(pk=post.pk, state=State.PUBLISHING).update(**fields)


def _wait_for_limit(post: SocialPost) -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)
    start = timezone.make_aware(datetime.combine(tomorrow, datetime.min.time()))
    _reschedule(
        post,
        after=start - timezone.now(),
        count=False,
        error=_("Instagram's daily publishing limit is reached: the post waits for tomorrow."),
    )


def _backoff(base: timedelta, attempts: int) -> timedelta:
    return min(base * (2 ** max(0, attempts - 1)), RETRY_MAX)


def _reconnect_message() -> str:
    return _(
        "The Facebook connection has expired or was revoked: reconnect the account "
        "(a new Page access token) in the admin, then try again."
    )


def _failed_call(post: SocialPost, error: GraphError) -> str:
    """Sorts an API error: retried later, waiting for tomorrow, or failed with its message."""
    attempts = SocialPost.objects.values_list("attempts", flat=True).get(pk=post.pk)
    logger.info("social post %s: %s", post.pk, error)
    if error.is_publishing_limit:
        _wait_for_limit(post)
        return State.SCHEDULED
    if error.is_rate_limit:
        # Not counted against the post: the network asked us to slow down, nothing is wrong.
        _reschedule(post, after=_backoff(RATE_LIMIT_BASE, attempts), count=False, error=str(error))
        return State.SCHEDULED
    if error.is_transient and attempts < settings.SOCIAL_MAX_ATTEMPTS:
        _reschedule(post, after=_backoff(RETRY_BASE, attempts), count=True, error=str(error))
        return State.SCHEDULED
    if error.is_expired_token:
        SocialAccount.objects.filter(pk=post.account_id).update(token_rejected_at=timezone.now())
    if post.remote_id:
        # It is out: only reading its link back failed. Shown as posted, with the reason.
        note = _("Posted, but its link could not be read back.")
        return _finish(post, State.POSTED, error=f"{note} {error}")
    if error.is_expired_token:
        return _finish(post, State.FAILED, error=f"{_reconnect_message()} {error}")
    return _finish(post, State.FAILED, error=str(error))


# --- the crop the networks fetch --------------------------------------------------------


class _CropUnavailable(Exception):
    pass


def _image_url(post: SocialPost) -> str:
    """The public, absolute URL of the post's crop, made and stored once ("make what is
    missing"). Made from the original like the social kit's (gallery.services), so a 4:5
    crop of a landscape photo is not cut from the small display rendition."""
    if not post.image_name:
        spec = next(s for s in imaging.SOCIAL_SPECS if s.name == post.crop)
        photo = post.entry.photo
        if not photo.original:
            raise _CropUnavailable(_("The original of this photo is no longer kept."))
        try:
            with originals_storage().open(photo.original, "rb") as original:
                result = imaging.process_image(
                    original, specs=(spec,), policy=upload_policy(), rotation=photo.rotation
                )
        except (FileNotFoundError, imaging.ImageDecodeError) as error:
            raise _CropUnavailable(_("The original of this photo cannot be read.")) from error
        # Unguessable: the image is public for the networks to fetch, not listed anywhere.
        name = f"{CROP_DIR}/{secrets.token_urlsafe(18)}.jpg"
        try:
            stored = default_storage.save(name, ContentFile(result.files[0].data))
        except (OSError, BotoCoreError, ClientError) as error:
            # Storage unreachable: retried with backoff like a network failure (code 0).
            raise GraphError(message=f"storage: {error}", code=0) from error
        _record(post, image_name=stored)
    url = default_storage.url(post.image_name)
    return url if url.startswith(("https://", "http://")) else settings.SITE_URL + url


def _crop_delete(post: SocialPost) -> None:
    if post.image_name:
        name = post.image_name
        default_storage.delete(name)
        SocialPost.objects.filter(pk=post.pk).update(image_name="")
        post.image_name = ""


# --- the beat job ------------------------------------------------------------------------


def posts_publish_due(*, now: datetime | None = None) -> int:
    """Enqueues the posts that are due, and the take-downs not done yet; recovers the posts
    a lost worker left "publishing". Returns how many jobs it enqueued."""
    from social.tasks import publish_post, take_down_post

    now = now or timezone.now()
    stuck = SocialPost.objects.filter(state=State.PUBLISHING, claimed_at__lt=now - STUCK_AFTER)
    # With its ids recorded, a lost run is resumed from where it stopped (or, withdrawn
    # meanwhile, taken down if it is out); without, the call may have gone through: never
    # posted twice, marketing checks the page.
    stuck.exclude(withdrawn_at=None).exclude(remote_id="").update(state=State.POSTED)
    stuck.exclude(withdrawn_at=None).exclude(container_id="").update(state=State.CANCELLED)
    stuck.exclude(container_id="", remote_id="").update(state=State.SCHEDULED, next_attempt_at=now)
    stuck.filter(container_id="", remote_id="").update(
        state=State.FAILED,
        last_error=_(
            "Interrupted during the call to the network: check the page before trying again."
        ),
    )
    due = list(
        SocialPost.objects.filter(
            state=State.SCHEDULED, next_attempt_at__lte=now, withdrawn_at=None
        ).values_list("pk", flat=True)[:100]
    )
    for post_id in due:
        publish_post.delay(post_id)
    pending = list(
        SocialPost.objects.filter(state=State.POSTED)
        .exclude(withdrawn_at=None)
        .values_list("pk", flat=True)[:100]
    )
    for post_id in pending:
        take_down_post.delay(post_id)
    return len(due) + len(pending)


# --- withdrawal --------------------------------------------------------------------------


def entry_posts_withdrawn(entry_id: int) -> None:
    """The hook of contest.rights: the photo, or its social media use, was withdrawn.

    Called for a withdrawn gallery use too, where nothing changes while the social use
    still stands (a post not yet out will fail its check, the photo being no longer public).
    Posts not yet out are cancelled; those out come down (the worker)."""
    entry = Entry.objects.filter(pk=entry_id).only("withdrawn_at", "contest_id").first()
    if entry is None:
        return
    social_allowed = Enrollment.objects.filter(
        contest_id=entry.contest_id, participant__entries=entry_id, allows_social=True
    ).exists()
    if entry.withdrawn_at is None and social_allowed:
        return
    from social.tasks import take_down_post

    now = timezone.now()
    posts = SocialPost.objects.filter(entry_id=entry_id, withdrawn_at=None)
    posts.update(withdrawn_at=now)
    # Waiting for a retry after the post was made (its link not read yet): it is out.
    SocialPost.objects.filter(entry_id=entry_id, state=State.SCHEDULED).exclude(
        remote_id=""
    ).update(state=State.POSTED)
    for post in SocialPost.objects.filter(
        entry_id=entry_id, state__in=(State.SCHEDULED, State.FAILED)
    ):
        if SocialPost.objects.filter(pk=post.pk, state=post.state).update(state=State.CANCELLED):
            _crop_delete(post)
    for post_id in SocialPost.objects.filter(entry_id=entry_id, state=State.POSTED).values_list(
        "pk", flat=True
    ):
        take_down_post.delay(post_id)


def post_take_down(*, post_id: int) -> str:
    """Deletes a withdrawn post from Facebook; an Instagram one (the API cannot delete
    media) is marked for marketing to delete by hand from its permalink."""
    post = (
        SocialPost.objects.select_related("account")
        .filter(pk=post_id, state=State.POSTED)
        .exclude(withdrawn_at=None)
        .first()
    )
    if post is None:
        return ""
    if post.network == Network.INSTAGRAM:
        return _taken_down(post, State.REMOVE_BY_HAND)
    try:
        account_client(account=post.account).object_delete(object_id=post.remote_id)
    except crypto.TokenUnreadable:
        return _taken_down(post, State.REMOVE_BY_HAND, error=_reconnect_message())
    except GraphError as error:
        if error.is_missing_object:  # deleted on Facebook already
            return _taken_down(post, State.DELETED)
        if error.is_transient or error.is_rate_limit:
            raise  # the task retries it; the beat job finds it again otherwise
        message = _reconnect_message() if error.is_expired_token else ""
        return _taken_down(post, State.REMOVE_BY_HAND, error=f"{message} {error}".strip())
    return _taken_down(post, State.DELETED)


def _taken_down(post: SocialPost, state: str, *, error: str = "") -> str:
    SocialPost.objects.filter(pk=post.pk, state=State.POSTED).update(
        state=state, last_error=error[:500]
    )
    _crop_delete(post)
    return state


# --- the hashtag import ------------------------------------------------------------------

# Instagram: an account may search 30 distinct hashtags in a rolling 7 days; recent_media
# returns the last 24 hours only, 50 a page at most.
HASHTAG_SEARCHES_PER_WEEK = 30
HASHTAG_PAGES_PER_RUN = 4
CLAIM_SALT = "coverline.social.claim"
CLAIM_MAX_AGE = 60 * 86400  # a reply stays under the post; the contest lasts weeks


def hashtag_import(*, contest_id: int) -> int:
    """Searches the contest's hashtag on Instagram and records each new image post as a
    candidate; returns how many were new. Errors are recorded on the source; the next run
    (hourly) tries again."""
    account = _instagram_account()
    contest = Contest.objects.filter(pk=contest_id).first()
    hashtag = social_hashtag(contest.slug) if contest else ""
    if account is None or contest is None or not hashtag:
        return 0
    source, _created = HashtagSource.objects.get_or_create(
        contest=contest, defaults={"hashtag": hashtag}
    )
    now = timezone.now()
    found = 0
    try:
        client = account_client(account=account)
        if not source.hashtag_id:
            week = HashtagSource.objects.filter(searched_at__gte=now - timedelta(days=7)).count()
            if week >= HASHTAG_SEARCHES_PER_WEEK:
                return 0
            hashtag_id = client.ig_hashtag_id(
                ig_user_id=account.instagram_user_id, hashtag=source.hashtag
            )
            HashtagSource.objects.filter(pk=source.pk).update(
                hashtag_id=hashtag_id or "", searched_at=now
            )
            if not hashtag_id:
                return 0
            source.hashtag_id = hashtag_id
        after = ""
        for _page in range(HASHTAG_PAGES_PER_RUN):
            media, after = client.ig_hashtag_recent_media(
                ig_user_id=account.instagram_user_id, hashtag_id=source.hashtag_id, after=after
            )
            rows = [
                HashtagCandidate(
                    contest=contest,
                    media_id=item.id[:40],
                    media_type=item.media_type[:20],
                    caption=item.caption,
                    media_url=item.media_url[:1000],
                    permalink=item.permalink[:300],
                    taken_at=_parse_timestamp(item.timestamp),
                )
                for item in media
                # Images only: a video or a carousel has no single image to enter.
                if item.media_type == "IMAGE" and item.media_url
            ]
            known = {
                candidate.media_id: candidate
                for candidate in HashtagCandidate.objects.filter(
                    contest=contest, media_id__in=[row.media_id for row in rows]
                ).only("pk", "media_id", "media_url", "state")
            }
            HashtagCandidate.objects.bulk_create(rows, ignore_conflicts=True)
            # A known post still to claim gets its fresh image address (the CDN's expire),
            # in one UPDATE. Not a claimed one: its image is the entry's now, and its
            # author's erasure emptied the address for good.
            fresh = []
            for row in rows:
                candidate = known.get(row.media_id)
                if (
                    candidate is not None
                    and candidate.state != HashtagCandidate.State.CLAIMED
                    and candidate.media_url != row.media_url
                ):
                    candidate.media_url = row.media_url
                    fresh.append(candidate)
            HashtagCandidate.objects.bulk_update(fresh, ["media_url"])
            found += len([row for row in rows if row.media_id not in known])
            if not after:
                break
        error = ""
    except (GraphError, crypto.TokenUnreadable) as failure:
        logger.info("hashtag import of contest %s: %s", contest_id, failure)
        error = str(failure)
    HashtagSource.objects.filter(pk=source.pk).update(last_run_at=now, last_error=error[:500])
    return found


def _parse_timestamp(value: str) -> datetime | None:
    try:
        # Instagram's "2026-12-01T08:00:00+0000".
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return None


def hashtags_import_due() -> int:
    """The hourly beat job: one import per contest taking entries, and the claims whose
    job was lost enqueued again."""
    from social.tasks import import_hashtag

    claims_requeue()

    open_contests = Contest.objects.filter(status=Contest.Status.OPEN)
    contests = [contest for contest in open_contests if contest.is_accepting_entries()]
    for contest in contests:
        import_hashtag.delay(contest.pk)
    return len(contests)


def candidate_dismiss(*, candidate_id: int) -> bool:
    return bool(
        HashtagCandidate.objects.filter(pk=candidate_id, state=HashtagCandidate.State.NEW).update(
            state=HashtagCandidate.State.DISMISSED
        )
    )


def candidate_claim_token(*, candidate_id: int) -> str:
    return signing.dumps({"c": candidate_id}, salt=CLAIM_SALT)


def candidate_from_token(*, token: str) -> int | None:
    try:
        data = signing.loads(token, salt=CLAIM_SALT, max_age=CLAIM_MAX_AGE)
    except signing.BadSignature:
        return None
    return data.get("c") if isinstance(data, dict) and isinstance(data.get("c"), int) else None


class ClaimRefused(ApplicationError):
    """The post cannot be claimed (taken already, image gone, or a contest rule)."""


class ImageFetchTransient(Exception):
    """Instagram's CDN or the storage did not answer (network, time-out, server error): try
    again later."""


Claim = HashtagClaim.State
# Claims still open: their image is kept (a failed one may be retried).
CLAIM_OPEN = (Claim.AWAITING, Claim.VERIFIED, Claim.FAILED)
# A claim left "verified" this long lost its job (the task retries for ~30 minutes at most).
CLAIM_STUCK_AFTER = timedelta(hours=1)
# The code's alphabet: no 0/O, 1/I/L or 5/S to misread when typing it into a caption.
CLAIM_CODE_ALPHABET = "234679ACDEFGHJKMNPQRTUVWXYZ"
CLAIM_CODE_LENGTH = 6
# The fetched images, private, in a folder of the originals storage of their own (the
# storage audit looks at the photos' originals, at its root, only).
CLAIM_DIR = "claims"
# The claimant's "I've added the code, check again": once a minute (CLAIM_CHECK_EVERY, in
# the selectors, which tell the page a check is under way), 30 times a claim, as each check
# is a Business Discovery call counted against the operator's app.
CLAIM_CHECKS_MAX = 30
# The hourly job checks a claim still waiting for its code again, for this long.
CLAIM_RECHECK_FOR = timedelta(days=3)
CLAIM_RECHECK_AFTER = timedelta(minutes=30)


def _instagram_account() -> SocialAccount | None:
    """The connected Instagram professional account the relay reads Instagram with."""
    return (
        SocialAccount.objects.filter(active=True)
        .exclude(instagram_user_id="")
        .exclude(token_encrypted="")
        .order_by("pk")
        .first()
    )


def _claim_code() -> str:
    return "".join(secrets.choice(CLAIM_CODE_ALPHABET) for _ in range(CLAIM_CODE_LENGTH))


def claim_code_in(*, code: str, text: str) -> bool:
    """Whether a caption (or comment) shows the claim's code: as a word of its own, in any
    case, with or without its COVERLINE- prefix."""
    if not code:  # a claim made before codes: checked by hand only
        return False
    return re.search(rf"(?<![0-9A-Z]){re.escape(code)}(?![0-9A-Z])", text.upper()) is not None


def candidate_claim(
    *,
    candidate_id: int,
    participant: Participant,
    handle: str,
    title: str,
    caption: str,
    theme: Theme | None,
) -> HashtagClaim:
    """Records that `participant` says the post is theirs, posted from the Instagram
    account `handle`, with a code for them to add to the post's caption: naming the account
    proves nothing, as the post shows its author's username to everyone. No entry yet: the
    image is fetched at once (claim_image_fetch), then the claim checked (claim_verify, then
    by hand).

    Claimed by a conditional UPDATE from "new": of two claimants, the second is refused.
    """
    with transaction.atomic():
        taken = not HashtagCandidate.objects.filter(
            pk=candidate_id, state=HashtagCandidate.State.NEW
        ).update(state=HashtagCandidate.State.AWAITING)
        if taken:
            raise ClaimRefused(_("This Instagram post was already claimed."))
        claim = HashtagClaim.objects.create(
            candidate_id=candidate_id,
            participant=participant,
            handle=handle,
            code=_claim_code(),
            title=title.strip(),
            caption=caption.strip(),
            theme=theme,
        )
        from social.tasks import fetch_claim_image

        fetch_claim_image.delay_on_commit(claim.pk)
    return claim


def claim_image_fetch(*, claim_id: int, last_try: bool = True) -> str:
    """Fetches the claimed post's image while its CDN address still works (it expires within
    a day, and a check by hand may take days) and keeps it privately until the entry is
    made; then asks for the check. An image gone or unreadable closes the claim at once
    ("unavailable"): the claimant is told to send the photo through the upload page.

    Idempotent: a claim closed, or with its image, is left alone. Raises
    ImageFetchTransient for the task to retry, unless `last_try`.
    """
    claim = HashtagClaim.objects.select_related("candidate").filter(pk=claim_id).first()
    if claim is None or claim.state not in (Claim.AWAITING, Claim.VERIFIED) or claim.image_name:
        return claim.state if claim else ""
    try:
        data = _fetch_image(claim.candidate.media_url)
        _inspect(data)
    except ImageFetchTransient:
        if not last_try:
            raise
        return _claim_unavailable(claim, _("Instagram did not answer."))
    except ClaimRefused as failure:
        return _claim_unavailable(claim, failure.message)
    try:
        name = originals_storage().save(
            f"{CLAIM_DIR}/{claim.pk}-{secrets.token_hex(8)}.jpg", ContentFile(data)
        )
    except (OSError, BotoCoreError, ClientError) as error:
        if not last_try:
            raise ImageFetchTransient(f"storage: {error}") from error
        # The storage is down: the hourly job (claims_requeue) fetches it again.
        logger.warning("hashtag claim %s: image not stored: %s", claim_id, error)
        return claim.state
    from social.tasks import make_claim_entry, verify_claim

    with transaction.atomic():
        if not HashtagClaim.objects.filter(
            pk=claim_id, state__in=(Claim.AWAITING, Claim.VERIFIED), image_name=""
        ).update(image_name=name):
            # Closed meanwhile, or fetched by a run that finished first: not kept twice.
            transaction.on_commit(partial(_stored_delete, name))
            return HashtagClaim.objects.values_list("state", flat=True).get(pk=claim_id)
        state = HashtagClaim.objects.values_list("state", flat=True).get(pk=claim_id)
        if state == Claim.AWAITING:
            verify_claim.delay_on_commit(claim_id)
        else:  # confirmed by hand before the image came: the entry waited for it
            make_claim_entry.delay_on_commit(claim_id)
    return state


def _inspect(data: bytes) -> imaging.UploadInfo:
    try:
        return imaging.inspect_upload(
            SimpleUploadedFile("instagram.jpg", data), size=len(data), policy=upload_policy()
        )
    except imaging.ImageRejected:
        raise ClaimRefused(_("The image of this post cannot be read.")) from None


def _claim_unavailable(claim: HashtagClaim, why: str) -> str:
    reason = _(
        "The image could not be taken from Instagram (%(why)s). Send your photo through "
        "the contest's upload page instead."
    ) % {"why": why.rstrip(".")}
    with transaction.atomic():
        if not HashtagClaim.objects.filter(
            pk=claim.pk, state__in=(Claim.AWAITING, Claim.VERIFIED)
        ).update(state=Claim.UNAVAILABLE, reason=reason[:500], closed_at=timezone.now()):
            return HashtagClaim.objects.values_list("state", flat=True).get(pk=claim.pk)
        HashtagCandidate.objects.filter(
            pk=claim.candidate_id, state=HashtagCandidate.State.AWAITING
        ).update(state=HashtagCandidate.State.NEW)
        closed = HashtagClaim.objects.select_related("candidate__contest", "participant__user").get(
            pk=claim.pk
        )
        _claim_mail(closed, "social/email/claim_refused")
    return Claim.UNAVAILABLE


def claim_verify(*, claim_id: int) -> str:
    """The automatic check: when the claimed account is a business or creator one, Business
    Discovery lists its latest media with their captions; the post among them with the
    claim's code in its caption verifies the claim. Otherwise the claim waits (the claimant
    may ask again, the hourly job does) and the community manager sees what was found.
    Returns the claim's state ("" if nothing to do).

    Raises GraphError for a transient error or a rate limit (the task retries).
    """
    claim = (
        HashtagClaim.objects.select_related("candidate")
        .filter(pk=claim_id, state=Claim.AWAITING)
        .first()
    )
    if claim is None:
        return ""
    account = _instagram_account()
    if account is None:
        return _claim_note(claim, _("No Instagram account is connected: check by hand."))
    try:
        found = account_client(account=account).ig_business_discovery(
            ig_user_id=account.instagram_user_id, username=claim.handle
        )
    except crypto.TokenUnreadable:
        return _claim_note(claim, _reconnect_message())
    except GraphError as error:
        if error.is_transient or error.is_rate_limit:
            raise
        logger.info("hashtag claim %s: business discovery: %s", claim_id, error)
        return _claim_note(
            claim,
            _(
                "Instagram cannot check @%(handle)s automatically (a personal account, or "
                "no such account): check by hand."
            )
            % {"handle": claim.handle},
        )
    media = next((m for m in found.media if m.id == claim.candidate.media_id), None)
    if media is None:
        return _claim_note(
            claim,
            _("The post is not among the latest posts of @%(handle)s: check by hand.")
            % {"handle": claim.handle},
        )
    if not claim_code_in(code=claim.code, text=media.caption):
        return _claim_note(
            claim,
            _("The post is by @%(handle)s, but its caption does not show the code %(code)s yet.")
            % {"handle": claim.handle, "code": claim.display_code},
        )
    now = timezone.now()
    with transaction.atomic():
        verified = HashtagClaim.objects.filter(pk=claim.pk, state=Claim.AWAITING).update(
            state=Claim.VERIFIED,
            verified_by=HashtagClaim.VerifiedBy.INSTAGRAM,
            verified_at=now,
            checked_at=now,
            check_note="",
        )
        if not verified:  # decided by hand meanwhile
            return ""
        HashtagClaimEvent.objects.create(
            claim=claim,
            actor=None,
            action=HashtagClaimEvent.Action.VERIFIED,
            from_state=Claim.AWAITING,
            to_state=Claim.VERIFIED,
            note=f"@{found.username} {claim.display_code}",
        )
        from social.tasks import make_claim_entry

        make_claim_entry.delay_on_commit(claim.pk)
    return Claim.VERIFIED


def _claim_note(claim: HashtagClaim, note: str) -> str:
    HashtagClaim.objects.filter(pk=claim.pk, state=Claim.AWAITING).update(
        check_note=note[:500], checked_at=timezone.now()
    )
    return Claim.AWAITING


def claim_check_ask(*, claim_id: int, participant: Participant) -> bool:
    """The claimant added the code and asks for the check again: once a minute at most,
    CLAIM_CHECKS_MAX times a claim (a conditional UPDATE, so a double click asks once)."""
    now = timezone.now()
    asked = (
        HashtagClaim.objects.filter(
            Q(check_asked_at__isnull=True) | Q(check_asked_at__lt=now - CLAIM_CHECK_EVERY),
            pk=claim_id,
            participant=participant,
            state=Claim.AWAITING,
            checks_asked__lt=CLAIM_CHECKS_MAX,
        )
        .exclude(code="")
        .update(check_asked_at=now, checks_asked=F("checks_asked") + 1)
    )
    if asked:
        from social.tasks import verify_claim

        verify_claim.delay_on_commit(claim_id)
    return bool(asked)


def claim_confirm(*, claim_id: int, user: User) -> bool:
    """The community manager saw on Instagram the claim's code in the post's caption, or in
    a comment under it by the post's author: the entry is made by the worker. Conditional:
    of two staff clicking at once, one decides."""
    with transaction.atomic():
        confirmed = HashtagClaim.objects.filter(pk=claim_id, state=Claim.AWAITING).update(
            state=Claim.VERIFIED,
            verified_by=HashtagClaim.VerifiedBy.STAFF,
            verified_at=timezone.now(),
        )
        if not confirmed:
            return False
        claim = HashtagClaim.objects.get(pk=claim_id)
        HashtagClaimEvent.objects.create(
            claim=claim,
            actor=user,
            action=HashtagClaimEvent.Action.CONFIRM,
            from_state=Claim.AWAITING,
            to_state=Claim.VERIFIED,
            note=f"@{claim.handle} {claim.display_code}",
        )
        from social.tasks import make_claim_entry

        make_claim_entry.delay_on_commit(claim_id)
    return True


def claim_refuse(*, claim_id: int, user: User | None, reason: str) -> bool:
    """Refuses a claim (not the author, say): the post is open to its real author again,
    and the claimant is told why by e-mail. Conditional, like claim_confirm."""
    return _claim_refuse(
        claim_id=claim_id, user=user, reason=reason, states=(Claim.AWAITING, Claim.FAILED)
    )


def _claim_refuse(
    *, claim_id: int, user: User | None, reason: str, states: tuple[str, ...]
) -> bool:
    reason = reason.strip()[:500]
    with transaction.atomic():
        before = ""
        for state in states:
            if HashtagClaim.objects.filter(pk=claim_id, state=state).update(
                state=Claim.REFUSED, reason=reason, closed_at=timezone.now()
            ):
                before = state
                break
        if not before:
            return False
        claim = HashtagClaim.objects.select_related("candidate__contest", "participant__user").get(
            pk=claim_id
        )
        HashtagCandidate.objects.filter(
            pk=claim.candidate_id, state=HashtagCandidate.State.AWAITING
        ).update(state=HashtagCandidate.State.NEW)
        HashtagClaimEvent.objects.create(
            claim=claim,
            actor=user,
            action=HashtagClaimEvent.Action.REFUSE,
            from_state=before,
            to_state=Claim.REFUSED,
            note=reason,
        )
        _claim_mail(claim, "social/email/claim_refused")
    claim_image_drop(claim_id=claim_id)
    return True


def claim_retry(*, claim_id: int, user: User) -> bool:
    """The community manager tries a failed entry again (the storage was down, say)."""
    with transaction.atomic():
        retried = HashtagClaim.objects.filter(pk=claim_id, state=Claim.FAILED).update(
            state=Claim.VERIFIED, reason="", verified_at=timezone.now()
        )
        if not retried:
            return False
        HashtagClaimEvent.objects.create(
            claim_id=claim_id,
            actor=user,
            action=HashtagClaimEvent.Action.RETRY,
            from_state=Claim.FAILED,
            to_state=Claim.VERIFIED,
        )
        from social.tasks import make_claim_entry

        make_claim_entry.delay_on_commit(claim_id)
    return True


def claim_entry_make(*, claim_id: int, last_try: bool = True) -> str:
    """Makes a verified claim's entry from the image kept at claim time, checked and stored
    like an upload (contest.services.entry_submit: rules accepted, limits, moderation), and
    the claimant told by e-mail; the kept image is then deleted (the entry has its own
    original). Returns the claim's state.

    Idempotent: a claim no longer "verified" is left alone, and the entry is made under the
    claim's row lock, so a job run twice makes one entry. A claim whose image is still being
    fetched waits (the fetch enqueues this job). A stored image gone or unreadable fails the
    claim with its reason; a storage that does not answer raises ImageFetchTransient for the
    task to retry, unless `last_try`.
    """
    claim = (
        HashtagClaim.objects.select_related("candidate__contest", "participant__user", "theme")
        .filter(pk=claim_id)
        .first()
    )
    if claim is None or claim.state != Claim.VERIFIED:
        return claim.state if claim else ""
    if not claim.image_name:
        return Claim.VERIFIED
    try:
        with originals_storage().open(claim.image_name, "rb") as stored:
            data = stored.read()
        info = _inspect(data)
    except FileNotFoundError:
        return _claim_fail(claim, _("The image taken from Instagram is no longer stored."))
    except (OSError, BotoCoreError, ClientError) as error:
        if not last_try:
            raise ImageFetchTransient(f"storage: {error}") from error
        return _claim_fail(claim, _("The image taken from Instagram could not be read."))
    except ClaimRefused as failure:
        return _claim_fail(claim, failure.message)
    upload = SimpleUploadedFile("instagram.jpg", data)
    contest = claim.candidate.contest
    draft = EntryDraft(
        upload=upload, info=info, title=claim.title, caption=claim.caption, theme=claim.theme
    )
    try:
        with transaction.atomic():
            locked = (
                HashtagClaim.objects.select_for_update()
                .filter(pk=claim_id, state=Claim.VERIFIED)
                .exists()
            )
            if not locked:  # made by a run that finished first, or closed (erasure)
                return HashtagClaim.objects.values_list("state", flat=True).get(pk=claim_id)
            [entry] = entry_submit(contest=contest, participant=claim.participant, drafts=[draft])
            advice = upload_advice(contest_id=contest.pk, size=(info.width, info.height))
            # Conditional too: SQLite (the dev run) has no row locks.
            if not HashtagClaim.objects.filter(pk=claim_id, state=Claim.VERIFIED).update(
                state=Claim.ENTERED, entry=entry, advice=advice, closed_at=timezone.now()
            ):
                transaction.set_rollback(True)
                return HashtagClaim.objects.values_list("state", flat=True).get(pk=claim_id)
            HashtagCandidate.objects.filter(pk=claim.candidate_id).update(
                state=HashtagCandidate.State.CLAIMED, entry=entry
            )
            claim.entry, claim.advice = entry, advice
            _claim_mail(claim, "social/email/claim_entered")
    except EntryRefused as refused:
        # A contest rule (its limit of photos, the same photo sent already): the claim is
        # refused with the rule's words, and the post open again.
        _claim_refuse(
            claim_id=claim_id, user=None, reason=refused.message, states=(Claim.VERIFIED,)
        )
        return Claim.REFUSED
    claim_image_drop(claim_id=claim_id)
    return Claim.ENTERED


def _claim_fail(claim: HashtagClaim, reason: str) -> str:
    HashtagClaim.objects.filter(pk=claim.pk, state=Claim.VERIFIED).update(
        state=Claim.FAILED, reason=reason[:500]
    )
    return Claim.FAILED


def claim_image_drop(*, claim_id: int) -> bool:
    """Deletes the image kept for a claim once it is closed (entered, refused, unavailable).
    A storage error leaves it named on the claim: the hourly job tries again."""
    name = (
        HashtagClaim.objects.filter(pk=claim_id)
        .exclude(state__in=CLAIM_OPEN)
        .exclude(image_name="")
        .values_list("image_name", flat=True)
        .first()
    )
    if not name or not _stored_delete(name):
        return False
    HashtagClaim.objects.filter(pk=claim_id, image_name=name).update(image_name="")
    return True


def _stored_delete(name: str) -> bool:
    try:
        originals_storage().delete(name)
    except (OSError, BotoCoreError, ClientError) as error:
        logger.warning("hashtag claim image %s not deleted: %s", name, error)
        return False
    return True


def _claim_mail(claim: HashtagClaim, template: str) -> None:
    """Tells the claimant what became of their claim (in the caller's transaction)."""
    participant = claim.participant
    contest = claim.candidate.contest
    token = candidate_claim_token(candidate_id=claim.candidate_id)
    message_queue(
        key=f"hashtag-claim:{claim.pk}:{template.rsplit('_', 1)[-1]}",
        to=participant.email,
        template=template,
        context={
            "credit_name": participant.credit_name,
            "title": claim.title,
            "contest_title": contest.title,
            "handle": claim.handle,
            "reason": claim.reason if template.endswith("refused") else "",
            "advice": [str(text) for text in claim.advice],
            "claim_url": settings.SITE_URL + reverse("social:claim", args=[contest.slug, token]),
            "my_entries_url": settings.SITE_URL
            + reverse("contest:my_entries", args=[contest.slug]),
        },
        language=participant.language or settings.LANGUAGE_CODE,
        brand=contest,
        about=f"hashtag-claim:{claim.pk}",
    )


def claims_requeue(*, now: datetime | None = None) -> int:
    """The hourly job of claims: enqueues again the jobs that were lost (a worker gone) -
    image fetches and entries never made - checks again the claims still waiting for their
    code, and deletes the kept images of closed claims a storage error left. Every job is
    idempotent."""
    from social.tasks import fetch_claim_image, make_claim_entry, verify_claim

    now = now or timezone.now()
    before = now - CLAIM_STUCK_AFTER
    unfetched = list(
        HashtagClaim.objects.filter(
            state__in=(Claim.AWAITING, Claim.VERIFIED), image_name="", created_at__lt=before
        ).values_list("pk", flat=True)[:100]
    )
    for claim_id in unfetched:
        fetch_claim_image.delay(claim_id)
    # Waiting for the code: the claimant may have added it without asking for a check.
    recheck = list(
        HashtagClaim.objects.filter(
            Q(checked_at__isnull=True) | Q(checked_at__lt=now - CLAIM_RECHECK_AFTER),
            state=Claim.AWAITING,
            created_at__gte=now - CLAIM_RECHECK_FOR,
        )
        .exclude(image_name="")
        .exclude(code="")
        .values_list("pk", flat=True)[:100]
    )
    for claim_id in recheck:
        verify_claim.delay(claim_id)
    stuck = list(
        HashtagClaim.objects.filter(state=Claim.VERIFIED, verified_at__lt=before)
        .exclude(image_name="")
        .values_list("pk", flat=True)[:100]
    )
    for claim_id in stuck:
        make_claim_entry.delay(claim_id)
    left = HashtagClaim.objects.exclude(state__in=CLAIM_OPEN).exclude(image_name="")
    for claim_id in left.values_list("pk", flat=True)[:100]:
        claim_image_drop(claim_id=claim_id)
    return len(unfetched) + len(recheck) + len(stuck)


def _fetch_image(url: str) -> bytes:
    """The image at Instagram's CDN address, refused past the upload size limit."""
    if not url.startswith(("https://", "http://")):
        raise ClaimRefused(_("The image of this post is no longer available."))
    limit = settings.PHOTO_MAX_BYTES
    try:
        with urllib.request.urlopen(url, timeout=settings.GRAPH_API_TIMEOUT) as response:  # noqa: S310 - scheme checked
            data: bytes = response.read(limit + 1)
    except urllib.error.HTTPError as error:
        if error.code >= 500 or error.code == 429:
            raise ImageFetchTransient(f"HTTP {error.code}") from None
        # Instagram's CDN addresses expire (403, 404).
        raise ClaimRefused(_("The image of this post is no longer available.")) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        raise ImageFetchTransient(str(error)) from None
    if len(data) > limit:
        raise ClaimRefused(_("The image of this post is too large."))
    return data
