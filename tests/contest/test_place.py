"""A photo's line and stop: the network's own, consistent, changed until moderation."""

from __future__ import annotations

import html
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from contest import services
from contest.models import Contest, Entry, Participant
from photos import imaging
from photos.services import upload_policy
from tests.http import csrf_post, upload_data
from tests.images import upload
from tests.transit.networks import google_demo, line, nantes, stop
from transit.models import Line, Network, Stop

pytestmark = pytest.mark.django_db


@pytest.fixture
def tan(contest: Contest) -> Network:
    network = nantes()
    contest.network = network
    contest.save(update_fields=["network"])
    return network


@pytest.fixture
def demo(contest: Contest) -> Network:
    network = google_demo()
    contest.network = network
    contest.save(update_fields=["network"])
    return network


def _draft(seed: int, line: Line | None = None, stop: Stop | None = None) -> services.EntryDraft:
    file = upload(f"p{seed}.jpg", seed=seed)
    info = imaging.inspect_upload(file, size=file.size, policy=upload_policy())
    return services.EntryDraft(
        upload=file, info=info, title="T", caption="C", theme=None, line=line, stop=stop
    )


def _submit(contest: Contest, entrant: Participant, **place: Line | Stop | None) -> Entry:
    [entry] = services.entry_submit(
        contest=contest, participant=entrant, drafts=[_draft(1, **place)]
    )  # type: ignore[arg-type]
    return entry


# The service


def test_it_tags_an_entry_with_a_line_and_a_stop_of_the_contest_network(
    contest: Contest, entrant: Participant, tan: Network
) -> None:
    entry = _submit(contest, entrant, line=line(tan, "1"), stop=stop(tan, "Commerce"))

    entry.refresh_from_db()
    assert (entry.line, entry.stop) == (line(tan, "1"), stop(tan, "Commerce"))


def test_it_refuses_a_line_or_a_stop_of_another_network_and_stores_nothing(
    contest: Contest, entrant: Participant, tan: Network
) -> None:
    other = google_demo()

    with pytest.raises(services.EntryRefused) as refused:
        _submit(contest, entrant, line=line(other, "10"))
    assert refused.value.message == "Choisissez une des lignes du réseau de ce concours."
    with pytest.raises(services.EntryRefused) as refused:
        _submit(contest, entrant, stop=stop(other, "Bullfrog (Demo)"))
    assert refused.value.message == "Choisissez un des arrêts du réseau de ce concours."
    assert not Entry.objects.exists()


def test_it_refuses_a_line_when_the_contest_has_no_network(
    contest: Contest, entrant: Participant
) -> None:
    other = google_demo()
    with pytest.raises(services.EntryRefused):
        _submit(contest, entrant, line=line(other, "10"))
    assert not Entry.objects.exists()


def test_it_refuses_a_stop_the_line_does_not_serve(
    contest: Contest, entrant: Participant, demo: Network
) -> None:
    airport_line = line(demo, "10")  # Airport - Bullfrog
    with pytest.raises(services.EntryRefused) as refused:
        _submit(
            contest, entrant, line=airport_line, stop=stop(demo, "Stagecoach Hotel & Casino (Demo)")
        )
    assert refused.value.message == (
        "La ligne 10 ne s'arrête pas à « Stagecoach Hotel & Casino (Demo) » : "
        "choisissez un autre arrêt ou une autre ligne."
    )
    assert refused.value.field == "stop"
    assert not Entry.objects.exists()

    entry = _submit(contest, entrant, line=airport_line, stop=stop(demo, "Bullfrog (Demo)"))
    assert entry.stop == stop(demo, "Bullfrog (Demo)")


def test_it_refuses_a_line_gone_from_the_latest_feed_for_a_new_photo(
    contest: Contest, entrant: Participant, tan: Network
) -> None:
    Line.objects.filter(pk=line(tan, "1").pk).update(active=False)
    with pytest.raises(services.EntryRefused):
        _submit(contest, entrant, line=line(tan, "1"))


def test_it_lets_the_rider_change_the_place_until_moderation(
    contest: Contest, entrant: Participant, tan: Network
) -> None:
    entry = _submit(contest, entrant, line=line(tan, "1"))

    services.entry_update_place(
        entry=entry, participant=entrant, line=line(tan, "2"), stop=stop(tan, "Commerce")
    )
    entry.refresh_from_db()
    assert (entry.line, entry.stop) == (line(tan, "2"), stop(tan, "Commerce"))

    services.entry_update_place(entry=entry, participant=entrant, line=None, stop=None)
    entry.refresh_from_db()
    assert (entry.line, entry.stop) == (None, None)


def test_it_keeps_a_tag_the_latest_feed_made_inactive(
    contest: Contest, entrant: Participant, tan: Network
) -> None:
    entry = _submit(contest, entrant, line=line(tan, "1"), stop=stop(tan, "Commerce"))
    Line.objects.filter(pk=entry.line_id).update(active=False)
    Stop.objects.filter(pk=entry.stop_id).update(active=False)
    entry.refresh_from_db()

    services.entry_update_place(
        entry=entry, participant=entrant, line=entry.line, stop=stop(tan, "Commerce")
    )
    entry.refresh_from_db()
    assert (entry.line, entry.stop) == (line(tan, "1"), stop(tan, "Commerce"))
    # Another inactive line is not offered, and not taken either.
    Line.objects.filter(network=tan, short_name="3").update(active=False)
    with pytest.raises(services.EntryRefused):
        services.entry_update_place(
            entry=entry, participant=entrant, line=line(tan, "3"), stop=None
        )


def test_it_refuses_to_change_the_place_once_moderated(
    contest: Contest, entrant: Participant, tan: Network
) -> None:
    entry = _submit(contest, entrant, line=line(tan, "1"))
    Entry.objects.filter(pk=entry.pk).update(moderation=Entry.Moderation.APPROVED)
    entry.refresh_from_db()

    with pytest.raises(services.EntryRefused) as refused:
        services.entry_update_place(
            entry=entry, participant=entrant, line=line(tan, "2"), stop=None
        )
    assert "modérée" in refused.value.message
    entry.refresh_from_db()
    assert entry.line == line(tan, "1")


def test_it_loses_to_a_moderator_who_decided_after_the_rider_opened_the_page(
    ready_entry: Callable[..., Entry],
    entrant: Participant,
    contest: Contest,
    tan: Network,
    moderator: User,
) -> None:
    from moderation.services import entry_decide
    from photos.selectors import renditions_hash

    entry = ready_entry(line=line(tan, "1"))
    seen_by_rider = Entry.objects.get(pk=entry.pk)  # still pending when the rider loaded it
    entry_decide(
        entry_id=entry.pk,
        version=entry.version,
        moderator=moderator,
        approve=True,
        seen_renditions=renditions_hash(entry.photo.renditions.all()),
    )

    with pytest.raises(services.EntryRefused):
        services.entry_update_place(
            entry=seen_by_rider, participant=entrant, line=line(tan, "2"), stop=None
        )
    entry.refresh_from_db()
    assert entry.moderation == Entry.Moderation.APPROVED
    assert entry.line == line(tan, "1")


def test_it_refuses_to_change_another_riders_photo(
    contest: Contest, entrant: Participant, other_entrant: Participant, tan: Network
) -> None:
    entry = _submit(contest, entrant, line=line(tan, "1"))
    with pytest.raises(services.EntryRefused):
        services.entry_update_place(
            entry=entry, participant=other_entrant, line=line(tan, "2"), stop=None
        )
    entry.refresh_from_db()
    assert entry.line == line(tan, "1")


# The pages, without JavaScript


def _upload_url(contest: Contest) -> str:
    return reverse("contest:upload", args=[contest.slug])


def test_it_shows_the_pickers_only_when_the_contest_has_a_network(
    entrant_client: Client, contest: Contest
) -> None:
    page = entrant_client.get(_upload_url(contest)).content.decode()
    assert "photos-0-line" not in page

    network = nantes()
    contest.network = network
    contest.save(update_fields=["network"])
    Line.objects.filter(network=network, short_name="3").update(active=False)
    page = entrant_client.get(_upload_url(contest)).content.decode()
    assert 'name="photos-0-line"' in page
    assert 'name="photos-0-stop"' in page
    assert html.escape("2 – Orvault Grand Val") in page
    assert "Marcel Paul - Neustrie" not in page  # line 3, gone from the latest feed
    assert "js/combobox.js" in page


def test_it_takes_the_line_from_the_select_and_the_stop_typed_by_name(
    entrant_client: Client, contest: Contest, tan: Network
) -> None:
    data = upload_data((upload(seed=1), "Tram", "Un tram.", contest.themes.first()))
    data["photos-0-line"] = str(line(tan, "2").pk)
    data["photos-0-stop"] = "  gare-de-pont ROUSSEAU "

    response = csrf_post(entrant_client, _upload_url(contest), data)

    assert response.status_code == 302
    entry = Entry.objects.get()
    assert (entry.line, entry.stop) == (line(tan, "2"), stop(tan, "Gare de Pont-Rousseau"))


def test_it_lists_close_stops_when_the_typed_name_matches_none(
    entrant_client: Client, contest: Contest, tan: Network
) -> None:
    data = upload_data((upload(seed=1), "Tram", "Un tram.", contest.themes.first()))
    data["photos-0-stop"] = "Gare Sud"

    response = csrf_post(entrant_client, _upload_url(contest), data)

    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert (
        "Aucun arrêt ne s'appelle « Gare Sud ». Vouliez-vous dire : "
        "« Gare de Vertou Sud », « Gare SNCF Sud » ?"
    ) in page
    assert not Entry.objects.exists()


def test_it_takes_the_stop_the_picker_chose_by_its_id(
    entrant_client: Client, contest: Contest, demo: Network
) -> None:
    data = upload_data((upload(seed=1), "Bus", "Un bus.", contest.themes.first()))
    data["photos-0-line"] = str(line(demo, "10").pk)
    data["photos-0-stop"] = "Bullfrog (Demo)"
    data["photos-0-stop_id"] = str(stop(demo, "Bullfrog (Demo)").pk)

    assert csrf_post(entrant_client, _upload_url(contest), data).status_code == 302
    assert Entry.objects.get().stop == stop(demo, "Bullfrog (Demo)")


def test_it_shows_a_stop_the_line_does_not_serve_next_to_the_stop_field(
    entrant_client: Client, contest: Contest, demo: Network
) -> None:
    data = upload_data((upload(seed=1), "Bus", "Un bus.", contest.themes.first()))
    data["photos-0-line"] = str(line(demo, "10").pk)
    data["photos-0-stop"] = "stagecoach hotel casino demo"

    response = csrf_post(entrant_client, _upload_url(contest), data)

    assert response.status_code == 400
    assert 'id="id_photos-0-stop_error"' in response.content.decode()
    assert "ne s'arrête pas" in html.unescape(response.content.decode())
    assert not Entry.objects.exists()


def test_it_lets_the_rider_set_the_place_from_my_photos_until_moderation(
    entrant_client: Client, contest: Contest, entrant: Participant, tan: Network
) -> None:
    entry = _submit(contest, entrant)
    my_photos = reverse("contest:my_entries", args=[contest.slug])
    place_url = reverse("contest:entry_place", args=[contest.slug, entry.pk])
    assert place_url in entrant_client.get(my_photos).content.decode()

    response = csrf_post(
        entrant_client,
        place_url,
        {"line": str(line(tan, "1").pk), "stop": "commerce", "stop_id": ""},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.line, entry.stop) == (line(tan, "1"), stop(tan, "Commerce"))
    page = entrant_client.get(my_photos).content.decode()
    assert "Ligne 1 – François Mitterrand" in html.unescape(page)
    assert "Arrêt Commerce" in page

    Entry.objects.filter(pk=entry.pk).update(moderation=Entry.Moderation.REFUSED)
    assert place_url not in entrant_client.get(my_photos).content.decode()
    response = csrf_post(entrant_client, place_url, {"line": "", "stop": ""}, page=my_photos)
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.line == line(tan, "1")
    followed = entrant_client.get(response.url).content.decode()
    assert "ne peuvent plus être changés" in html.unescape(followed)


def test_it_shows_the_place_form_with_the_entry_current_tag(
    entrant_client: Client, contest: Contest, entrant: Participant, tan: Network
) -> None:
    entry = _submit(contest, entrant, line=line(tan, "1"), stop=stop(tan, "Commerce"))
    Line.objects.filter(pk=entry.line_id).update(active=False)
    page = entrant_client.get(reverse("contest:entry_place", args=[contest.slug, entry.pk]))
    content = html.unescape(page.content.decode())
    assert page.status_code == 200
    # Gone from the latest feed, but still the photo's own line: offered, and selected.
    assert f'<option value="{entry.line_id}" selected>' in content
    assert 'value="Commerce"' in content


def test_it_does_not_show_another_riders_photo_place_page(
    contest: Contest, entrant: Participant, other_entrant: Participant, tan: Network
) -> None:
    entry = _submit(contest, entrant)
    client = Client()
    client.force_login(other_entrant.user)
    url = reverse("contest:entry_place", args=[contest.slug, entry.pk])
    assert client.get(url).status_code == 404


def test_it_offers_the_network_in_the_contest_admin(
    contest: Contest, staff: User, tan: Network
) -> None:
    client = Client()
    client.force_login(staff)
    from django.conf import settings

    page = client.get(f"/{settings.ADMIN_URL}contest/contest/{contest.pk}/change/")
    assert page.status_code == 200
    content = page.content.decode()
    assert 'name="network"' in content
    assert f'<option value="{tan.pk}" selected>Tan</option>' in content
