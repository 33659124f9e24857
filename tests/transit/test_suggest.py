"""The pickers' suggestions: accents and case folded, active rows only, few and cacheable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.transit.networks import google_demo, line, nantes, stop
from transit import selectors
from transit.models import Line, Network, Stop

pytestmark = pytest.mark.django_db


@pytest.fixture
def tan() -> Network:
    return nantes()


def suggest(client: Client, network: Network, kind: str, **params: Any) -> list[str]:
    url = reverse(f"transit:{kind}_suggest", args=[network.slug])
    response = client.get(url, params)
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300"
    return [result["label"] for result in response.json()["results"]]


def test_it_finds_a_stop_whatever_its_accents_case_and_punctuation(
    anonymous_client: Client, tan: Network
) -> None:
    assert suggest(anonymous_client, tan, "stops", q="Gare Sud") == [
        "Gare de Vertou Sud",
        "Gare SNCF Sud",
    ]
    assert suggest(anonymous_client, tan, "stops", q="hotel DIEU") == ["Hôtel Dieu"]
    assert suggest(anonymous_client, tan, "stops", q="gare-de-pont-rousseau") == [
        "Gare de Pont-Rousseau"
    ]
    # The station once, not each of its boarding points.
    assert suggest(anonymous_client, tan, "stops", q="commerce") == ["Commerce"]


def test_it_puts_the_line_of_that_number_first(anonymous_client: Client, tan: Network) -> None:
    found = suggest(anonymous_client, tan, "lines", q="2")
    assert found[0] == "2 – Orvault Grand Val - Gare de Pont Rousseau"
    # "2" starts a word: 20, 23... come next; 12 and 42 do not.
    assert all(label.split(" ")[0].startswith("2") for label in found)
    assert 2 < len(found) <= 10
    assert suggest(anonymous_client, tan, "lines", q="cathedrale") == [
        "4 – Foch - Cathédrale - Porte de Vertou"
    ]


def test_it_offers_at_most_ten_suggestions_and_nothing_for_an_empty_query(
    anonymous_client: Client, tan: Network
) -> None:
    assert len(suggest(anonymous_client, tan, "stops", q="a")) == 10
    assert suggest(anonymous_client, tan, "stops", q=" - ") == []
    assert suggest(anonymous_client, tan, "lines", q="") == []


def test_it_leaves_out_inactive_lines_and_stops(anonymous_client: Client, tan: Network) -> None:
    Line.objects.filter(network=tan, short_name="4").update(active=False)
    Stop.objects.filter(network=tan, name="Hôtel Dieu").update(active=False)

    assert suggest(anonymous_client, tan, "lines", q="cathedrale") == []
    assert suggest(anonymous_client, tan, "stops", q="hotel dieu") == []


def test_it_narrows_the_stops_to_those_the_chosen_line_serves(anonymous_client: Client) -> None:
    demo = google_demo()
    airport = line(demo, "10")  # Airport - Bullfrog: two stops in stop_times.txt
    everywhere = suggest(anonymous_client, demo, "stops", q="demo")
    assert len(everywhere) == 9

    served = suggest(anonymous_client, demo, "stops", q="demo", ligne=airport.pk)
    assert served == ["Bullfrog (Demo)", "Nye County Airport (Demo)"]


def test_it_offers_every_stop_with_a_line_whose_stops_the_feed_does_not_give(
    anonymous_client: Client, tan: Network
) -> None:
    tram = line(tan, "1")
    assert suggest(anonymous_client, tan, "stops", q="commerce", ligne=tram.pk) == ["Commerce"]


def test_it_answers_404_for_an_unknown_network_or_a_bad_line(
    anonymous_client: Client, tan: Network
) -> None:
    assert anonymous_client.get("/reseaux/inconnu/lignes/", {"q": "2"}).status_code == 404
    url = reverse("transit:stops_suggest", args=[tan.slug])
    assert anonymous_client.get(url, {"q": "gare", "ligne": "x"}).status_code == 404


def test_it_searches_in_one_query_whatever_the_network_size(
    tan: Network, django_assert_num_queries: Callable[..., Any]
) -> None:
    tram = line(tan, "1")
    with django_assert_num_queries(1):
        assert selectors.lines_search(network=tan, query="2")
    with django_assert_num_queries(1):
        assert selectors.stops_search(network=tan, query="gare", line=tram)
    with django_assert_num_queries(1):
        assert selectors.stops_search(network=tan, query="gare")


def test_it_resolves_a_typed_stop_name_or_lists_close_ones(tan: Network) -> None:
    found, close = selectors.stop_resolve(network=tan, name="  COMMERCE ")
    assert found == stop(tan, "Commerce")
    assert close == []

    found, close = selectors.stop_resolve(network=tan, name="Gare Sud")
    assert found is None
    assert [s.name for s in close] == ["Gare de Vertou Sud", "Gare SNCF Sud"]

    found, close = selectors.stop_resolve(network=tan, name="Comerce Centre")
    assert found is None
    assert len(close) <= 5
