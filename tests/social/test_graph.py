"""The Graph API client against the stand-in: the documented requests and answers, and the
error object sorted into what the relay does about it."""

from __future__ import annotations

import socket

import pytest

from social.graph import GraphClient, GraphError
from tests.social.conftest import IG_USER_ID, PAGE_ID, TOKEN
from tests.social.graph_standin import GraphStandIn


@pytest.fixture
def client(graph: GraphStandIn) -> GraphClient:
    return GraphClient(base_url=graph.base_url, access_token=TOKEN, timeout=5)


def test_it_posts_a_photo_on_the_page_from_its_url(
    graph: GraphStandIn, client: GraphClient
) -> None:
    graph.image_check = lambda url: url == "https://cdn.example/p.jpg"
    photo_id, post_id = client.page_photo_create(
        page_id=PAGE_ID, url="https://cdn.example/p.jpg", caption="Le tram #Couvertures2027"
    )
    assert post_id.startswith(f"{PAGE_ID}_") and photo_id
    [call] = graph.calls_to("POST", "photos")
    assert call.path == f"{PAGE_ID}/photos"
    assert call.params["url"] == "https://cdn.example/p.jpg"
    assert call.params["caption"] == "Le tram #Couvertures2027"
    assert call.params["access_token"] == TOKEN
    link = client.object_fields(object_id=post_id, fields="permalink_url")["permalink_url"]
    assert link.startswith("https://www.facebook.com/")
    assert client.object_delete(object_id=post_id) is True


def test_it_publishes_on_instagram_in_two_steps(graph: GraphStandIn, client: GraphClient) -> None:
    graph.container_polls_in_progress = 1
    graph.image_check = lambda url: True
    container = client.ig_container_create(
        ig_user_id=IG_USER_ID, image_url="https://cdn.example/p.jpg", caption="Légende"
    )
    assert client.ig_container_status(container_id=container) == "IN_PROGRESS"
    assert client.ig_container_status(container_id=container) == "FINISHED"
    media_id = client.ig_container_publish(ig_user_id=IG_USER_ID, container_id=container)
    assert graph.calls_to("POST", "media_publish")[0].params["creation_id"] == container
    assert client.object_fields(object_id=media_id, fields="permalink")["permalink"].startswith(
        "https://www.instagram.com/p/"
    )
    limit = client.ig_publishing_limit(ig_user_id=IG_USER_ID)
    assert (limit.usage, limit.total, limit.reached) == (1, 100, False)


def test_it_reads_the_expired_token_error_as_a_reconnection(
    graph: GraphStandIn, client: GraphClient
) -> None:
    graph.expired_tokens.add(TOKEN)
    with pytest.raises(GraphError) as raised:
        client.ig_publishing_limit(ig_user_id=IG_USER_ID)
    error = raised.value
    assert (error.code, error.subcode, error.type) == (190, 463, "OAuthException")
    assert error.fbtrace_id == "AxYz987" and error.status == 400
    assert error.is_expired_token and not error.is_transient and not error.is_rate_limit


@pytest.mark.parametrize("code", [4, 17, 32, 613])
def test_it_reads_the_rate_limit_codes(graph: GraphStandIn, client: GraphClient, code: int) -> None:
    graph.fail("POST", "photos", code=code, message="(#4) Application request limit reached")
    with pytest.raises(GraphError) as raised:
        client.page_photo_create(page_id=PAGE_ID, url="https://cdn.example/p.jpg", caption="")
    assert raised.value.is_rate_limit and not raised.value.is_transient


@pytest.mark.parametrize(("code", "status"), [(1, 500), (2, 503)])
def test_it_reads_codes_1_and_2_as_transient(
    graph: GraphStandIn, client: GraphClient, code: int, status: int
) -> None:
    graph.fail("POST", "media", code=code, status=status, transient=True)
    with pytest.raises(GraphError) as raised:
        client.ig_container_create(ig_user_id=IG_USER_ID, image_url="https://x/p.jpg", caption="")
    assert raised.value.is_transient


def test_it_reads_a_refused_connection_as_transient() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing listens there
    client = GraphClient(base_url=f"http://127.0.0.1:{port}/v21.0", access_token=TOKEN, timeout=2)
    with pytest.raises(GraphError) as raised:
        client.object_delete(object_id="1_2")
    assert raised.value.is_network and raised.value.is_transient


def test_it_reads_a_deleted_post_as_missing(graph: GraphStandIn, client: GraphClient) -> None:
    with pytest.raises(GraphError) as raised:
        client.object_delete(object_id=f"{PAGE_ID}_404")
    assert raised.value.is_missing_object


def test_it_finds_a_hashtag_and_its_recent_media(graph: GraphStandIn, client: GraphClient) -> None:
    graph.hashtags["couvertures2027"] = [
        {
            "id": "1799",
            "caption": "Mon tram #Couvertures2027",
            "media_type": "IMAGE",
            "media_url": "https://cdn.example/ig.jpg",
            "permalink": "https://www.instagram.com/p/ABC/",
            "timestamp": "2026-12-01T08:00:00+0000",
        }
    ]
    tag = client.ig_hashtag_id(ig_user_id=IG_USER_ID, hashtag="#Couvertures2027")
    assert tag is not None
    assert graph.calls_to("GET", "ig_hashtag_search")[0].params == {
        "user_id": IG_USER_ID,
        "q": "Couvertures2027",
        "access_token": TOKEN,
    }
    media, after = client.ig_hashtag_recent_media(ig_user_id=IG_USER_ID, hashtag_id=tag)
    assert [m.permalink for m in media] == ["https://www.instagram.com/p/ABC/"] and after == ""
    assert client.ig_hashtag_id(ig_user_id=IG_USER_ID, hashtag="inconnu") is None


def test_it_refuses_a_base_url_that_is_not_http() -> None:
    with pytest.raises(ValueError):
        GraphClient(base_url="file:///etc", access_token=TOKEN)


def test_business_discovery_lists_a_business_accounts_media_and_refuses_the_others(
    graph: GraphStandIn, client: GraphClient
) -> None:
    graph.business_accounts["lumieres.nantes"] = [
        {
            "id": "1801",
            "caption": "Le tram #Couvertures2027 COVERLINE-7K3QX9",
            "media_type": "IMAGE",
            "media_url": "https://cdn.example/1801.jpg",
            "permalink": "https://www.instagram.com/p/1801/",
            "timestamp": "2026-12-01T08:00:00+0000",
        }
    ]
    found = client.ig_business_discovery(ig_user_id=IG_USER_ID, username="Lumieres.Nantes")
    assert found.username == "lumieres.nantes" and found.id
    assert [(m.id, m.media_url, m.caption) for m in found.media] == [
        ("1801", "https://cdn.example/1801.jpg", "Le tram #Couvertures2027 COVERLINE-7K3QX9")
    ]
    # A personal account, or no such account: the API's error, not worth a retry.
    with pytest.raises(GraphError) as personal:
        client.ig_business_discovery(ig_user_id=IG_USER_ID, username="camille.perso")
    assert (personal.value.code, personal.value.subcode) == (110, 2207013)
    assert not personal.value.is_transient and not personal.value.is_rate_limit
    assert "camille.perso cannot be found" in personal.value.message
    # Nothing but a username goes into the field expansion.
    calls = len(graph.calls)
    with pytest.raises(GraphError):
        client.ig_business_discovery(ig_user_id=IG_USER_ID, username="a){id}")
    assert len(graph.calls) == calls
