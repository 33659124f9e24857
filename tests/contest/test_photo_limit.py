"""What counts against a contest's photo limit: refused and failed photos free their place."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from contest import services
from contest.models import Contest, Entry, Participant
from moderation import services as moderation
from photos import imaging
from photos.models import Photo
from photos.services import upload_policy
from tests.factories import EntryFactory
from tests.http import csrf_post, upload_data
from tests.images import upload
from tests.mail import UNDO_WINDOW, deliver_mail

pytestmark = pytest.mark.django_db


def _draft(seed: int) -> services.EntryDraft:
    file = upload(f"p{seed}.jpg", seed=seed)
    info = imaging.inspect_upload(file, size=file.size, policy=upload_policy())
    return services.EntryDraft(upload=file, info=info, title="T", caption="C", theme=None)


def test_it_lets_a_rider_send_another_photo_in_place_of_a_refused_one(
    contest: Contest, entrant: Participant
) -> None:
    contest.max_photos_per_participant = 1
    contest.save()
    EntryFactory(contest=contest, participant=entrant, moderation=Entry.Moderation.REFUSED)

    services.entry_submit(contest=contest, participant=entrant, drafts=[_draft(1)])

    assert Entry.objects.filter(participant=entrant).count() == 2


def test_it_lets_a_rider_send_another_photo_in_place_of_one_that_could_not_be_used(
    contest: Contest, entrant: Participant
) -> None:
    contest.max_photos_per_participant = 1
    contest.save()
    EntryFactory(
        contest=contest,
        participant=entrant,
        photo__status=Photo.Status.FAILED,
        photo__failure="corrupt",
    )

    services.entry_submit(contest=contest, participant=entrant, drafts=[_draft(2)])

    assert Entry.objects.filter(participant=entrant).count() == 2


def test_it_still_counts_photos_waiting_or_published(
    contest: Contest, entrant: Participant
) -> None:
    contest.max_photos_per_participant = 2
    contest.save()
    EntryFactory(contest=contest, participant=entrant, photo__status=Photo.Status.PROCESSING)
    EntryFactory(
        contest=contest,
        participant=entrant,
        moderation=Entry.Moderation.APPROVED,
        photo__status=Photo.Status.READY,
    )

    with pytest.raises(services.EntryRefused):
        services.entry_submit(contest=contest, participant=entrant, drafts=[_draft(3)])


def test_it_keeps_refusing_the_very_photo_that_was_refused(
    contest: Contest, entrant: Participant
) -> None:
    first = _draft(4)
    (refused,) = services.entry_submit(contest=contest, participant=entrant, drafts=[first])
    Entry.objects.filter(pk=refused.pk).update(moderation=Entry.Moderation.REFUSED)
    first.upload.seek(0)

    with pytest.raises(services.EntryRefused, match="déjà envoyé"):
        services.entry_submit(contest=contest, participant=entrant, drafts=[first])


def test_it_keeps_the_refusal_mails_promise_of_a_form_to_send_another_photo(
    contest: Contest,
    entrant: Participant,
    entrant_client: Client,
    ready_entry: Callable[..., Entry],
    moderator: object,
) -> None:
    entries = [ready_entry(seed=seed) for seed in (11, 12, 13)]
    upload_url = reverse("contest:upload", args=[contest.slug])
    assert "photos-TOTAL_FORMS" not in entrant_client.get(upload_url).content.decode()

    moderation.entry_decide(
        entry_id=entries[0].pk,
        version=entries[0].version,
        moderator=moderator,  # type: ignore[arg-type]
        approve=False,
        reason=Entry.Reason.OFF_TOPIC,
    )
    body = deliver_mail(later=UNDO_WINDOW)[-1].body
    link = re.search(r"http://testserver(\S*/envoyer/)", body)
    assert link, body

    page = entrant_client.get(link.group(1)).content.decode()
    assert 'name="photos-TOTAL_FORMS" value="1"' in page
    assert "vous avez envoyé vos 3 photos" not in page.lower()
    sent = csrf_post(
        entrant_client,
        link.group(1),
        upload_data(
            (upload(seed=14), "Autre", "Une autre photo.", contest.themes.first()), total=1
        ),
    )
    assert sent.status_code == 302
    assert Entry.objects.filter(participant=entrant).count() == 4


def test_it_says_in_the_rules_that_a_refused_photo_frees_its_place(
    contest: Contest, entrant_client: Client
) -> None:
    page = entrant_client.get(reverse("contest:rules", args=[contest.slug])).content.decode()
    assert "Une photo refusée" in page
    assert "ne compte pas" in page
