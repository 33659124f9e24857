"""Reads of lines and stops: the pickers' suggestions and the checks of a rider's choice.

Searches compare `search_key`s (transit.gtfs.search_key): accents, case and punctuation do
not count, and each word typed must start a word of the name, so "gare sud" finds
"Gare SNCF Sud" and "2" finds line 2 but not line 12.
"""

from __future__ import annotations

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When

from transit.gtfs import search_key
from transit.models import Line, LineStop, Network, Stop

SUGGESTIONS = 10
CLOSE_MATCHES = 5


def _words_match(key: str) -> Q:
    """Each word of `key` starts a word of the row's search_key."""
    match = Q()
    for word in key.split():
        match &= Q(search_key__startswith=word) | Q(search_key__contains=f" {word}")
    return match


def _ranked(rows: QuerySet, key: str) -> QuerySet:
    # The name itself first, then the names it starts, then the others.
    return rows.annotate(
        rank=Case(
            When(Q(search_key=key) | Q(search_key__startswith=f"{key} "), then=Value(0)),
            When(search_key__startswith=key, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    )


def lines_offered(*, network: Network) -> QuerySet[Line]:
    """The network's lines a rider may pick: those of the latest feed."""
    return Line.objects.filter(network=network, active=True).order_by("sort_order", "short_name")


def lines_search(*, network: Network, query: str, limit: int = SUGGESTIONS) -> list[Line]:
    """Active lines whose number or name matches `query`, best first. One query."""
    key = search_key(query)
    if not key:
        return []
    rows = _ranked(lines_offered(network=network).filter(_words_match(key)), key)
    return list(rows.order_by("rank", "sort_order", "short_name", "pk")[:limit])


def stops_offered(*, network: Network, line: Line | None = None) -> QuerySet[Stop]:
    """The stops a rider may pick: active stations and stops outside any station.

    A station's boarding points carry its name: offering each would list "Commerce" six
    times. With `line`, only the stops it serves (or whose boarding points it serves),
    when the feed says which; else all of them.
    """
    rows = Stop.objects.filter(
        network=network,
        active=True,
        parent__isnull=True,
        location_type__in=(Stop.LocationType.STOP, Stop.LocationType.STATION),
    )
    if line is not None:
        served = LineStop.objects.filter(line=line)
        rows = rows.filter(
            Exists(served.filter(stop=OuterRef("pk")))
            | Exists(served.filter(stop__parent=OuterRef("pk")))
            | ~Exists(served)
        )
    return rows


def stops_search(
    *, network: Network, query: str, line: Line | None = None, limit: int = SUGGESTIONS
) -> list[Stop]:
    """Offered stops whose name matches `query`, best first. One query."""
    key = search_key(query)
    if not key:
        return []
    rows = _ranked(stops_offered(network=network, line=line).filter(_words_match(key)), key)
    return list(rows.order_by("rank", "search_key", "pk")[:limit])


def line_of_network(*, network: Network, line_id: int) -> Line | None:
    return Line.objects.filter(network=network, pk=line_id).first()


def stop_resolve(*, network: Network, name: str) -> tuple[Stop | None, list[Stop]]:
    """The offered stop whose name is `name` once folded, else up to 5 close matches.

    Three queries at most. Two stations of one name (rare) resolve to the first: the rider
    who cares picks in the list, which sends the stop's id.
    """
    key = search_key(name)
    if not key:
        return None, []
    offered = stops_offered(network=network)
    exact = offered.filter(search_key=key).order_by("pk").first()
    if exact is not None:
        return exact, []
    close = stops_search(network=network, query=name, limit=CLOSE_MATCHES)
    if not close:
        # A word mistyped: the names that share at least one longer word with it.
        words = [word for word in key.split() if len(word) >= 3]
        if words:
            any_word = Q()
            for word in words:
                any_word |= _words_match(word)
            close = list(offered.filter(any_word).order_by("search_key", "pk")[:CLOSE_MATCHES])
    return None, close


def line_serves(*, line: Line, stop: Stop) -> bool | None:
    """Whether `line` calls at `stop` (or at its station, or one of its boarding points).

    None when the feed did not say which stops the line serves.
    """
    served = LineStop.objects.filter(line=line)
    if not served.exists():
        return None
    return served.filter(
        Q(stop_id=stop.pk) | Q(stop__parent_id=stop.pk) | Q(stop_id=stop.parent_id)
    ).exists()
