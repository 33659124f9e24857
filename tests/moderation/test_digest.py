"""The moderators' digest: who gets it, what it says, once per period, only when needed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from smtplib import SMTPException
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.utils import timezone

from contest.models import Contest, Entry, Participant
from moderation import digest, selectors
from moderation.models import EntryReport, ModerationDigest
from moderation.tasks import send_moderation_digest
from notifications import services as outbox
from notifications.models import OutboxMessage
from photos.models import Photo
from tests.factories import ContestFactory, EntryFactory, UserFactory
from tests.mail import deliver_mail

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 14, 7, 30, tzinfo=UTC)


def _group(name: str) -> Group:
    # Made by a data migration; a transactional test's flush may have removed it since.
    group, _created = Group.objects.get_or_create(name=name)
    if name == "Moderators":
        group.permissions.add(
            Permission.objects.get(content_type__app_label="contest", codename="moderate_entry")
        )
    return group


def _staff(email: str, group: str | None = None, **fields: object) -> object:
    user = UserFactory(email=email, **fields)
    if group:
        user.groups.add(_group(group))
    return user


@pytest.fixture
def staff_personas(staff: object) -> None:
    """Inès moderates, the staff superuser can too; the jury and marketing cannot."""
    _staff("ines.moderation@reseau.example", "Moderators")
    _staff("ancien.moderateur@reseau.example", "Moderators", is_active=False)
    _staff("jules.jury@reseau.example", "Jury")
    _staff("maud.marketing@reseau.example", "Marketing")


def _waiting(
    contest: Contest,
    participant: Participant,
    *,
    hours: float,
    photo_status: str = Photo.Status.READY,
    **fields: object,
) -> Entry:
    entry = EntryFactory(
        contest=contest, participant=participant, photo__status=photo_status, **fields
    )
    Entry.objects.filter(pk=entry.pk).update(created_at=NOW - timedelta(hours=hours))
    return entry


def _reported(entry: Entry, *, hours: float) -> EntryReport:
    report = EntryReport.objects.create(entry=entry, reason=EntryReport.Reason.OTHER)
    EntryReport.objects.filter(pk=report.pk).update(created_at=NOW - timedelta(hours=hours))
    Entry.objects.filter(pk=entry.pk).update(flagged=True)
    return report


def test_it_mails_moderators_and_superusers_only(
    staff_personas: None, contest: Contest, entrant: Participant
) -> None:
    _waiting(contest, entrant, hours=30)
    assert digest.moderation_digest_send(now=NOW) == 2
    assert sorted(message.to[0] for message in deliver_mail()) == [
        "ines.moderation@reseau.example",
        "staff@reseau.example",
    ]
    assert all(len(message.to) == 1 for message in mail.outbox)


def test_it_tells_how_many_wait_since_when_per_contest_and_links_the_queue_in_french(
    staff_personas: None, contest: Contest, entrant: Participant
) -> None:
    autumn = ContestFactory(title="Automne au dépôt")
    _waiting(contest, entrant, hours=50)
    _waiting(contest, entrant, hours=30)
    _waiting(autumn, entrant, hours=25)
    kept = _waiting(
        contest,
        entrant,
        hours=200,
        moderation=Entry.Moderation.APPROVED,
        decided_at=NOW - timedelta(hours=100),
    )
    _reported(kept, hours=26)
    _waiting(contest, entrant, hours=3)  # not long enough yet

    assert digest.moderation_digest_send(now=NOW) == 2
    message = deliver_mail()[0]
    assert message.subject == "4 photos en attente de modération"
    assert "4 photos attendent d'être modérées depuis plus de 24 heures." in message.body
    assert "Nouvelles photos : 3. Signalées par des visiteurs : 1." in message.body
    words = " ".join(message.body.split())  # Django's French time spans use no-break spaces
    assert "La plus ancienne attend depuis 2 jours, 2 heures." in words
    assert "- Couvertures 2027 : 3 photos" in message.body
    assert "- Automne au dépôt : 1 photo\n" in message.body
    assert "http://testserver/moderation/" in message.body
    assert "&amp;" not in message.body and "&#x27;" not in message.body
    assert ModerationDigest.objects.get().waiting == 4


def test_it_sends_once_per_period_however_often_it_runs(
    staff_personas: None, contest: Contest, entrant: Participant
) -> None:
    _waiting(contest, entrant, hours=30)
    assert digest.moderation_digest_send(now=NOW) == 2
    assert digest.moderation_digest_send(now=NOW + timedelta(minutes=30)) == 0
    assert len(deliver_mail()) == 2
    assert ModerationDigest.objects.count() == 1
    # The next period, the photo still waits: moderators are told again.
    assert digest.moderation_digest_send(now=NOW + timedelta(hours=6)) == 2
    assert len(deliver_mail()) == 4


def test_it_sends_nothing_when_nothing_has_waited_long_enough(
    staff_personas: None, contest: Contest, entrant: Participant
) -> None:
    assert digest.moderation_digest_send(now=NOW) == 0
    _waiting(contest, entrant, hours=23)
    _waiting(contest, entrant, hours=40, photo_status=Photo.Status.PROCESSING)
    _waiting(contest, entrant, hours=40, moderation=Entry.Moderation.APPROVED)
    _waiting(contest, entrant, hours=40, moderation=Entry.Moderation.REFUSED)
    reported_lately = _waiting(contest, entrant, hours=40, moderation=Entry.Moderation.APPROVED)
    _reported(reported_lately, hours=2)
    assert digest.moderation_digest_send(now=NOW) == 0
    assert not deliver_mail()
    assert not ModerationDigest.objects.exists()


def test_it_counts_a_reported_photo_from_its_first_report_since_the_last_decision(
    contest: Contest, entrant: Participant
) -> None:
    entry = _waiting(
        contest,
        entrant,
        hours=200,
        moderation=Entry.Moderation.APPROVED,
        decided_at=NOW - timedelta(hours=40),
    )
    _reported(entry, hours=45)  # before the moderator kept the photo
    _reported(entry, hours=1)
    assert selectors.moderation_backlog(now=NOW).waiting == 0
    first = _reported(entry, hours=30)
    first.refresh_from_db()
    backlog = selectors.moderation_backlog(now=NOW)
    assert (backlog.waiting, backlog.reported, backlog.oldest_since) == (1, 1, first.created_at)


def test_it_sends_the_periods_digest_once_the_mail_server_is_back(
    staff_personas: None, contest: Contest, entrant: Participant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The period's row and its messages are one transaction: a mail server down delays the
    digest (the outbox retries it) instead of losing it or sending it twice."""
    _waiting(contest, entrant, hours=30)

    def down(**kwargs: object) -> None:
        raise SMTPException("server down")

    monkeypatch.setattr(outbox.tasks.send_message, "apply_async", lambda *a, **k: None)
    with monkeypatch.context() as patched:
        patched.setattr(outbox, "send_templated_mail", down)
        assert digest.moderation_digest_send(now=NOW) == 2
        assert not deliver_mail()
    assert ModerationDigest.objects.get().period == "2027-03-14T06"
    assert digest.moderation_digest_send(now=NOW) == 0  # a re-run in the period queues nothing
    OutboxMessage.objects.update(not_before=timezone.now())  # the retry falls due
    assert len(deliver_mail()) == 2
    assert set(OutboxMessage.objects.values_list("key", flat=True)) == {
        "digest:2027-03-14T06:ines.moderation@reseau.example",
        "digest:2027-03-14T06:staff@reseau.example",
    }


def test_it_names_periods_of_six_utc_hours() -> None:
    assert digest.digest_period(now=NOW) == "2027-03-14T06"
    assert digest.digest_period(now=NOW.replace(hour=11, minute=59)) == "2027-03-14T06"
    assert digest.digest_period(now=NOW.replace(hour=12)) == "2027-03-14T12"
    paris = datetime(2027, 3, 15, 1, 30, tzinfo=ZoneInfo("Europe/Paris"))
    assert digest.digest_period(now=paris) == "2027-03-15T00"


def test_the_celery_task_sends_the_digest_once(
    staff_personas: None, contest: Contest, entrant: Participant
) -> None:
    entry = _waiting(contest, entrant, hours=1)
    Entry.objects.filter(pk=entry.pk).update(created_at=timezone.now() - timedelta(hours=30))
    assert send_moderation_digest() == 2
    assert send_moderation_digest() == 0
    assert len(deliver_mail()) == 2
