"""The campaign's hashtag on Instagram: found posts become candidates for marketing only,
and an entry only once their author claims them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contest.models import Contest, Entry, Participant
from social.models import HashtagCandidate, HashtagSource, SocialAccount
from social.services import candidate_claim_token, hashtag_import
from tests.conftest import PERSONAS
from tests.http import csrf_post
from tests.images import photo_bytes
from tests.social.graph_standin import GraphStandIn

pytestmark = pytest.mark.django_db


def _media(graph: GraphStandIn, media_id: str, **fields: str) -> dict[str, str]:
    return {
        "id": media_id,
        "caption": f"Mon tram du matin #Couvertures2027 ({media_id})",
        "media_type": "IMAGE",
        "media_url": graph.cdn_url(f"{media_id}.jpg", photo_bytes(1080, 1350, seed=3)),
        "permalink": f"https://www.instagram.com/p/{media_id}/",
        "timestamp": "2026-12-01T08:00:00+0000",
        **fields,
    }


@pytest.fixture
def found(graph: GraphStandIn, account: SocialAccount, contest: Contest) -> HashtagCandidate:
    graph.hashtags["couvertures2027"] = [
        _media(graph, "1801"),
        _media(graph, "1802", media_type="VIDEO"),
    ]
    assert hashtag_import(contest_id=contest.pk) == 1
    return HashtagCandidate.objects.get()


def test_it_records_the_image_posts_found_under_the_hashtag_once(
    graph: GraphStandIn, found: HashtagCandidate, contest: Contest
) -> None:
    assert found.media_id == "1801" and found.state == HashtagCandidate.State.NEW
    assert found.permalink == "https://www.instagram.com/p/1801/"
    assert found.taken_at is not None and found.entry is None
    assert hashtag_import(contest_id=contest.pk) == 0  # the next hour: nothing new
    # The hashtag was searched once (30 searches a week); its media read twice.
    [search] = graph.calls_to("GET", "ig_hashtag_search")
    assert search.params["q"] == "Couvertures2027"
    assert len(graph.calls_to("GET", "recent_media")) == 2
    assert HashtagCandidate.objects.count() == 1


def test_it_keeps_within_instagrams_weekly_hashtag_searches(
    graph: GraphStandIn, account: SocialAccount, contest: Contest
) -> None:
    from tests.factories import ContestFactory

    for number in range(30):
        other = ContestFactory(slug=f"autre-{number}")
        HashtagSource.objects.create(
            contest=other,
            hashtag=f"#Autre{number}",
            hashtag_id=str(number),
            searched_at=timezone.now() - timedelta(days=2),
        )
    assert hashtag_import(contest_id=contest.pk) == 0
    assert graph.calls_to("GET", "ig_hashtag_search") == []


def test_a_failed_search_is_shown_and_tried_again_later(
    graph: GraphStandIn, account: SocialAccount, contest: Contest
) -> None:
    graph.fail("GET", "ig_hashtag_search", code=4, message="(#4) Application request limit")
    assert hashtag_import(contest_id=contest.pk) == 0
    source = HashtagSource.objects.get(contest=contest)
    assert "Application request limit" in source.last_error and not source.hashtag_id


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_shows_the_candidates_to_marketing_only(
    persona: str,
    persona_client: Callable[[str], Client],
    found: HashtagCandidate,
    contest: Contest,
) -> None:
    response = persona_client(persona).get(reverse("social:candidates", args=[contest.slug]))
    if persona == "marketing":
        page = response.content.decode()
        assert found.permalink in page
        token = candidate_claim_token(candidate_id=found.pk)
        assert reverse("social:claim", args=[contest.slug, token]) in page
    else:
        assert response.status_code in (302, 403)


def test_nothing_found_is_shown_on_the_public_pages(
    anonymous_client: Client, found: HashtagCandidate, contest: Contest
) -> None:
    gallery = anonymous_client.get(reverse("gallery:gallery", args=[contest.slug]))
    assert found.permalink not in gallery.content.decode()
    assert "1801" not in gallery.content.decode()


def test_a_claim_is_recorded_and_the_post_becomes_an_entry_only_once_verified(
    entrant_client: Client, found: HashtagCandidate, contest: Contest, entrant: Participant
) -> None:
    url = reverse("social:claim", args=[contest.slug, candidate_claim_token(candidate_id=found.pk)])
    page = entrant_client.get(url)
    assert page.status_code == 200 and "Participer avec cette photo" in page.content.decode()
    theme = contest.themes.first()
    response = csrf_post(
        entrant_client,
        url,
        {
            "handle": "camille.photo",
            "title": "Le tram du matin",
            "caption": "Un tram sous la pluie.",
            "theme": theme.pk,
        },
    )
    assert response.status_code == 302
    found.refresh_from_db()
    assert found.state == HashtagCandidate.State.AWAITING and found.entry is None
    assert not Entry.objects.exists()  # tests/social/test_claims.py: the check, the entry


def test_the_claim_asks_to_accept_the_rules_first(
    found: HashtagCandidate, contest: Contest
) -> None:
    from tests.factories import ParticipantFactory, UserFactory

    newcomer = ParticipantFactory(
        user=UserFactory(email="lea@example.org"), credit_name="Léa", age_bracket="adult"
    )
    client = Client(enforce_csrf_checks=True)
    client.force_login(newcomer.user)
    url = reverse("social:claim", args=[contest.slug, candidate_claim_token(candidate_id=found.pk)])
    page = client.get(url).content.decode()
    assert reverse("contest:rules", args=[contest.slug]) in page
    assert 'name="title"' not in page


def test_a_forged_claim_link_is_not_found(entrant_client: Client, contest: Contest) -> None:
    url = reverse("social:claim", args=[contest.slug, "forged"])
    assert entrant_client.get(url).status_code == 404
