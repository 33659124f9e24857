"""Publishing approved photos on the Facebook Page and the Instagram account, through the
stand-in: consent, the two networks' flows, the daily limit, errors and retries, a job run
twice, and taking posts down when the photo or its social use is withdrawn."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from contest.models import Enrollment, Entry, Participant
from contest.rights import enrollment_withdraw_use, entry_withdraw
from social import crypto
from social.models import SocialAccount, SocialPost
from social.services import (
    PostRefused,
    post_publish,
    post_schedule,
    post_take_down,
    posts_publish_due,
)
from tests.social.conftest import IG_USER_ID, PAGE_ID, TOKEN, fetched_image_size
from tests.social.graph_standin import GraphStandIn

pytestmark = pytest.mark.django_db
State = SocialPost.State


def _schedule(entry: Entry, network: str = "facebook", crop: str = "portrait") -> SocialPost:
    return post_schedule(entry=entry, network=network, crop=crop, scheduled_at=None, user=None)


def _due(post: SocialPost) -> None:
    """Time passes: the post's next attempt is due."""
    SocialPost.objects.filter(pk=post.pk).update(next_attempt_at=timezone.now())


# --- the token at rest -------------------------------------------------------------------


def test_it_stores_the_token_encrypted(account: SocialAccount) -> None:
    account.refresh_from_db()
    assert TOKEN not in account.token_encrypted
    assert crypto.token_decrypt(account.token_encrypted) == TOKEN
    assert account.token_hint == TOKEN[-4:]


def test_it_fails_with_a_reconnect_message_when_the_key_changed(
    graph: GraphStandIn, account: SocialAccount, approved: Callable[..., Entry], settings: object
) -> None:
    post = _schedule(approved(seed=1))
    settings.SOCIAL_TOKEN_KEY = "A" * 43 + "="  # type: ignore[attr-defined]
    assert post_publish(post_id=post.pk) == State.FAILED
    post.refresh_from_db()
    assert "reconnectez" in post.last_error
    assert graph.calls == []


# --- consent -----------------------------------------------------------------------------


def test_it_refuses_a_photo_whose_author_did_not_allow_social_media(
    account: SocialAccount, approved: Callable[..., Entry], entrant: Participant
) -> None:
    entry = approved(seed=1)
    Enrollment.objects.filter(participant=entrant).update(allows_social=False)
    with pytest.raises(PostRefused, match="n’a pas autorisé les réseaux sociaux"):
        _schedule(entry)
    assert not SocialPost.objects.exists()


def test_it_refuses_a_photo_that_is_not_public(
    account: SocialAccount, ready_entry: Callable[..., Entry]
) -> None:
    with pytest.raises(PostRefused, match="n’est pas publique"):
        _schedule(ready_entry(seed=1))


def test_it_schedules_a_photo_once_per_network(
    account: SocialAccount, approved: Callable[..., Entry]
) -> None:
    entry = approved(seed=1)
    _schedule(entry)
    with pytest.raises(PostRefused, match="déjà programmée ou publiée"):
        _schedule(entry)
    _schedule(entry, network="instagram")
    assert SocialPost.objects.count() == 2


def test_it_does_not_publish_once_the_social_use_is_withdrawn(
    graph: GraphStandIn,
    account: SocialAccount,
    approved: Callable[..., Entry],
    entrant: Participant,
) -> None:
    post = _schedule(approved(seed=1))
    Enrollment.objects.filter(participant=entrant).update(allows_social=False)
    assert post_publish(post_id=post.pk) == State.FAILED
    assert graph.calls == []


# --- Facebook ----------------------------------------------------------------------------


def test_it_posts_a_photo_on_the_facebook_page(
    graph: GraphStandIn, account: SocialAccount, approved: Callable[..., Entry]
) -> None:
    entry = approved(seed=1)
    post = _schedule(entry, crop="portrait")
    assert "#Couvertures2027" in post.caption
    assert f"http://testserver/photo/{entry.photo.public_id}/" in post.caption
    assert "Photo : Camille D." in post.caption

    assert post_publish(post_id=post.pk) == State.POSTED
    post.refresh_from_db()
    [call] = graph.calls_to("POST", "photos")
    assert call.path == f"{PAGE_ID}/photos"
    assert call.params["caption"] == post.caption
    # The 4:5 crop, made from the original and public at an unguessable address.
    assert call.params["url"].startswith("http://testserver/media/renditions/social/")
    assert graph.fetched[call.params["url"]] == (1080, 1350)
    # Copied by the network: the public crop is gone.
    assert post.image_name == "" and fetched_image_size(call.params["url"]) is None
    assert post.remote_id in graph.posts
    assert post.permalink.startswith("https://www.facebook.com/")
    assert (post.attempts, post.last_error) == (1, "")
    assert post.posted_at is not None


def test_it_posts_once_when_the_job_runs_twice(
    graph: GraphStandIn, account: SocialAccount, approved: Callable[..., Entry]
) -> None:
    post = _schedule(approved(seed=1))
    assert post_publish(post_id=post.pk) == State.POSTED
    assert post_publish(post_id=post.pk) == ""
    assert len(graph.calls_to("POST", "photos")) == 1


def test_it_lets_one_of_two_simultaneous_jobs_publish(
    graph: GraphStandIn, account: SocialAccount, approved: Callable[..., Entry]
) -> None:
    post = _schedule(approved(seed=1))
    # The other job claimed it a moment ago and is calling the API.
    SocialPost.objects.filter(pk=post.pk).update(state=State.PUBLISHING, claimed_at=timezone.now())
    assert post_publish(post_id=post.pk) == ""
    assert graph.calls == []


def test_it_resumes_a_lost_run_from_the_recorded_post_id(
    graph: GraphStandIn, account: SocialAccount, approved: Callable[..., Entry]
) -> None:
    post = _schedule(approved(seed=1))
    post_publish(post_id=post.pk)
    post.refresh_from_db()
    # The worker died after the post was made and its id recorded, before the permalink.
    SocialPost.objects.filter(pk=post.pk).update(
        state=State.PUBLISHING, permalink="", claimed_at=timezone.now() - timedelta(hours=1)
    )
    posts_publish_due()
    assert post_publish(post_id=post.pk) == State.POSTED
    post.refresh_from_db()
    assert len(graph.calls_to("POST", "photos")) == 1
    assert post.permalink


def test_it_never_reposts_a_lost_run_without_a_recorded_id(
    graph: GraphStandIn, account: SocialAccount, approved: Callable[..., Entry]
) -> None:
    post = _schedule(approved(seed=1))
    SocialPost.objects.filter(pk=post.pk).update(
        state=State.PUBLISHING, claimed_at=timezone.now() - timedelta(hours=1)
    )
    posts_publish_due()
    post.refresh_from_db()
    assert post.state == State.FAILED
    assert "vérifiez la page" in post.last_error
    assert graph.calls == []


# --- Instagram ---------------------------------------------------------------------------


def test_it_publishes_on_instagram_in_two_steps(
    graph: GraphStandIn, account: SocialAccount, approved: Callable[..., Entry]
) -> None:
    graph.container_polls_in_progress = 2
    post = _schedule(approved(seed=1), network="instagram", crop="carre")
    assert post_publish(post_id=post.pk) == State.POSTED
    post.refresh_from_db()
    [create] = graph.calls_to("POST", "media")
    assert create.path == f"{IG_USER_ID}/media"
    assert graph.fetched[create.params["image_url"]] == (1080, 1080)
    assert create.params["caption"] == post.caption
    assert len(graph.calls_to("GET", post.container_id)) == 3  # polled until FINISHED
    [publish] = graph.calls_to("POST", "media_publish")
    assert publish.params["creation_id"] == post.container_id
    assert post.remote_id in graph.media
    assert post.permalink.startswith("https://www.instagram.com/p/")
    assert graph.quota_usage == 1


def test_it_leaves_a_slow_container_for_the_next_run(
    graph: GraphStandIn, account: SocialAccount, approved: Callable[..., Entry], settings: object
) -> None:
    settings.SOCIAL_IG_POLL_TRIES = 2  # type: ignore[attr-defined]
    graph.container_polls_in_progress = 3
    post = _schedule(approved(seed=1), network="instagram")
    assert post_publish(post_id=post.pk) == State.SCHEDULED
    post.refresh_from_db()
    assert post.container_id and post.attempts == 0
    _due(post)
    assert post_publish(post_id=post.pk) == State.POSTED
    assert len(graph.calls_to("POST", "media")) == 1  # the same container, not a new one


def test_it_waits_for_the_next_day_past_the_daily_publishing_limit(
    graph: GraphStandIn, account: SocialAccount, approved: Callable[..., Entry]
) -> None:
    graph.quota_usage = graph.quota_total = 100
    post = _schedule(approved(seed=1), network="instagram")
    assert post_publish(post_id=post.pk) == State.SCHEDULED
    post.refresh_from_db()
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert timezone.localtime(post.next_attempt_at).date() == tomorrow
    assert post.attempts == 0 and "limite quotidienne" in post.last_error
    assert graph.calls_to("POST", "media") == []  # no container made that would expire
    graph.quota_usage = 0  # the next day
    _due(post)
    assert post_publish(post_id=post.pk) == State.POSTED


def test_it_waits_when_the_limit_is_reached_between_the_check_and_the_publish(
    graph: GraphStandIn, account: SocialAccount, approved: Callable[..., Entry]
) -> None:
    post = _schedule(approved(seed=1), network="instagram")
    graph.fail("POST", "media_publish", code=9, subcode=2207042, message="limit reached")
    assert post_publish(post_id=post.pk) == State.SCHEDULED
    post.refresh_from_db()
    assert post.container_id and post.attempts == 0


# --- errors ------------------------------------------------------------------------------


def test_it_fails_with_a_reconnect_message_on_an_expired_token(
    graph: GraphStandIn, account: SocialAccount, approved: Callable[..., Entry]
) -> None:
    graph.expired_tokens.add(TOKEN)
    post = _schedule(approved(seed=1))
    assert post_publish(post_id=post.pk) == State.FAILED
    post.refresh_from_db()
    assert "reconnectez le compte" in post.last_error
    assert "code 190/463" in post.last_error
    account.refresh_from_db()
    assert account.token_rejected_at is not None


def test_it_retries_a_transient_error_with_backoff(
    graph: GraphStandIn, account: SocialAccount, approved: Callable[..., Entry]
) -> None:
    graph.fail("POST", "photos", code=2, status=503, message="Service temporarily unavailable")
    graph.fail("POST", "photos", code=1, status=500, message="An unknown error occurred")
    post = _schedule(approved(seed=1))
    before = timezone.now()
    assert post_publish(post_id=post.pk) == State.SCHEDULED
    post.refresh_from_db()
    first_wait = post.next_attempt_at - before
    assert post.attempts == 1 and timedelta(seconds=50) < first_wait < timedelta(minutes=2)
    assert "Service temporarily unavailable (code 2" in post.last_error
    assert post_publish(post_id=post.pk) == ""  # not due yet
    _due(post)
    before = timezone.now()
    assert post_publish(post_id=post.pk) == State.SCHEDULED
    post.refresh_from_db()
    assert post.next_attempt_at - before > first_wait  # backing off
    _due(post)
    assert post_publish(post_id=post.pk) == State.POSTED
    assert len(graph.posts) == 1


def test_it_fails_after_the_last_transient_attempt(
    graph: GraphStandIn, account: SocialAccount, approved: Callable[..., Entry], settings: object
) -> None:
    settings.SOCIAL_MAX_ATTEMPTS = 2  # type: ignore[attr-defined]
    for _ in range(2):
        graph.fail("POST", "photos", code=2, status=503, message="Service unavailable")
    post = _schedule(approved(seed=1))
    post_publish(post_id=post.pk)
    _due(post)
    assert post_publish(post_id=post.pk) == State.FAILED


def test_it_retries_a_rate_limited_post_later_without_counting_it(
    graph: GraphStandIn, account: SocialAccount, approved: Callable[..., Entry]
) -> None:
    graph.fail("POST", "photos", code=4, message="(#4) Application request limit reached")
    post = _schedule(approved(seed=1))
    before = timezone.now()
    assert post_publish(post_id=post.pk) == State.SCHEDULED
    post.refresh_from_db()
    assert post.attempts == 0
    assert post.next_attempt_at - before >= timedelta(minutes=15)
    _due(post)
    assert post_publish(post_id=post.pk) == State.POSTED


def test_it_shows_a_permanent_error_and_does_not_retry(
    graph: GraphStandIn, account: SocialAccount, approved: Callable[..., Entry]
) -> None:
    graph.fail(
        "POST", "photos", code=200, message="(#200) Permissions error", type="OAuthException"
    )
    post = _schedule(approved(seed=1))
    assert post_publish(post_id=post.pk) == State.FAILED
    post.refresh_from_db()
    assert post.last_error == "(#200) Permissions error (code 200, fbtrace_id AbCdEfGh123)"
    assert post.image_name == ""  # the public crop does not outlive a failed post


def test_the_beat_job_enqueues_due_posts_only(
    account: SocialAccount, approved: Callable[..., Entry]
) -> None:
    entry = approved(seed=1)
    due = _schedule(entry)
    later = post_schedule(
        entry=entry,
        network="instagram",
        crop="carre",
        scheduled_at=timezone.now() + timedelta(hours=2),
        user=None,
    )
    assert posts_publish_due() == 1
    assert posts_publish_due(now=timezone.now() + timedelta(hours=3)) == 2
    assert {due.pk, later.pk} == set(SocialPost.objects.values_list("pk", flat=True))


# --- withdrawal --------------------------------------------------------------------------


def _posted_on_both(entry: Entry) -> tuple[SocialPost, SocialPost]:
    facebook = _schedule(entry)
    instagram = _schedule(entry, network="instagram")
    assert post_publish(post_id=facebook.pk) == State.POSTED
    assert post_publish(post_id=instagram.pk) == State.POSTED
    return facebook, instagram


def _take_down_all() -> None:
    """What the take-down jobs the hook enqueued do."""
    for post_id in SocialPost.objects.filter(state=State.POSTED).values_list("pk", flat=True):
        post_take_down(post_id=post_id)


def test_withdrawing_the_photo_deletes_the_facebook_post_and_flags_the_instagram_one(
    graph: GraphStandIn,
    account: SocialAccount,
    approved: Callable[..., Entry],
    entrant: Participant,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    entry = approved(seed=1)
    facebook, instagram = _posted_on_both(entry)
    waiting = _schedule(approved(seed=2))
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        assert entry_withdraw(entry_id=entry.pk, participant=entrant)
    _take_down_all()
    facebook.refresh_from_db()
    instagram.refresh_from_db()
    assert facebook.state == State.DELETED
    assert [c.path for c in graph.calls_to("DELETE", facebook.remote_id)] == [facebook.remote_id]
    assert facebook.remote_id not in graph.posts
    assert instagram.state == State.REMOVE_BY_HAND and instagram.permalink
    assert graph.calls_to("DELETE", instagram.remote_id) == []  # the API cannot delete media
    assert facebook.image_name == instagram.image_name == ""
    waiting.refresh_from_db()
    assert waiting.state == State.SCHEDULED  # another photo: untouched


def test_withdrawing_the_social_use_takes_the_posts_down(
    graph: GraphStandIn,
    account: SocialAccount,
    approved: Callable[..., Entry],
    entrant: Participant,
    contest: object,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    entry = approved(seed=1)
    facebook, instagram = _posted_on_both(entry)
    later = _schedule(approved(seed=2))
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        enrollment_withdraw_use(contest_id=entry.contest_id, participant=entrant, use="social")
    _take_down_all()
    states = dict(SocialPost.objects.values_list("pk", "state"))
    assert states == {
        facebook.pk: State.DELETED,
        instagram.pk: State.REMOVE_BY_HAND,
        later.pk: State.CANCELLED,
    }
    assert post_publish(post_id=later.pk) == ""


def test_withdrawing_only_the_gallery_use_leaves_the_posts(
    graph: GraphStandIn,
    account: SocialAccount,
    approved: Callable[..., Entry],
    entrant: Participant,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    entry = approved(seed=1)
    facebook, _instagram = _posted_on_both(entry)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        enrollment_withdraw_use(contest_id=entry.contest_id, participant=entrant, use="gallery")
    facebook.refresh_from_db()
    assert facebook.state == State.POSTED and facebook.withdrawn_at is None


def test_a_post_already_deleted_on_facebook_counts_as_deleted(
    graph: GraphStandIn,
    account: SocialAccount,
    approved: Callable[..., Entry],
    entrant: Participant,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    entry = approved(seed=1)
    facebook = _schedule(entry)
    post_publish(post_id=facebook.pk)
    facebook.refresh_from_db()
    graph.posts.clear()  # the community manager deleted it on Facebook
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        entry_withdraw(entry_id=entry.pk, participant=entrant)
    assert post_take_down(post_id=facebook.pk) == State.DELETED


def test_a_transient_error_on_deletion_is_raised_for_the_task_to_retry(
    graph: GraphStandIn,
    account: SocialAccount,
    approved: Callable[..., Entry],
    entrant: Participant,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    entry = approved(seed=1)
    facebook = _schedule(entry)
    post_publish(post_id=facebook.pk)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        entry_withdraw(entry_id=entry.pk, participant=entrant)
    graph.fail("DELETE", "*", code=2, status=503)
    from social.graph import GraphError

    with pytest.raises(GraphError):
        post_take_down(post_id=facebook.pk)
    assert posts_publish_due() == 1  # the beat job finds it again
    assert post_take_down(post_id=facebook.pk) == State.DELETED


def test_the_posts_are_in_the_download_and_their_captions_erased_with_the_account(
    graph: GraphStandIn,
    account: SocialAccount,
    approved: Callable[..., Entry],
    entrant: Participant,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    from contest.rights import participant_data, participant_erase

    facebook = _schedule(approved(seed=1))
    post_publish(post_id=facebook.pk)
    facebook.refresh_from_db()
    data, _files = participant_data(participant=entrant)
    assert data["social_posts"][0]["link"] == facebook.permalink
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        participant_erase(participant=entrant)
    _take_down_all()
    facebook.refresh_from_db()
    assert (facebook.state, facebook.caption) == (State.DELETED, "")


def test_a_post_made_whose_link_cannot_be_read_is_posted_with_a_note(
    graph: GraphStandIn, account: SocialAccount, approved: Callable[..., Entry]
) -> None:
    post = _schedule(approved(seed=1))
    graph.fail("GET", "*", code=200, message="(#200) Missing permission")
    assert post_publish(post_id=post.pk) == State.POSTED
    post.refresh_from_db()
    assert post.remote_id in graph.posts and post.permalink == ""
    assert "son lien n’a pas pu être relu" in post.last_error


def test_a_post_made_and_waiting_for_its_link_is_taken_down_on_withdrawal(
    graph: GraphStandIn,
    account: SocialAccount,
    approved: Callable[..., Entry],
    entrant: Participant,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    entry = approved(seed=1)
    post = _schedule(entry)
    graph.fail("GET", "*", code=2, status=503, message="Service temporarily unavailable")
    assert post_publish(post_id=post.pk) == State.SCHEDULED  # made; its link read later
    post.refresh_from_db()
    assert post.remote_id in graph.posts
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        entry_withdraw(entry_id=entry.pk, participant=entrant)
    assert post_take_down(post_id=post.pk) == State.DELETED
    assert graph.posts == {}
