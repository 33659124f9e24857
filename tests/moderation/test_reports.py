"""A visitor reports a public photo: stored without the address, counted, hidden past a
threshold, rate-limited, and never for photos that are not public."""

from __future__ import annotations

import hashlib
import hmac
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contest.models import Contest, Entry, Participant
from core import network
from moderation import reports, services
from moderation.models import EntryReport, ModerationEvent
from photos.models import Photo
from photos.selectors import renditions_hash
from tests.conftest import service_missing
from tests.factories import EntryFactory, UserFactory
from tests.http import csrf_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def public_entry(ready_entry: Callable[..., Entry]) -> Entry:
    """A photo a moderator approved an hour ago, with its real renditions."""
    entry = ready_entry(title="Le tram au lever du jour")
    Entry.objects.filter(pk=entry.pk).update(
        moderation=Entry.Moderation.APPROVED,
        decided_at=timezone.now() - timedelta(hours=1),
        approved_renditions=entry.photo.renditions_hash,
    )
    entry.refresh_from_db()
    return entry


@pytest.fixture
def moderator(db: None) -> object:
    return UserFactory(email="moderatrice@reseau.example", is_superuser=True)


def _url(entry: Entry) -> str:
    return reverse("moderation:report", args=[entry.photo.public_id])


def _report(entry: Entry, ip_address: str, reason: str = "inappropriate") -> EntryReport:
    return reports.entry_report(
        entry=entry, reason=reason, message="", email="", ip_address=ip_address
    )


def test_it_shows_the_photo_and_the_form_in_french_by_default(public_entry: Entry) -> None:
    response = Client().get(_url(public_entry))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Signaler cette photo" in page
    assert "Le tram au lever du jour" in page
    thumb = public_entry.photo.renditions.get(spec="thumb", format="jpeg")
    assert thumb.file.url in page
    assert "Choquante ou inappropriée" in page  # a reason, translated
    assert 'name="csrfmiddlewaretoken"' in page


def test_it_stores_the_report_with_a_keyed_hash_of_the_address_and_flags_the_entry(
    public_entry: Entry,
) -> None:
    visitor = Client(enforce_csrf_checks=True)
    response = csrf_post(
        visitor,
        _url(public_entry),
        {"reason": "me", "message": "C'est moi, sur le quai.", "email": "Lou@Example.org"},
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 200
    assert "Merci" in response.content.decode()
    report = EntryReport.objects.get()
    assert (report.entry, report.reason, report.email) == (public_entry, "me", "lou@example.org")
    expected = hmac.new(settings.SECRET_KEY.encode(), b"203.0.113.9", hashlib.sha256).hexdigest()
    assert report.ip_hash == expected
    assert "203.0.113.9" not in repr(EntryReport.objects.values().get())
    public_entry.refresh_from_db()
    assert (public_entry.report_count, public_entry.flagged, public_entry.hidden) == (
        1,
        True,
        False,
    )
    event = ModerationEvent.objects.get(entry=public_entry)
    assert event.action == ModerationEvent.Action.REPORTED
    assert event.actor is None
    assert (event.from_state, event.to_state, event.note) == ("approved", "approved", "me")


def test_it_counts_one_ipv6_visitor_by_their_whole_network() -> None:
    same = network.network_hash(ip_address="2001:db8:1:2::a")
    assert same == network.network_hash(ip_address="2001:db8:1:2:ffff::1")
    assert same != network.network_hash(ip_address="2001:db8:1:3::a")
    assert network.network_hash(ip_address="::ffff:192.0.2.1") == network.network_hash(
        ip_address="192.0.2.1"
    )


def test_it_hides_the_entry_when_enough_addresses_reported_it_with_one_hide_event(
    public_entry: Entry, settings: object
) -> None:
    settings.REPORTS_TO_HIDE = 3  # type: ignore[attr-defined]
    _report(public_entry, "192.0.2.1")
    _report(public_entry, "192.0.2.2")
    public_entry.refresh_from_db()
    assert not public_entry.hidden
    _report(public_entry, "192.0.2.3")
    _report(public_entry, "192.0.2.4")
    public_entry.refresh_from_db()
    assert (public_entry.report_count, public_entry.flagged, public_entry.hidden) == (4, True, True)
    events = ModerationEvent.objects.filter(entry=public_entry)
    assert events.filter(action=ModerationEvent.Action.REPORTED).count() == 4
    assert events.filter(action=ModerationEvent.Action.HIDE).count() == 1
    assert Client().get(_url(public_entry)).status_code == 404


def test_it_does_not_let_one_address_hide_a_photo_alone(
    public_entry: Entry, settings: object
) -> None:
    settings.REPORTS_TO_HIDE = 3  # type: ignore[attr-defined]
    for _ in range(3):
        _report(public_entry, "192.0.2.1")
    public_entry.refresh_from_db()
    assert (public_entry.report_count, public_entry.hidden) == (3, False)


def test_it_counts_only_reports_since_a_moderator_kept_the_photo(
    public_entry: Entry, moderator: object, settings: object
) -> None:
    settings.REPORTS_TO_HIDE = 2  # type: ignore[attr-defined]
    _report(public_entry, "192.0.2.1")
    _report(public_entry, "192.0.2.2")
    public_entry.refresh_from_db()
    assert public_entry.hidden
    seen = renditions_hash(public_entry.photo.renditions.all())
    services.entry_decide(
        entry_id=public_entry.pk,
        version=public_entry.version,
        moderator=moderator,  # type: ignore[arg-type]
        approve=True,
        seen_renditions=seen,
    )
    _report(public_entry, "192.0.2.3")
    public_entry.refresh_from_db()
    assert (public_entry.flagged, public_entry.hidden) == (True, False)
    _report(public_entry, "192.0.2.4")
    public_entry.refresh_from_db()
    assert public_entry.hidden
    assert ModerationEvent.objects.filter(action=ModerationEvent.Action.HIDE).count() == 2


def test_it_rate_limits_reports_from_one_address_and_stores_nothing_more(
    public_entry: Entry, settings: object
) -> None:
    # A visitor who is not signed in is known by their address alone.
    settings.REPORTS_PER_HOUR_PER_ADDRESS = 2  # type: ignore[attr-defined]
    visitor = Client(enforce_csrf_checks=True)
    for _ in range(2):
        ok = csrf_post(visitor, _url(public_entry), {"reason": "other"}, REMOTE_ADDR="192.0.2.7")
        assert ok.status_code == 200
    refused = csrf_post(visitor, _url(public_entry), {"reason": "other"}, REMOTE_ADDR="192.0.2.7")
    assert refused.status_code == 429
    assert "Vous avez envoyé beaucoup de signalements" in refused.content.decode()
    assert EntryReport.objects.count() == 2
    public_entry.refresh_from_db()
    assert public_entry.report_count == 2
    other = csrf_post(
        Client(enforce_csrf_checks=True),
        _url(public_entry),
        {"reason": "other"},
        REMOTE_ADDR="192.0.2.8",
    )
    assert other.status_code == 200


def test_it_asks_for_a_reason(public_entry: Entry) -> None:
    response = csrf_post(Client(enforce_csrf_checks=True), _url(public_entry), {"message": "?"})
    assert response.status_code == 400
    assert not EntryReport.objects.exists()


def test_it_refuses_a_post_without_csrf_token(public_entry: Entry) -> None:
    visitor = Client(enforce_csrf_checks=True)
    response = visitor.post(_url(public_entry), {"reason": "other"})
    assert response.status_code == 403
    assert not EntryReport.objects.exists()


@pytest.mark.parametrize(
    ("moderation_state", "hidden", "photo_status"),
    [
        (Entry.Moderation.PENDING, False, Photo.Status.READY),
        (Entry.Moderation.REFUSED, False, Photo.Status.READY),
        (Entry.Moderation.APPROVED, True, Photo.Status.READY),
        (Entry.Moderation.APPROVED, False, Photo.Status.PROCESSING),
    ],
)
def test_it_answers_404_for_a_photo_that_is_not_public(
    contest: Contest,
    entrant: Participant,
    moderation_state: str,
    hidden: bool,
    photo_status: str,
) -> None:
    entry = EntryFactory(
        contest=contest,
        participant=entrant,
        moderation=moderation_state,
        hidden=hidden,
        photo__status=photo_status,
    )
    visitor = Client(enforce_csrf_checks=True)
    assert visitor.get(_url(entry)).status_code == 404
    posted = csrf_post(visitor, _url(entry), {"reason": "other"}, page=reverse("contest:home"))
    assert posted.status_code == 404
    assert not EntryReport.objects.exists()


def test_it_answers_404_for_an_unknown_photo(db: None) -> None:
    response = Client().get(reverse("moderation:report", args=[uuid.uuid4()]))
    assert response.status_code == 404


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_counts_every_report_and_hides_once_when_reports_arrive_together(
    contest: Contest, entrant: Participant, settings: object
) -> None:
    if connection.vendor != "postgresql":
        service_missing("PostgreSQL (DATABASE_URL)")
    settings.REPORTS_TO_HIDE = 3  # type: ignore[attr-defined]
    entry = EntryFactory(
        contest=contest,
        participant=entrant,
        moderation=Entry.Moderation.APPROVED,
        photo__status=Photo.Status.READY,
    )
    n = 8
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def visitor(index: int) -> None:
        try:
            barrier.wait()
            _report(entry, f"198.51.100.{index + 1}")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    entry.refresh_from_db()
    assert (entry.report_count, entry.flagged, entry.hidden) == (n, True, True)
    assert EntryReport.objects.filter(entry=entry).count() == n
    events = ModerationEvent.objects.filter(entry=entry)
    assert events.filter(action=ModerationEvent.Action.REPORTED).count() == n
    assert events.filter(action=ModerationEvent.Action.HIDE).count() == 1


def test_it_hides_the_report_page_of_a_photo_the_gallery_does_not_show(
    public_entry: Entry, contest: Contest, entrant: Participant
) -> None:
    """The same visibility rule as the photo page: a participant who did not allow the
    gallery, or renditions remade since the approval, make the report page a 404 too."""
    from contest.models import Enrollment

    assert Client().get(_url(public_entry)).status_code == 200
    Enrollment.objects.filter(contest=contest, participant=entrant).update(allows_gallery=False)
    assert Client().get(_url(public_entry)).status_code == 404
    assert (
        Client().get(reverse("gallery:photo", args=[public_entry.photo.public_id])).status_code
        == 404
    )
    Enrollment.objects.filter(contest=contest, participant=entrant).update(allows_gallery=True)
    Photo.objects.filter(pk=public_entry.photo.pk).update(renditions_hash="remade")
    assert Client().get(_url(public_entry)).status_code == 404
