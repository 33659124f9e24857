"""Moderators correct a photo's line and stop in triage: the riders' checks, an audit row,
at any moderation state, with and without JavaScript, for moderators only."""

from __future__ import annotations

import html
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.urls import reverse

from contest.models import Contest, Entry
from contest.services import EntryRefused
from moderation.models import ModerationEvent
from moderation.services import entry_place_correct
from tests.conftest import PERSONAS, service_missing
from tests.http import csrf_post
from tests.races import together
from tests.transit.networks import google_demo, line, nantes, stop
from transit.models import Line, Network

pytestmark = pytest.mark.django_db
ReadyEntry = Callable[..., Entry]


@pytest.fixture
def tan(contest: Contest) -> Network:
    network = nantes()
    Contest.objects.filter(pk=contest.pk).update(network=network)
    contest.network = network
    return network


@pytest.fixture
def demo(contest: Contest) -> Network:
    network = google_demo()
    Contest.objects.filter(pk=contest.pk).update(network=network)
    contest.network = network
    return network


def _events(entry: Entry) -> list[ModerationEvent]:
    return list(ModerationEvent.objects.filter(entry=entry, action=ModerationEvent.Action.PLACE))


def _moderator_client(moderator: object) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)  # type: ignore[arg-type]
    return client


# The service


def test_it_corrects_the_stop_and_writes_who_changed_what_in_the_log(
    ready_entry: ReadyEntry, tan: Network, moderator: User
) -> None:
    entry = ready_entry(line=line(tan, "1"), stop=stop(tan, "Commerce"))
    version = entry.version

    entry_place_correct(
        entry_id=entry.pk, moderator=moderator, line=line(tan, "1"), stop=stop(tan, "Gare Maritime")
    )

    entry.refresh_from_db()
    assert (entry.line, entry.stop) == (line(tan, "1"), stop(tan, "Gare Maritime"))
    [event] = _events(entry)
    assert event.actor == moderator
    assert event.note == "1 · Commerce → 1 · Gare Maritime"
    assert (event.from_state, event.to_state) == ("pending", "pending")
    assert event.get_action_display() == "Ligne et arrêt corrigés"
    # Not a decision: a moderator who opened the photo before can still decide on it.
    assert entry.version == version
    assert entry.moderation == Entry.Moderation.PENDING


def test_it_corrects_an_approved_photo_and_refreshes_the_cached_gallery(
    approved: Callable[..., Entry], tan: Network, moderator: User
) -> None:
    entry = approved(line=line(tan, "2"))
    gallery_version = Contest.objects.get(pk=entry.contest_id).gallery_version

    entry_place_correct(
        entry_id=entry.pk, moderator=moderator, line=None, stop=stop(tan, "Commerce")
    )

    entry.refresh_from_db()
    assert (entry.line, entry.stop) == (None, stop(tan, "Commerce"))
    assert entry.moderation == Entry.Moderation.APPROVED
    [event] = _events(entry)
    assert event.note == "2 · — → — · Commerce"
    assert (event.from_state, event.to_state) == ("approved", "approved")
    assert Contest.objects.get(pk=entry.contest_id).gallery_version == gallery_version + 1


def test_it_refuses_a_stop_the_line_does_not_serve_and_changes_nothing(
    ready_entry: ReadyEntry, demo: Network, moderator: User
) -> None:
    airport_line = line(demo, "10")
    entry = ready_entry(line=airport_line, stop=stop(demo, "Bullfrog (Demo)"))

    with pytest.raises(EntryRefused) as refused:
        entry_place_correct(
            entry_id=entry.pk,
            moderator=moderator,
            line=airport_line,
            stop=stop(demo, "Stagecoach Hotel & Casino (Demo)"),
        )

    assert refused.value.field == "stop"
    assert "ne s'arrête pas" in refused.value.message
    entry.refresh_from_db()
    assert entry.stop == stop(demo, "Bullfrog (Demo)")
    assert _events(entry) == []


def test_it_refuses_a_line_of_another_network(
    ready_entry: ReadyEntry, tan: Network, moderator: User
) -> None:
    entry = ready_entry(line=line(tan, "1"))
    other = google_demo()

    with pytest.raises(EntryRefused) as refused:
        entry_place_correct(
            entry_id=entry.pk, moderator=moderator, line=line(other, "10"), stop=None
        )

    assert refused.value.field == "line"
    entry.refresh_from_db()
    assert entry.line == line(tan, "1")
    assert _events(entry) == []


def test_it_keeps_a_line_gone_from_the_latest_feed_while_correcting_the_stop(
    ready_entry: ReadyEntry, tan: Network, moderator: User
) -> None:
    entry = ready_entry(line=line(tan, "1"))
    Line.objects.filter(pk=entry.line_id).update(active=False)

    entry_place_correct(
        entry_id=entry.pk, moderator=moderator, line=line(tan, "1"), stop=stop(tan, "Commerce")
    )

    entry.refresh_from_db()
    assert (entry.line, entry.stop) == (line(tan, "1"), stop(tan, "Commerce"))


def test_it_writes_no_log_row_when_nothing_changed(
    ready_entry: ReadyEntry, tan: Network, moderator: User
) -> None:
    entry = ready_entry(line=line(tan, "1"), stop=stop(tan, "Commerce"))

    entry_place_correct(
        entry_id=entry.pk, moderator=moderator, line=line(tan, "1"), stop=stop(tan, "Commerce")
    )

    assert _events(entry) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_logs_two_simultaneous_corrections_one_after_the_other(
    ready_entry: ReadyEntry, tan: Network, moderator: User, other_moderator: User
) -> None:
    if connection.vendor != "postgresql":
        service_missing("PostgreSQL (DATABASE_URL)")
    entry = ready_entry(stop=stop(tan, "Commerce"))
    maritime, chantenay = stop(tan, "Gare Maritime"), stop(tan, "Gare de Chantenay")

    _outcomes, errors = together(
        lambda: entry_place_correct(
            entry_id=entry.pk, moderator=moderator, line=None, stop=maritime
        ),
        lambda: entry_place_correct(
            entry_id=entry.pk, moderator=other_moderator, line=None, stop=chantenay
        ),
        refusal=EntryRefused,
    )

    assert errors == []
    # The row lock: the second correction starts from the first's result, not from Commerce.
    notes = [event.note for event in reversed(_events(entry))]
    assert len(notes) == 2
    assert notes[0].startswith("— · Commerce → ")
    assert notes[1].split(" → ")[0] == notes[0].split(" → ")[1]


# The triage page


def test_it_shows_the_line_badge_and_the_stop_next_to_the_title(
    ready_entry: ReadyEntry, tan: Network, moderator: User
) -> None:
    entry = ready_entry(line=line(tan, "2"), stop=stop(tan, "Commerce"))

    page = _moderator_client(moderator).get(reverse("moderation:triage_entry", args=[entry.pk]))

    text = html.unescape(page.content.decode())
    assert f'<span class="line-badge line-{entry.line_id}">' in text
    assert "Arrêt Commerce" in text
    assert reverse("gallery:lines_css", args=[tan.slug]) + "?v=" in text
    # The form, filled with the entry's place, for a correction.
    assert f'<option value="{entry.line_id}" selected>' in text
    assert 'name="stop" value="Commerce"' in text
    assert "Corriger la ligne ou l'arrêt (L)" in text


def test_it_offers_no_correction_when_the_contest_has_no_network(
    ready_entry: ReadyEntry, moderator: User
) -> None:
    entry = ready_entry()

    page = _moderator_client(moderator).get(reverse("moderation:triage_entry", args=[entry.pk]))

    assert page.status_code == 200
    assert "place-correct" not in page.content.decode()
    response = csrf_post(
        _moderator_client(moderator),
        reverse("moderation:triage_place", args=[entry.pk]),
        {"stop": "Commerce"},
        page=reverse("moderation:triage_entry", args=[entry.pk]),
    )
    assert response.status_code == 404


def test_it_corrects_a_stop_typed_by_name_without_javascript(
    ready_entry: ReadyEntry, tan: Network, moderator: User
) -> None:
    entry = ready_entry(title="Le tram", line=line(tan, "1"), stop=stop(tan, "Commerce"))
    client = _moderator_client(moderator)
    triage_url = reverse("moderation:triage_entry", args=[entry.pk])

    response = csrf_post(
        client,
        reverse("moderation:triage_place", args=[entry.pk]),
        # The select and a name as typed, accents and case aside; no picker's id.
        {"line": str(entry.line_id), "stop": "gare maritime", "stop_id": "", "state": "all"},
        page=triage_url,
    )

    assert response.status_code == 302
    assert response["Location"] == triage_url + "?state=all"
    entry.refresh_from_db()
    assert entry.stop == stop(tan, "Gare Maritime")
    assert len(_events(entry)) == 1
    page = client.get(response["Location"])
    assert "Ligne et arrêt de « Le tram » enregistrés." in html.unescape(page.content.decode())


def test_it_tells_what_is_wrong_with_a_misspelt_stop_and_changes_nothing(
    ready_entry: ReadyEntry, tan: Network, moderator: User
) -> None:
    entry = ready_entry(stop=stop(tan, "Commerce"))

    response = csrf_post(
        _moderator_client(moderator),
        reverse("moderation:triage_place", args=[entry.pk]),
        {"line": "", "stop": "Gare Maritme", "stop_id": ""},
        page=reverse("moderation:triage_entry", args=[entry.pk]),
    )

    assert response.status_code == 400
    text = html.unescape(response.content.decode())
    assert "Aucun arrêt ne s'appelle « Gare Maritme »" in text
    assert '<details class="place-correct" open>' in text
    entry.refresh_from_db()
    assert entry.stop == stop(tan, "Commerce")
    assert _events(entry) == []


def test_it_answers_htmx_with_the_same_photo_and_the_new_place(
    ready_entry: ReadyEntry, tan: Network, moderator: User
) -> None:
    entry = ready_entry(title="Sous la pluie", stop=stop(tan, "Commerce"))
    ready_entry(seed=2)  # the next one in the queue: not where the moderator is taken

    response = csrf_post(
        _moderator_client(moderator),
        reverse("moderation:triage_place", args=[entry.pk]),
        {"line": str(line(tan, "3").pk), "stop": "Commerce", "stop_id": str(entry.stop_id)},
        page=reverse("moderation:triage_entry", args=[entry.pk]),
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    assert f'data-entry="{entry.pk}"' in text
    assert f'<span class="line-badge line-{line(tan, "3").pk}">' in text
    assert "Ligne et arrêt de « Sous la pluie » enregistrés." in text
    entry.refresh_from_db()
    assert entry.line == line(tan, "3")


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lets_only_moderators_correct_the_place(
    persona: str, persona_client: Callable[[str], Client], ready_entry: ReadyEntry, tan: Network
) -> None:
    entry = ready_entry(stop=stop(tan, "Commerce"))
    client = persona_client(persona)

    response = csrf_post(
        client,
        reverse("moderation:triage_place", args=[entry.pk]),
        {"line": "", "stop": "Gare Maritime", "stop_id": ""},
        page=reverse("contest:home"),
    )

    entry.refresh_from_db()
    if persona == "moderator":
        assert response.status_code == 302
        assert entry.stop == stop(tan, "Gare Maritime")
    else:
        assert response.status_code in (302, 403)
        assert entry.stop == stop(tan, "Commerce")
        assert _events(entry) == []
