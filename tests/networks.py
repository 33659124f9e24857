"""The real Nantes network (../shared/data/gtfs/nantes-tan-2016), imported for tests where
lines matter: its lines' real numbers and colours."""

from __future__ import annotations

from pathlib import Path

from contest.models import Contest
from transit.models import Line, Network
from transit.services import feed_import, network_get_or_create

NANTES = Path(__file__).resolve().parents[2] / "shared" / "data" / "gtfs" / "nantes-tan-2016"


def nantes_network(*, contest: Contest | None = None) -> Network:
    """Imports the Nantes feed; the contest, if given, takes its lines and stops."""
    network = network_get_or_create(name="Naolib Nantes")
    feed_import(source=NANTES, network=network)
    if contest is not None:
        Contest.objects.filter(pk=contest.pk).update(network=network)
        contest.network = network
    return network


def line(network: Network, number: str) -> Line:
    return Line.objects.get(network=network, short_name=number)
