"""The pickers' suggestions: a few active lines or stops of a network, as JSON.

Public (a network's lines and stops are published by the operator anyway), read-only, small
and cacheable: a picker asks once per pause in typing, and the answers rarely change.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from transit import selectors
from transit.models import Network

MAX_QUERY = 100
MAX_AGE = 300  # seconds: an import shows within five minutes


def _answer(results: list[dict[str, object]]) -> JsonResponse:
    response = JsonResponse({"results": results})
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response


@require_GET
def lines_suggest(request: HttpRequest, network: str) -> JsonResponse:
    found = get_object_or_404(Network, slug=network)
    query = request.GET.get("q", "")[:MAX_QUERY]
    lines = selectors.lines_search(network=found, query=query)
    return _answer(
        [
            {"id": line.pk, "label": str(line), "colour": line.colour, "text": line.text_colour}
            for line in lines
        ]
    )


@require_GET
def stops_suggest(request: HttpRequest, network: str) -> JsonResponse:
    found = get_object_or_404(Network, slug=network)
    query = request.GET.get("q", "")[:MAX_QUERY]
    line = None
    if line_id := request.GET.get("ligne", ""):
        if not line_id.isdigit():
            raise Http404
        line = selectors.line_of_network(network=found, line_id=int(line_id))
    stops = selectors.stops_search(network=found, query=query, line=line)
    return _answer([{"id": stop.pk, "label": stop.name} for stop in stops])
