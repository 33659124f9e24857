"""Thin Celery tasks of the relay: take an id, import the service, call it."""

from __future__ import annotations

from celery import Task, shared_task

from social.graph import GraphError


@shared_task(
    acks_late=True,  # post_publish claims the row first: a re-run posts nothing
    reject_on_worker_lost=True,
    time_limit=180,
    soft_time_limit=150,
)
def publish_post(post_id: int) -> str:
    from social.services import post_publish

    # Retries are the service's: it puts the post back with a later next_attempt_at, which
    # the beat job (publish_due_posts) picks up.
    return post_publish(post_id=post_id)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(GraphError,),  # raised only for transient errors and rate limits
    retry_backoff=60,
    retry_backoff_max=600,
    max_retries=5,
    time_limit=60,
    soft_time_limit=50,
)
def take_down_post(post_id: int) -> str:
    from social.services import post_take_down

    return post_take_down(post_id=post_id)


@shared_task(ignore_result=True)
def publish_due_posts() -> int:
    from social.services import posts_publish_due

    return posts_publish_due()


@shared_task(acks_late=True, reject_on_worker_lost=True, time_limit=120, soft_time_limit=100)
def import_hashtag(contest_id: int) -> int:
    from social.services import hashtag_import

    # Idempotent: a candidate is recorded once per post (a unique constraint).
    return hashtag_import(contest_id=contest_id)


@shared_task(ignore_result=True)
def import_hashtags() -> int:
    from social.services import hashtags_import_due

    return hashtags_import_due()


@shared_task(
    bind=True,
    acks_late=True,  # claim_image_fetch stores the image of a claim without one, once
    reject_on_worker_lost=True,
    max_retries=4,
    time_limit=120,
    soft_time_limit=100,
)
def fetch_claim_image(self: Task, claim_id: int) -> str:
    from social.services import ImageFetchTransient, claim_image_fetch

    try:
        return claim_image_fetch(claim_id=claim_id, last_try=self.request.retries >= 4)
    except ImageFetchTransient as error:
        # Instagram's CDN did not answer: 20 s, 40 s, 80 s, 160 s, then the claim is closed
        # (the claimant is waiting on the claim page).
        raise self.retry(exc=error, countdown=20 * 2**self.request.retries) from None


@shared_task(
    acks_late=True,  # claim_verify changes an "awaiting" claim only: a re-run does nothing
    reject_on_worker_lost=True,
    autoretry_for=(GraphError,),  # raised only for transient errors and rate limits
    retry_backoff=60,
    retry_backoff_max=900,
    max_retries=5,
    time_limit=60,
    soft_time_limit=50,
)
def verify_claim(claim_id: int) -> str:
    from social.services import claim_verify

    # Out of retries, the claim waits for the community manager (the hourly job tries again).
    return claim_verify(claim_id=claim_id)


@shared_task(
    bind=True,
    acks_late=True,  # claim_entry_make makes the entry under the claim's row lock, once
    reject_on_worker_lost=True,
    max_retries=5,
    time_limit=120,
    soft_time_limit=100,
)
def make_claim_entry(self: Task, claim_id: int) -> str:
    from social.services import ImageFetchTransient, claim_entry_make

    try:
        return claim_entry_make(claim_id=claim_id, last_try=self.request.retries >= 5)
    except ImageFetchTransient as error:
        # The storage did not answer: 1, 2, 4, 8, 16 minutes, then the claim fails.
        raise self.retry(exc=error, countdown=60 * 2**self.request.retries) from None
