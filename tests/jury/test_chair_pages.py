"""The chair's pages through the Django client: jurors, rounds, closing, results, report.

The chair signs in with a password (plain force_login); jurors vote through the services,
so that these tests stand whatever the jurors' pages look like.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from contest.models import Contest, Entry, Participant
from jury import selectors, services
from jury.models import Juror, JuryEvent, Panel, Round, RoundEntry, Task
from tests.conftest import staff_group
from tests.factories import EnrollmentFactory
from tests.http import follow_signin_link
from tests.mail import deliver_mail

pytestmark = pytest.mark.django_db


def in_french(text: str) -> str:
    with translation.override("fr"):
        return translation.gettext(text)


def page_text(response: Any) -> str:
    return html.unescape(response.content.decode())


def post(client: Client, url: str, data: dict[str, Any] | None = None, **extra: Any) -> Any:
    """A form post as a browser sends it: with the CSRF token of an earlier page."""
    if "csrftoken" not in client.cookies:
        client.get(reverse("contest:home"))
    token = client.cookies["csrftoken"].value
    return client.post(url, {**(data or {}), "csrfmiddlewaretoken": token}, **extra)


@pytest.fixture
def chair_client(chair: object) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(chair)  # type: ignore[arg-type]
    return client


def deadline(days: int = 7) -> str:
    return timezone.localtime(timezone.now() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def create_round(
    client: Client, contest: Contest, *, kind: str, quorum: int = 2, criteria: str = ""
) -> Round:
    response = post(
        client,
        reverse("jury:round_create", args=[contest.slug]),
        {"kind": kind, "quorum": quorum, "deadline": deadline(), "criteria": criteria},
    )
    created = Round.objects.filter(contest=contest).latest("number")
    assert response.status_code == 302, page_text(response)
    assert response["Location"] == reverse("jury:round", args=[contest.slug, created.pk])
    return created


def start(client: Client, contest: Contest, round: Round) -> None:
    """The chair starts the round; the worker's job (its service, as the worker runs it)
    deals it; the round's page then shows it active."""
    response = post(
        client,
        reverse("jury:round_activate", args=[contest.slug, round.pk]),
        {"back": "round"},
        follow=True,
    )
    assert response.status_code == 200
    round.refresh_from_db()
    assert round.state == Round.State.STARTING, page_text(response)
    services.round_start_run(round_id=round.pk)
    round.refresh_from_db()
    assert round.state == Round.State.ACTIVE, round.start_error


def vote_all(round: Round, vote: Callable[[Task], dict[str, Any]]) -> None:
    """Every open task of the round judged by its juror, through the service."""
    for task in Task.objects.filter(round=round, state=Task.State.OPEN).select_related(
        "juror", "round_entry__entry"
    ):
        services.task_vote(task_id=task.pk, juror=task.juror, version=task.version, **vote(task))


def close(client: Client, contest: Contest, round: Round, cut: float) -> Any:
    """The chair picks a cut in the preview, reads the confirmation, then confirms."""
    url = reverse("jury:round_close", args=[contest.slug, round.pk])
    confirmation = client.get(url, {"cut": repr(cut)})
    assert confirmation.status_code == 200
    assert 'id="confirm-close"' in confirmation.content.decode()
    return post(client, url, {"cut": repr(cut)}, follow=True)


def title_of(task: Task) -> str:
    return task.round_entry.entry.title


def test_a_chair_takes_a_contest_through_three_rounds_to_a_ranked_shortlist(
    chair_client: Client,
    contest: Contest,
    chair: object,
    juror: object,
    other_juror: object,
    third_juror: object,
    approved_photos: Callable[[int], list[Entry]],
) -> None:
    approved_photos(6)
    page = chair_client.get(reverse("jury:chair", args=[contest.slug]))
    assert page.status_code == 200
    assert all(alias in page_text(page) for alias in ("J1", "J2", "J3"))

    # Round 1, yes or no: photos 1 to 4 get every yes.
    first = create_round(chair_client, contest, kind=Round.Kind.YESNO, quorum=2)
    start(chair_client, contest, first)
    assert RoundEntry.objects.filter(round=first).count() == 6
    vote_all(first, lambda t: {"value": 1 if title_of(t) <= "Photo 4" else 0})
    round_page = chair_client.get(reverse("jury:round", args=[contest.slug, first.pk]))
    assert round_page.status_code == 200
    text = round_page.content.decode()
    # The threshold preview: a radio per cut with how many photos advance.
    assert selectors.round_results(round=first).preview() == [(1.0, 4), (0.0, 6)]
    assert 'name="cut" id="cut-1" value="1.0"' in text
    assert "Coup de cœur du public" in page_text(round_page)
    closed = close(chair_client, contest, first, 1.0)
    assert closed.status_code == 200
    first.refresh_from_db()
    assert first.state == Round.State.CLOSED and first.cut == 1.0
    assert {re.entry.title for re in RoundEntry.objects.filter(round=first, advanced=True)} == {
        "Photo 1",
        "Photo 2",
        "Photo 3",
        "Photo 4",
    }

    # Round 2, rated on two weighted criteria.
    second = create_round(
        chair_client,
        contest,
        kind=Round.Kind.RATING,
        quorum=2,
        criteria="Lumière | 2\nCadrage | 1,5\n",
    )
    assert second.criteria == [
        {"code": "lumiere", "label": "Lumière", "weight": 2.0},
        {"code": "cadrage", "label": "Cadrage", "weight": 1.5},
    ]
    start(chair_client, contest, second)
    assert RoundEntry.objects.filter(round=second).count() == 4
    marks = {"Photo 1": 5, "Photo 2": 4, "Photo 3": 3, "Photo 4": 1}
    vote_all(
        second,
        lambda t: {"scores": {"lumiere": marks[title_of(t)], "cadrage": marks[title_of(t)]}},
    )
    preview = dict((count, cut) for cut, count in selectors.round_results(round=second).preview())
    close(chair_client, contest, second, preview[3])
    second.refresh_from_db()
    assert second.state == Round.State.CLOSED
    kept = RoundEntry.objects.filter(round=second, advanced=True)
    assert {re.entry.title for re in kept} == {"Photo 1", "Photo 2", "Photo 3"}

    # Round 3, a ranking: every juror orders the three photos the same way.
    third = create_round(chair_client, contest, kind=Round.Kind.RANKING, quorum=1)
    start(chair_client, contest, third)
    order = ["Photo 2", "Photo 1", "Photo 3"]
    for seat in Juror.objects.filter(contest=contest, active=True):
        mine = {
            t.round_entry.entry.title: t.round_entry_id
            for t in Task.objects.filter(round=third, juror=seat).select_related(
                "round_entry__entry"
            )
        }
        services.ballot_submit(
            round_id=third.pk, juror=seat, groups=[[mine[title]] for title in order]
        )
    ranking_page = page_text(chair_client.get(reverse("jury:round", args=[contest.slug, third.pk])))
    assert "Borda" in ranking_page
    close(chair_client, contest, third, 2.0)
    third.refresh_from_db()
    assert third.state == Round.State.CLOSED

    # The shortlist: the ranking's winners, in rank order, with their thumbnails.
    results = chair_client.get(reverse("jury:results", args=[contest.slug]))
    assert results.status_code == 200
    final, shortlist = selectors.shortlist(contest=contest)
    assert final == third
    assert [row.title for row in shortlist] == ["Photo 2", "Photo 1"]
    listed = page_text(results).split('class="jury-shortlist"')[1].split("</ol>")[0]
    assert listed.index("Photo 2") < listed.index("Photo 1")
    assert "Photo 3" not in listed
    assert listed.count("<img") == 2
    closings = JuryEvent.objects.filter(contest=contest, action=JuryEvent.Action.CLOSE)
    assert closings.count() == 3 and {e.actor for e in closings} == {chair}


def test_an_invited_juror_gets_a_mail_whose_link_signs_them_in_to_their_work(
    chair_client: Client, contest: Contest
) -> None:
    # The "Jury" group as its migration made it, even after a live server test emptied it.
    staff_group("Jury")
    response = post(
        chair_client,
        reverse("jury:juror_invite", args=[contest.slug]),
        {"email": "Nouvelle.Jure@Studio.example"},
        follow=True,
    )
    assert response.status_code == 200
    seat = Juror.objects.get(contest=contest)
    assert seat.user.email == "nouvelle.jure@studio.example"
    assert seat.alias in page_text(response)
    sent = deliver_mail()
    assert [m.to for m in sent] == [["nouvelle.jure@studio.example"]]
    assert contest.title in sent[0].subject
    link = re.search(r"http://testserver(/\S+)", str(sent[0].body))
    assert link, sent[0].body

    browser = Client()
    landed = follow_signin_link(browser, link.group(0))
    assert landed.status_code == 302
    assert landed["Location"] == reverse("jury:home", args=[contest.slug])
    assert browser.get(landed["Location"]).status_code == 200
    # A link proves a mailbox, not a staff member: the chair's pages stay shut.
    chair_page = browser.get(reverse("jury:chair", args=[contest.slug]))
    assert chair_page.status_code == 302
    assert chair_page["Location"].startswith(reverse("admin:login"))


def test_an_invitation_to_a_bad_address_is_refused_on_the_form(
    chair_client: Client, contest: Contest
) -> None:
    response = post(
        chair_client, reverse("jury:juror_invite", args=[contest.slug]), {"email": "pas-un-mail"}
    )
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()
    assert not Juror.objects.exists()
    assert not mail.outbox


def test_removing_a_juror_deals_their_photos_still_to_judge_to_the_others(
    chair_client: Client,
    contest: Contest,
    active_round: Callable[..., Round],
    juror: object,
) -> None:
    round = active_round(kind=Round.Kind.YESNO, quorum=2, photos=6)
    leaver = Juror.objects.get(user=juror)  # type: ignore[misc]
    voted = Task.objects.filter(round=round, juror=leaver).first()
    assert voted is not None
    services.task_vote(task_id=voted.pk, juror=leaver, version=voted.version, value=1)
    url = reverse("jury:juror_remove", args=[contest.slug, leaver.pk])

    confirm = chair_client.get(url)
    assert confirm.status_code == 200
    assert leaver.user.email in page_text(confirm)
    leaver.refresh_from_db()
    assert leaver.active  # opening the confirmation changes nothing

    response = post(chair_client, url, follow=True)
    assert response.status_code == 200
    leaver.refresh_from_db()
    assert not leaver.active
    live = Task.objects.filter(round=round).exclude(state=Task.State.CANCELLED)
    assert not live.filter(juror=leaver, state=Task.State.OPEN).exists()
    # Every photo keeps two jurors; the vote already cast stays.
    for round_entry in RoundEntry.objects.filter(round=round):
        assert live.filter(round_entry=round_entry).count() == 2
    assert live.filter(pk=voted.pk, state=Task.State.DONE).exists()


def test_removing_a_juror_that_would_leave_photos_short_is_refused_with_a_message(
    chair_client: Client, contest: Contest, active_round: Callable[..., Round], juror: object
) -> None:
    active_round(kind=Round.Kind.YESNO, quorum=3, photos=2)
    leaver = Juror.objects.get(user=juror)  # type: ignore[misc]
    response = post(
        chair_client,
        reverse("jury:juror_remove", args=[contest.slug, leaver.pk]),
        follow=True,
    )
    assert response.status_code == 200
    with translation.override("fr"):
        expected = translation.gettext(
            "Too few jurors are left to keep %(quorum)s per photo: add a juror first."
        ) % {"quorum": 3}
    assert expected in page_text(response)
    leaver.refresh_from_db()
    assert leaver.active


def test_the_staff_domain_is_saved_from_the_jury_page(
    chair_client: Client, contest: Contest
) -> None:
    response = post(
        chair_client,
        reverse("jury:panel_update", args=[contest.slug]),
        {"staff_domain": "@Reseau.Example"},
    )
    assert response.status_code == 302
    assert Panel.objects.get(contest=contest).staff_domain == "reseau.example"
    refused = post(
        chair_client,
        reverse("jury:panel_update", args=[contest.slug]),
        {"staff_domain": "pas un domaine"},
    )
    assert refused.status_code == 400


def test_lowering_the_quorum_is_refused_with_the_services_message(
    chair_client: Client, contest: Contest, active_round: Callable[..., Round]
) -> None:
    round = active_round(kind=Round.Kind.YESNO, quorum=2, photos=3)
    url = reverse("jury:round_quorum", args=[contest.slug, round.pk])
    lowered = post(chair_client, url, {"quorum": 1, "back": "round"}, follow=True)
    assert lowered.status_code == 200
    assert lowered.redirect_chain[-1][0] == reverse("jury:round", args=[contest.slug, round.pk])
    assert in_french("The number of jurors per photo can only go up: votes are cast.") in (
        page_text(lowered)
    )
    round.refresh_from_db()
    assert round.quorum == 2

    raised = post(chair_client, url, {"quorum": 3}, follow=True)
    assert raised.status_code == 200
    round.refresh_from_db()
    assert round.quorum == 3
    live = Task.objects.filter(round=round).exclude(state=Task.State.CANCELLED)
    assert {live.filter(round_entry=re).count() for re in round.round_entries.all()} == {3}


def test_a_paused_round_refuses_votes_until_the_chair_resumes_it(
    chair_client: Client, contest: Contest, active_round: Callable[..., Round], juror: object
) -> None:
    round = active_round(kind=Round.Kind.YESNO, quorum=2, photos=2)
    url = reverse("jury:round_pause", args=[contest.slug, round.pk])
    assert post(chair_client, url, {"paused": "1"}).status_code == 302
    round.refresh_from_db()
    assert round.state == Round.State.PAUSED
    seat = Juror.objects.get(user=juror)  # type: ignore[misc]
    task = Task.objects.filter(round=round, juror=seat).first()
    assert task is not None
    with pytest.raises(services.JuryError):
        services.task_vote(task_id=task.pk, juror=seat, version=task.version, value=1)
    assert post(chair_client, url, {"paused": "0"}).status_code == 302
    round.refresh_from_db()
    assert round.state == Round.State.ACTIVE


def test_a_second_close_is_told_the_round_is_closed_not_shown_an_error(
    chair_client: Client, contest: Contest, active_round: Callable[..., Round]
) -> None:
    round = active_round(kind=Round.Kind.YESNO, quorum=2, photos=2)
    first = close(chair_client, contest, round, 0.0)
    assert first.status_code == 200
    url = reverse("jury:round_close", args=[contest.slug, round.pk])
    again = post(chair_client, url, {"cut": "0.0"}, follow=True)
    assert again.status_code == 200
    assert in_french("This round is already closed.") in page_text(again)
    assert JuryEvent.objects.filter(round=round, action=JuryEvent.Action.CLOSE).count() == 1


def test_a_cut_that_is_not_a_number_sends_the_chair_back_to_the_round(
    chair_client: Client, contest: Contest, active_round: Callable[..., Round]
) -> None:
    round = active_round(kind=Round.Kind.YESNO, quorum=2, photos=2)
    url = reverse("jury:round_close", args=[contest.slug, round.pk])
    for cut in ("nan", "abc", "other"):
        response = chair_client.get(url, {"cut": cut})
        assert response.status_code == 302
    assert post(chair_client, url, {"cut": "inf"}).status_code == 302
    round.refresh_from_db()
    assert round.state == Round.State.ACTIVE


def test_it_previews_the_rules_then_disqualifies_only_the_photos_the_chair_kept(
    chair_client: Client,
    contest: Contest,
    chair: object,
    juror: object,
    other_juror: object,
    third_juror: object,
    approved: Callable[..., Entry],
    settings: Any,
) -> None:
    # The test photos are 900 × 600: a print minimum of 700 px flags each one, 500 none.
    settings.JURY_PRINT_MIN_SHORT_SIDE = 500
    fine = approved(seed=1, title="Dans les règles")
    late = approved(seed=2, title="En retard")
    Entry.objects.filter(pk=late.pk).update(created_at=contest.closes_at + timedelta(hours=2))
    also_late = approved(seed=3, title="En retard aussi")
    Entry.objects.filter(pk=also_late.pk).update(
        created_at=contest.closes_at + timedelta(minutes=5)
    )
    # A photo sent by a member of the jury.
    insider = Participant.objects.create(
        user=juror,  # type: ignore[misc]
        credit_name="J. Juré",
        age_bracket="adult",
    )
    EnrollmentFactory(contest=contest, participant=insider)
    own = approved(seed=4, title="Du juré", participant=insider)
    created = services.round_create(
        contest=contest,
        kind=Round.Kind.YESNO,
        quorum=1,
        deadline=timezone.now() + timedelta(days=3),
        chair=chair,  # type: ignore[arg-type]
    )
    round = services.round_activate(round_id=created.pk, chair=chair)  # type: ignore[arg-type]
    by_entry = {re.entry_id: re for re in RoundEntry.objects.filter(round=round)}
    url = reverse("jury:round_rules", args=[contest.slug, round.pk])

    preview = chair_client.get(url)
    assert preview.status_code == 200
    shown = page_text(preview)
    for entry in (late, also_late, own):
        assert f'value="{by_entry[entry.pk].pk}"' in shown
    assert f'value="{by_entry[fine.pk].pk}"' not in shown
    assert not RoundEntry.objects.filter(round=round, disqualified=True).exists()

    # The chair unticks one of the late photos: it stays in the round.
    kept_ticked = [by_entry[late.pk].pk, by_entry[own.pk].pk, by_entry[fine.pk].pk]
    applied = post(chair_client, url, {"pick": kept_ticked}, follow=True)
    assert applied.status_code == 200
    out = {re.entry_id: re for re in RoundEntry.objects.filter(round=round, disqualified=True)}
    assert set(out) == {late.pk, own.pk}
    assert "closed" in out[late.pk].disqualified_reason or "clôtur" in (
        out[late.pk].disqualified_reason
    )
    assert out[own.pk].disqualified_reason
    events = JuryEvent.objects.filter(round=round, action=JuryEvent.Action.DISQUALIFY)
    assert events.count() == 2 and all(e.actor == chair for e in events)

    settings.JURY_PRINT_MIN_SHORT_SIDE = 700
    small = selectors.disqualification_candidates(round=round)
    assert {c.round_entry_id for c in small} == {
        by_entry[fine.pk].pk,
        by_entry[also_late.pk].pk,
    }
    assert all("900 × 600" in c.reason for c in small)


def test_a_photo_disqualified_by_hand_needs_a_reason_and_can_be_put_back(
    chair_client: Client, contest: Contest, active_round: Callable[..., Round], juror: object
) -> None:
    round = active_round(kind=Round.Kind.YESNO, quorum=3, photos=2)
    vote_all(round, lambda t: {"value": 1})
    target = RoundEntry.objects.filter(round=round).first()
    assert target is not None
    url = reverse("jury:round_entry_disqualify", args=[contest.slug, round.pk, target.pk])

    no_reason = post(chair_client, url, {"disqualified": "1", "reason": " "}, follow=True)
    assert in_french("Give the reason for the disqualification.") in page_text(no_reason)
    target.refresh_from_db()
    assert not target.disqualified

    post(chair_client, url, {"disqualified": "1", "reason": "Photo retouchée"})
    target.refresh_from_db()
    assert target.disqualified and target.disqualified_reason == "Photo retouchée"
    row = next(r for r in selectors.round_results(round=round).rows if r.code == target.code)
    assert not row.advances_at(0.0)
    page = page_text(chair_client.get(reverse("jury:round", args=[contest.slug, round.pk])))
    assert "Photo retouchée" in page

    post(chair_client, url, {"disqualified": "0"})
    target.refresh_from_db()
    assert not target.disqualified
    row = next(r for r in selectors.round_results(round=round).rows if r.code == target.code)
    assert row.votes == 3


def test_the_chair_breaks_a_tie_for_first_place_with_a_casting_vote(
    chair_client: Client,
    contest: Contest,
    chair: object,
    active_round: Callable[..., Round],
) -> None:
    round = active_round(kind=Round.Kind.RANKING, photos=3)
    entries = list(RoundEntry.objects.filter(round=round).order_by("pk"))
    a, b, c = (re.pk for re in entries)
    ballots = [[[a], [b], [c]], [[b], [a], [c]], [[a, b], [c]]]
    for seat, groups in zip(Juror.objects.filter(contest=contest), ballots, strict=True):
        services.ballot_submit(round_id=round.pk, juror=seat, groups=groups)
    assert sorted(selectors.round_results(round=round).tied_winners) == [a, b]
    page = chair_client.get(reverse("jury:round", args=[contest.slug, round.pk]))
    assert f'name="place_{a}"' in page.content.decode()

    url = reverse("jury:round_casting", args=[contest.slug, round.pk])
    same_place = post(chair_client, url, {f"place_{a}": "1", f"place_{b}": "1"}, follow=True)
    assert in_french("Give each photo a different place.") in page_text(same_place)
    assert not JuryEvent.objects.filter(action=JuryEvent.Action.CASTING).exists()

    post(chair_client, url, {f"place_{a}": "2", f"place_{b}": "1"})
    round.refresh_from_db()
    assert round.casting == [b, a]
    assert [r.round_entry_id for r in selectors.round_results(round=round).rows] == [b, a, c]
    event = JuryEvent.objects.get(action=JuryEvent.Action.CASTING)
    assert event.actor == chair

    close(chair_client, contest, round, 1.0)
    _final, shortlist = selectors.shortlist(contest=contest)
    assert [row.round_entry_id for row in shortlist] == [b, a]


def test_marketing_sees_the_results_and_the_report_but_no_action(
    contest: Contest,
    marketing: object,
    active_round: Callable[..., Round],
    chair: object,
) -> None:
    round = active_round(kind=Round.Kind.YESNO, quorum=2, photos=3)
    vote_all(round, lambda t: {"value": 1})
    services.round_close(round_id=round.pk, chair=chair, cut=1.0)  # type: ignore[arg-type]
    client = Client(enforce_csrf_checks=True)
    client.force_login(marketing)  # type: ignore[arg-type]
    results = client.get(reverse("jury:results", args=[contest.slug]))
    assert results.status_code == 200
    text = results.content.decode()
    assert "Photo 1" in text and "jury-shortlist" in text
    # No vote, no disqualification, no link to the chair's pages.
    assert "/presidence/" not in text
    assert 'name="disqualified"' not in text and 'name="cut"' not in text
    report = client.get(reverse("jury:report", args=[contest.slug]))
    assert report.status_code == 200
    assert "/presidence/" not in report.content.decode()
    assert client.get(reverse("jury:round", args=[contest.slug, round.pk])).status_code == 403


def test_the_report_shows_dates_every_vote_under_aliases_and_the_notes_for_it(
    chair_client: Client, contest: Contest, active_round: Callable[..., Round], chair: object
) -> None:
    round = active_round(kind=Round.Kind.YESNO, quorum=3, photos=2)
    vote_all(round, lambda t: {"value": 1 if t.juror.alias != "J2" else 0})
    seat = Juror.objects.get(alias="J1")
    task = Task.objects.filter(round=round, juror=seat).select_related("round_entry").first()
    assert task is not None
    services.note_save(
        round_entry_id=task.round_entry_id, juror=seat, text="Belle lumière.", for_report=True
    )
    services.note_save(
        round_entry_id=task.round_entry_id,
        juror=Juror.objects.get(alias="J3"),
        text="Entre nous.",
        for_report=False,
    )
    services.round_close(round_id=round.pk, chair=chair, cut=0.5)  # type: ignore[arg-type]

    response = chair_client.get(reverse("jury:report", args=[contest.slug]))
    assert response.status_code == 200
    text = page_text(response)
    report = selectors.jury_report(contest=contest)
    item = report.rounds[0]
    assert item.created_at and item.started_at and item.closed_at
    assert [j.alias for j in item.jurors] == ["J1", "J2", "J3"]
    assert all(cells == [1.0, 0.0, 1.0] for _row, cells in item.votes)
    assert "Belle lumière." in text and "Entre nous." not in text
    assert all(alias in text for alias in ("J1", "J2", "J3"))
    assert "jury@reseau.example" not in text  # aliases only
    assert task.round_entry.code in text


def test_the_scores_export_lists_every_vote_and_defuses_formulas(
    chair_client: Client,
    contest: Contest,
    chair: object,
    juror: object,
    other_juror: object,
    third_juror: object,
    approved: Callable[..., Entry],
) -> None:
    approved(seed=1, title='=HYPERLINK("http://evil.example")')
    approved(seed=2, title="Sage")
    created = services.round_create(
        contest=contest,
        kind=Round.Kind.RATING,
        quorum=2,
        deadline=timezone.now() + timedelta(days=3),
        criteria=[
            {"code": "lumiere", "label": "Lumière", "weight": 2},
            {"code": "cadrage", "label": "Cadrage", "weight": 1},
        ],
        chair=chair,  # type: ignore[arg-type]
    )
    round = services.round_activate(round_id=created.pk, chair=chair)  # type: ignore[arg-type]
    vote_all(round, lambda t: {"scores": {"lumiere": 5, "cadrage": 2}})

    response = chair_client.get(reverse("jury:scores_csv", args=[contest.slug]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode().lstrip("\ufeff")  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == [
        "round",
        "kind",
        "code",
        "title",
        "juror",
        "value",
        "lumiere",
        "cadrage",
        "voted_at",
    ]
    assert len(rows) == 1 + 4
    assert {row[4] for row in rows[1:]} <= {"J1", "J2", "J3"}
    assert all(row[5] == "4" and row[6:8] == ["5", "2"] for row in rows[1:])
    titles = {row[3] for row in rows[1:]}
    assert titles == {'\'=HYPERLINK("http://evil.example")', "Sage"}


def test_a_rating_round_refuses_a_criteria_line_it_cannot_read(
    chair_client: Client, contest: Contest
) -> None:
    response = post(
        chair_client,
        reverse("jury:round_create", args=[contest.slug]),
        {
            "kind": Round.Kind.RATING,
            "quorum": 2,
            "deadline": deadline(),
            "criteria": "Lumière | 2\n| 3\n",
        },
    )
    assert response.status_code == 400
    assert not Round.objects.exists()
    in_past = post(
        chair_client,
        reverse("jury:round_create", args=[contest.slug]),
        {"kind": Round.Kind.YESNO, "quorum": 2, "deadline": deadline(days=-1)},
    )
    assert in_past.status_code == 400
    assert not Round.objects.exists()


def test_a_second_round_cannot_be_created_while_one_is_open(
    chair_client: Client, contest: Contest, active_round: Callable[..., Round]
) -> None:
    active_round(kind=Round.Kind.YESNO, quorum=2, photos=2)
    response = post(
        chair_client,
        reverse("jury:round_create", args=[contest.slug]),
        {"kind": Round.Kind.YESNO, "quorum": 2, "deadline": deadline()},
    )
    assert response.status_code == 400
    assert in_french("Close the current round before starting another.") in page_text(response)
    assert Round.objects.count() == 1


def test_a_chair_action_without_the_csrf_token_is_refused(
    chair_client: Client, contest: Contest, active_round: Callable[..., Round]
) -> None:
    round = active_round(kind=Round.Kind.YESNO, quorum=2, photos=2)
    response = chair_client.post(
        reverse("jury:round_close", args=[contest.slug, round.pk]), {"cut": "0.0"}
    )
    assert response.status_code == 403
    round.refresh_from_db()
    assert round.state == Round.State.ACTIVE


def _results_sql(round: Round) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        selectors.round_results(round=round)
    return [q["sql"] for q in queries.captured_queries]


def test_the_results_are_read_in_the_same_queries_whatever_the_number_of_photos(
    active_round: Callable[..., Round],
    approved: Callable[..., Entry],
    juror: object,
) -> None:
    """A first round holds every photo of the contest (250,000 in bench/jury.py): reading
    its results must not name them one by one in the SQL."""
    round = active_round(kind=Round.Kind.YESNO, quorum=1, photos=2)
    vote_all(round, lambda t: {"value": 1})
    before = _results_sql(round)
    seat = Juror.objects.get(user=juror)  # type: ignore[misc]
    for seed in (11, 12, 13):
        entry = approved(seed=seed, title=f"Photo {seed}")
        added = RoundEntry.objects.create(round=round, entry=entry, code=f"1ZZ{seed}")
        Task.objects.create(
            round=round,
            round_entry=added,
            juror=seat,
            state=Task.State.DONE,
            value=1,
            voted_at=timezone.now(),
        )
    after = _results_sql(round)
    assert after == before
    assert len(selectors.round_results(round=round).rows) == 5


def test_a_juror_behind_gets_a_reminder_with_their_count_the_deadline_and_a_link(
    active_round: Callable[..., Round], juror: object, contest: Contest
) -> None:
    round = active_round(kind=Round.Kind.YESNO, quorum=3, photos=2)
    # Two days before the deadline nobody has voted: everyone is behind.
    sent = services.jurors_remind(
        now=round.deadline - timedelta(days=2), base_url="http://testserver"
    )
    assert sent == 3
    mails = {m.to[0]: m for m in deliver_mail()}
    reminder = mails[juror.email]  # type: ignore[attr-defined]
    assert contest.title in reminder.subject
    body = str(reminder.body)
    assert (
        in_french("You have judged %(done)s of your %(total)s photos in the jury of “%(contest)s”.")
        % {"done": 0, "total": 2, "contest": contest.title}
    ) in body
    assert timezone.localtime(round.deadline).date().isoformat() in body or (
        round.deadline.date().isoformat() in body
    )
    link = re.search(r"http://testserver(/\S+)", body)
    assert link and reverse("jury:home", args=[contest.slug]) in link.group(0)
