"""Marketing's dashboard: its figures on known data, its query count, its CSV, who sees it."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contest.models import Contest, Entry
from core.roles import staff_homes
from dashboard.selectors import QUERIES, dashboard_figures
from gallery.models import Share
from tests.conftest import PERSONAS
from tests.dashboard.conftest import NOW, Campaign, add_entry, add_votes, at, summarise
from tests.factories import ParticipantFactory, ThemeFactory

pytestmark = pytest.mark.django_db


def url_of(contest: Contest) -> str:
    return reverse("dashboard:dashboard", args=[contest.slug])


# --- the figures -------------------------------------------------------------------------


def test_it_counts_the_entries_per_day_of_the_campaign_so_far(campaign: Campaign) -> None:
    figures = dashboard_figures(contest=campaign.contest, now=NOW)
    assert figures.per_day == [
        (date(2026, 11, 1), 2),
        (date(2026, 11, 2), 1),
        (date(2026, 11, 3), 1),
    ]


def test_it_counts_the_entries_per_hour_of_the_day_in_local_time(campaign: Campaign) -> None:
    figures = dashboard_figures(contest=campaign.contest, now=NOW)
    hours = dict(figures.per_hour)
    assert len(figures.per_hour) == 24
    # 8:15, 8:40 and 8:30 UTC are 9 h in Paris; 17:05 UTC is 18 h.
    assert {hour: n for hour, n in hours.items() if n} == {9: 3, 18: 1}


def test_it_counts_the_entries_per_theme_line_and_device(campaign: Campaign) -> None:
    figures = dashboard_figures(contest=campaign.contest, now=NOW)
    assert figures.per_theme == [("Lumières de la ville", 2), ("Saisons", 1)]
    assert figures.no_theme == 1
    assert figures.per_line == [("C1 – Ligne C1", 2), ("4 – Ligne 4", 1)]
    assert (figures.phone, figures.computer, figures.unknown_device) == (2, 1, 1)


def test_it_tells_new_participants_from_those_of_an_earlier_contest(campaign: Campaign) -> None:
    figures = dashboard_figures(contest=campaign.contest, now=NOW)
    # Camille's other entry is in a contest that opened later: she is new here.
    assert (figures.participants, figures.new, figures.returning) == (2, 1, 1)


def test_it_measures_moderation(campaign: Campaign) -> None:
    figures = dashboard_figures(contest=campaign.contest, now=NOW)
    assert (figures.total, figures.pending, figures.approved, figures.refused) == (4, 1, 2, 1)
    assert figures.approval_rate == 66.7
    assert figures.refusals == [("Hors sujet", 1)]
    # Decided after 1 h, 3 h and 2 h.
    assert figures.median_decision == timedelta(hours=2)
    assert figures.oldest_pending == at(3, 8, 30)


def test_it_takes_the_mean_of_the_two_middle_times_for_an_even_count(campaign: Campaign) -> None:
    add_entry(
        campaign.contest, campaign.entries[0].participant, at(3, 9),
        moderation=Entry.Moderation.APPROVED, decided_at=at(3, 19),
    )  # fmt: skip
    summarise(campaign.contest)
    figures = dashboard_figures(contest=campaign.contest, now=NOW)
    assert figures.median_decision == timedelta(hours=2, minutes=30)


def test_it_counts_votes_per_day_and_ranks_the_most_voted_photos(campaign: Campaign) -> None:
    figures = dashboard_figures(contest=campaign.contest, now=NOW)
    assert figures.votes_per_day == [
        (date(2026, 11, 1), 1),
        (date(2026, 11, 2), 2),
        (date(2026, 11, 3), 1),
    ]
    assert [(p.title, p.votes) for p in figures.top_voted] == [
        ("Le tram au lever du jour", 3),
        ("Bus de nuit", 1),
    ]


def test_it_ranks_the_most_shared_public_photos(campaign: Campaign) -> None:
    first, _second, third = campaign.entries[0], campaign.entries[1], campaign.entries[2]
    day = date(2026, 11, 2)
    for visitor, network in (("a", "facebook"), ("b", "facebook"), ("a", "whatsapp")):
        Share.objects.create(entry=third, network=network, visitor=visitor, day=day)
    Share.objects.create(entry=first, network="x", visitor="a", day=day)
    figures = dashboard_figures(contest=campaign.contest, now=NOW)
    assert [(p.title, p.shares) for p in figures.top_shared] == [
        (third.title, 3),
        (first.title, 1),
    ]
    Entry.objects.filter(pk=third.pk).update(withdrawn_at=NOW)  # gone from every figure
    figures = dashboard_figures(contest=campaign.contest, now=NOW)
    assert [p.title for p in figures.top_shared] == [first.title]


def test_it_shows_nothing_but_zeros_for_a_contest_without_entries(contest: Contest) -> None:
    figures = dashboard_figures(contest=contest)
    assert figures.total == 0
    assert figures.approval_rate is None
    assert figures.median_decision is None
    assert all(n == 0 for _day, n in figures.per_day)


# --- a fixed number of queries -----------------------------------------------------------


def test_it_makes_the_same_queries_for_ten_times_the_data(
    campaign: Campaign, django_assert_num_queries: Callable[..., object]
) -> None:
    with django_assert_num_queries(QUERIES):  # type: ignore[attr-defined]
        dashboard_figures(contest=campaign.contest, now=NOW)
    contest = campaign.contest
    for n in range(40):
        rider = ParticipantFactory()
        entry = add_entry(
            contest, rider, at(1 + n % 3, n % 24), theme=ThemeFactory(contest=contest),
            device="phone", moderation=Entry.Moderation.APPROVED, decided_at=at(4, n % 24),
        )  # fmt: skip
        add_votes(entry, [at(2, n % 24), at(3, n % 24)])
    summarise(contest)
    with django_assert_num_queries(QUERIES):  # type: ignore[attr-defined]
        dashboard_figures(contest=campaign.contest, now=NOW)


def test_it_answers_the_page_in_as_many_queries_for_ten_times_the_data(
    campaign: Campaign, persona_client: Callable[[str], Client]
) -> None:
    client = persona_client("marketing")
    url = url_of(campaign.contest)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    small = count()
    for n in range(40):
        entry = add_entry(campaign.contest, ParticipantFactory(), at(2, n % 24), device="phone")
        add_votes(entry, [at(2, 12)])
    summarise(campaign.contest)
    assert count() == small


# --- the page, its CSV, its refresh ------------------------------------------------------


def test_it_offers_each_chart_as_csv(
    campaign: Campaign, persona_client: Callable[[str], Client]
) -> None:
    response = persona_client("marketing").get(url_of(campaign.contest), {"csv": "themes"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="couvertures-2027-themes.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["Thème", "Participations"],
        ["Lumières de la ville", "2"],
        ["Saisons", "1"],
        ["Sans thème", "1"],
    ]


def test_it_answers_404_for_a_chart_that_does_not_exist(
    campaign: Campaign, persona_client: Callable[[str], Client]
) -> None:
    response = persona_client("marketing").get(url_of(campaign.contest), {"csv": "nope"})
    assert response.status_code == 404


def test_it_links_every_chart_to_its_csv(
    campaign: Campaign, persona_client: Callable[[str], Client]
) -> None:
    client = persona_client("marketing")
    page = client.get(url_of(campaign.contest)).content.decode()
    keys = re.findall(r'href="\?csv=(\w+)"', page)
    assert keys == [
        "days",
        "hours",
        "themes",
        "lines",
        "devices",
        "participants",
        "refusals",
        "votes",
    ]
    for key in keys:
        assert client.get(url_of(campaign.contest), {"csv": key}).status_code == 200


def test_it_refreshes_the_figures_every_30_seconds_with_a_fragment(
    campaign: Campaign, persona_client: Callable[[str], Client]
) -> None:
    client = persona_client("marketing")
    page = client.get(url_of(campaign.contest)).content.decode()
    assert 'hx-trigger="every 30s, dashboard-refresh"' in page
    assert "js/dashboard.js" in page
    fragment = client.get(url_of(campaign.contest), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment
    assert 'id="chart-days-title"' in fragment


def test_it_answers_404_for_an_unknown_contest(persona_client: Callable[[str], Client]) -> None:
    response = persona_client("marketing").get(reverse("dashboard:dashboard", args=["nope"]))
    assert response.status_code == 404


# --- the charts' accessibility in the page -----------------------------------------------


def test_it_names_and_describes_every_chart_and_uses_no_style_attribute(
    campaign: Campaign, persona_client: Callable[[str], Client]
) -> None:
    page = persona_client("marketing").get(url_of(campaign.contest)).content.decode()
    svgs = re.findall(r"<svg\b[^>]*>.*?</svg>", page, flags=re.S)
    assert len(svgs) == 8
    for svg in svgs:
        assert 'role="img"' in svg
        title_id, desc_id = re.search(r'aria-labelledby="([^" ]+) ([^"]+)"', svg).groups()  # type: ignore[union-attr]
        assert re.search(rf'<title id="{title_id}">[^<]+</title>', svg)
        assert re.search(rf'<desc id="{desc_id}">[^<]+</desc>', svg)
    assert " style=" not in page
    # The data behind each chart, in a table.
    assert page.count('<details id="table-') == 8
    assert '<th scope="row">Lumières de la ville</th><td class="num">2</td>' in page


# --- who may see it ----------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_opens_the_dashboard_to_marketing_only(
    persona: str, persona_client: Callable[[str], Client], campaign: Campaign
) -> None:
    for query in ({}, {"csv": "days"}):
        response = persona_client(persona).get(url_of(campaign.contest), query)
        if persona == "marketing":
            assert response.status_code == 200
        elif persona == "anonymous":
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("admin:login") + "?next=")
        else:
            assert response.status_code == 403


def test_it_opens_the_dashboard_to_a_superuser(campaign: Campaign, staff: object) -> None:
    client = Client()
    client.force_login(staff)  # type: ignore[arg-type]
    assert client.get(url_of(campaign.contest)).status_code == 200


def test_it_offers_marketing_the_dashboard_after_the_staff_sign_in(
    campaign: Campaign, marketing: object, moderator: object
) -> None:
    urls = [home.url for home in staff_homes(user=marketing)]  # type: ignore[arg-type]
    assert url_of(campaign.contest) in urls
    assert url_of(campaign.contest) not in [home.url for home in staff_homes(user=moderator)]  # type: ignore[arg-type]
