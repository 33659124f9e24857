"""Networks imported from the real feeds, for the tests of the apps that use lines and stops."""

from __future__ import annotations

from tests.transit.conftest import GOOGLE, NANTES
from transit.models import Line, Network, Stop
from transit.services import feed_import, network_get_or_create


def nantes() -> Network:
    """The Nantes feed (Tan, 2016): 75 lines, stations with boarding points, no stop_times."""
    network = network_get_or_create(name="Tan")
    feed_import(source=NANTES, network=network)
    return network


def google_demo() -> Network:
    """Google's sample feed: few lines and stops, and which stops each line serves."""
    network = network_get_or_create(name="Demo Transit")
    feed_import(source=GOOGLE, network=network)
    return network


def line(network: Network, number: str) -> Line:
    return Line.objects.get(network=network, short_name=number)


def stop(network: Network, name: str) -> Stop:
    """The stop a rider picks of that name: the station, not one of its boarding points."""
    return Stop.objects.get(network=network, name=name, parent__isnull=True)
