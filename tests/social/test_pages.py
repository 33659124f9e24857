"""Marketing's pages of the relay: who may open them, scheduling from the relay page, and the
queue with its states, permalinks and errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from contest.models import Contest, Enrollment, Entry, Participant
from social.models import SocialAccount, SocialPost
from social.services import post_publish, post_schedule, post_take_down
from tests.conftest import PERSONAS
from tests.http import csrf_post
from tests.social.graph_standin import GraphStandIn

pytestmark = pytest.mark.django_db
State = SocialPost.State


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_opens_the_post_queue_to_marketing_only(
    persona: str,
    persona_client: Callable[[str], Client],
    contest: Contest,
    approved: Callable[..., Entry],
    account: SocialAccount,
) -> None:
    entry = approved(seed=1)
    post = post_schedule(
        entry=entry, network="facebook", crop="carre", scheduled_at=None, user=None
    )
    client = persona_client(persona)
    get_url = reverse("social:queue", args=[contest.slug])
    post_urls = [
        reverse("social:schedule", args=[contest.slug, entry.photo.public_id]),
        reverse("social:retry", args=[contest.slug, post.pk]),
        reverse("social:mark_removed", args=[contest.slug, post.pk]),
    ]
    response = client.get(get_url)
    if persona == "marketing":
        assert response.status_code == 200
    elif persona == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login") + "?next=")
    else:
        assert response.status_code == 403
    if persona != "marketing":
        for url in post_urls:
            # The page's own token is enough: the refusal comes from the permission.
            client.get(get_url)
            token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
            refused = client.post(url, {"csrfmiddlewaretoken": token, "network": "facebook"})
            assert refused.status_code in (302, 403), url
            if refused.status_code == 302:
                assert refused["Location"].startswith(reverse("admin:login"))
        assert SocialPost.objects.count() == 1


def test_marketing_schedules_a_photo_from_the_relay_page(
    persona_client: Callable[[str], Client],
    contest: Contest,
    approved: Callable[..., Entry],
    account: SocialAccount,
    marketing: object,
) -> None:
    entry = approved(seed=1)
    client = persona_client("marketing")
    relay = client.get(reverse("gallery:relay", args=[contest.slug]))
    schedule_url = reverse("social:schedule", args=[contest.slug, entry.photo.public_id])
    assert f'action="{schedule_url}"' in relay.content.decode()
    response = csrf_post(
        client,
        schedule_url,
        {"network": "instagram", "crop": "portrait", "scheduled_at": "2099-06-01T09:30"},
        page=reverse("gallery:relay", args=[contest.slug]),
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("social:queue", args=[contest.slug])
    page = response.content.decode()
    assert "est programmée sur Instagram" in page
    post = SocialPost.objects.get()
    assert (post.network, post.crop, post.state) == ("instagram", "portrait", State.SCHEDULED)
    assert post.scheduled_by == marketing
    assert post.scheduled_at.year == 2099
    assert "Programmée" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"network": "x", "crop": "carre"}, "Sélectionnez un choix valide"),
        ({"network": "facebook", "crop": "carre", "scheduled_at": "demain"}, "Saisissez"),
        (
            {"network": "facebook", "crop": "carre", "scheduled_at": "2001-01-01T10:00"},
            "Choisissez un moment à venir",
        ),
    ],
)
def test_it_explains_bad_input_without_an_error_page(
    persona_client: Callable[[str], Client],
    contest: Contest,
    approved: Callable[..., Entry],
    account: SocialAccount,
    data: dict[str, str],
    message: str,
) -> None:
    entry = approved(seed=1)
    client = persona_client("marketing")
    response = csrf_post(
        client,
        reverse("social:schedule", args=[contest.slug, entry.photo.public_id]),
        data,
        page=reverse("gallery:relay", args=[contest.slug]),
        follow=True,
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not SocialPost.objects.exists()


def test_it_refuses_to_schedule_without_the_authors_consent(
    persona_client: Callable[[str], Client],
    contest: Contest,
    approved: Callable[..., Entry],
    account: SocialAccount,
    entrant: Participant,
) -> None:
    entry = approved(seed=1)
    Enrollment.objects.filter(participant=entrant).update(allows_social=False)
    client = persona_client("marketing")
    response = csrf_post(
        client,
        reverse("social:schedule", args=[contest.slug, entry.photo.public_id]),
        {"network": "facebook", "crop": "carre"},
        page=reverse("gallery:relay", args=[contest.slug]),
        follow=True,
    )
    assert "n’a pas autorisé les réseaux sociaux" in response.content.decode()
    assert not SocialPost.objects.exists()


def test_the_queue_shows_permalinks_errors_and_what_to_delete_by_hand(
    persona_client: Callable[[str], Client],
    graph: GraphStandIn,
    contest: Contest,
    approved: Callable[..., Entry],
    account: SocialAccount,
) -> None:
    entry = approved(seed=1)
    facebook = post_schedule(
        entry=entry, network="facebook", crop="carre", scheduled_at=None, user=None
    )
    instagram = post_schedule(
        entry=entry, network="instagram", crop="carre", scheduled_at=None, user=None
    )
    post_publish(post_id=facebook.pk)
    post_publish(post_id=instagram.pk)
    other = post_schedule(
        entry=approved(seed=2), network="facebook", crop="carre", scheduled_at=None, user=None
    )
    graph.expired_tokens.add(graph.tokens.pop())
    post_publish(post_id=other.pk)
    # The Instagram post's photo is withdrawn (as the hook marks it).
    SocialPost.objects.filter(pk=instagram.pk).update(withdrawn_at=facebook.created_at)
    post_take_down(post_id=instagram.pk)
    instagram.refresh_from_db()
    facebook.refresh_from_db()

    client = persona_client("marketing")
    page = client.get(reverse("social:queue", args=[contest.slug])).content.decode()
    assert "À supprimer à la main" in page
    assert f'href="{instagram.permalink}"' in page
    assert f'href="{facebook.permalink}"' in page
    assert "reconnectez le compte" in page  # the failed post's error
    assert "Meta a refusé le jeton d’accès" in page  # and the account's warning

    response = csrf_post(
        client,
        reverse("social:mark_removed", args=[contest.slug, instagram.pk]),
        {},
        page=reverse("social:queue", args=[contest.slug]),
    )
    assert response.status_code == 302
    instagram.refresh_from_db()
    assert instagram.state == State.DELETED


def test_marketing_tries_a_failed_post_again(
    persona_client: Callable[[str], Client],
    graph: GraphStandIn,
    contest: Contest,
    approved: Callable[..., Entry],
    account: SocialAccount,
) -> None:
    post = post_schedule(
        entry=approved(seed=1), network="facebook", crop="carre", scheduled_at=None, user=None
    )
    graph.fail("POST", "photos", code=200, message="(#200) Permissions error")
    assert post_publish(post_id=post.pk) == State.FAILED
    client = persona_client("marketing")
    csrf_post(
        client,
        reverse("social:retry", args=[contest.slug, post.pk]),
        {},
        page=reverse("social:queue", args=[contest.slug]),
    )
    assert post_publish(post_id=post.pk) == State.POSTED


def test_the_queue_page_makes_a_fixed_number_of_queries(
    persona_client: Callable[[str], Client],
    contest: Contest,
    approved: Callable[..., Entry],
    account: SocialAccount,
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    client = persona_client("marketing")
    url = reverse("social:queue", args=[contest.slug])
    for seed in range(1, 4):
        post_schedule(
            entry=approved(seed=seed),
            network="facebook",
            crop="carre",
            scheduled_at=None,
            user=None,
        )
    client.get(url)
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        assert client.get(url).status_code == 200
