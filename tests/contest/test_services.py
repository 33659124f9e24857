"""entry_submit's rules, including two posts racing for the same allowance."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from contest import services
from contest.models import Contest, Entry, Participant
from photos import imaging
from photos.services import upload_policy
from tests.conftest import service_missing
from tests.images import upload


def _draft(seed: int) -> services.EntryDraft:
    file = upload(f"p{seed}.jpg", seed=seed)
    info = imaging.inspect_upload(file, size=file.size, policy=upload_policy())
    return services.EntryDraft(upload=file, info=info, title="T", caption="C", theme=None)


@pytest.mark.django_db
def test_it_refuses_a_participant_who_has_not_accepted_the_rules(contest: Contest) -> None:
    from tests.factories import ParticipantFactory

    with pytest.raises(services.EntryRefused):
        services.entry_submit(contest=contest, participant=ParticipantFactory(), drafts=[_draft(1)])
    assert not Entry.objects.exists()


@pytest.mark.django_db
def test_it_refuses_the_same_photo_twice_in_one_post(
    contest: Contest, entrant: Participant
) -> None:
    first = _draft(1)
    again = services.EntryDraft(
        upload=upload("copy.jpg", data=first.upload.read()),
        info=first.info,
        title="T",
        caption="C",
        theme=None,
    )
    first.upload.seek(0)
    with pytest.raises(services.EntryRefused) as refused:
        services.entry_submit(contest=contest, participant=entrant, drafts=[first, again])
    assert refused.value.index == 1
    assert not Entry.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_lets_only_one_of_two_racing_posts_use_the_last_places(
    contest: Contest, entrant: Participant
) -> None:
    if connection.vendor != "postgresql":
        service_missing("PostgreSQL (DATABASE_URL)")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def post(seeds: tuple[int, int]) -> None:
        drafts = [_draft(seed) for seed in seeds]
        barrier.wait()
        try:
            services.entry_submit(contest=contest, participant=entrant, drafts=drafts)
            outcomes.append("ok")
        except services.EntryRefused:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(seeds,)) for seeds in ((1, 2), (3, 4))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["ok", "refused"]
    assert Entry.objects.filter(participant=entrant).count() == 2
