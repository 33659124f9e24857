"""Marketing's dashboard: the campaign's figures as charts and tables, refreshed while open."""

from __future__ import annotations

from datetime import date, timedelta

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import formats
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from contest.models import Contest
from core.access import staff_permission_required
from core.http import AuthenticatedHttpRequest
from dashboard.charts import Chart, chart_csv, chart_svg, rows_of
from dashboard.selectors import Figures, dashboard_figures

# Marketing's permission (gallery's relay): the dashboard is the same people's page.
DASHBOARD = "gallery.relay_photo"


def _day(day: date) -> str:
    return formats.date_format(day, "j N")


def _describe(rows: list[tuple[str, int]], *, unit: str) -> str:
    """A sentence for screen readers: the total, and the highest point and its label."""
    if not rows or not any(value for _label, value in rows):
        return _("Nothing yet.")
    label, peak = max(rows, key=lambda row: row[1])
    return _("%(total)s %(unit)s in all; the most, %(peak)s, for %(label)s.") % {
        "total": sum(value for _label, value in rows),
        "unit": unit,
        "peak": peak,
        "label": label,
    }


def _chart(key: str, kind: str, title: str, header: str, rows: list[tuple[str, int]]) -> Chart:
    unit = _("votes") if key == "votes" else _("entries")
    return Chart(
        key=key,
        kind=kind,  # type: ignore[arg-type]
        title=title,
        description=_describe(rows, unit=unit),
        label_header=header,
        value_header=_("Votes") if key == "votes" else _("Entries"),
        rows=rows_of(rows),
    )


def charts_of(figures: Figures) -> list[Chart]:
    """The dashboard's charts, in the page's order; their keys name the CSV downloads."""
    themes = list(figures.per_theme)
    if figures.no_theme:
        themes.append((_("No theme"), figures.no_theme))
    devices = [
        (_("Phone or tablet"), figures.phone),
        (_("Computer"), figures.computer),
        (_("Unknown"), figures.unknown_device),
    ]
    participants = [
        (_("New participants"), figures.new),
        (_("Had entered an earlier contest"), figures.returning),
    ]
    return [
        _chart(
            "days",
            "line",
            _("Entries per day"),
            _("Day"),
            [(_day(day), n) for day, n in figures.per_day],
        ),
        _chart(
            "hours",
            "columns",
            _("Entries per hour of the day"),
            _("Hour"),
            [(f"{hour} h", n) for hour, n in figures.per_hour],
        ),
        _chart("themes", "bars", _("Entries per theme"), _("Theme"), themes),
        _chart("lines", "bars", _("Entries per line"), _("Line"), figures.per_line),
        _chart("devices", "bars", _("Sent from"), _("Device"), devices),
        _chart("participants", "bars", _("Participants"), _("Participants"), participants),
        _chart("refusals", "bars", _("Refusal reasons"), _("Reason"), figures.refusals),
        _chart(
            "votes",
            "line",
            _("Votes per day"),
            _("Day"),
            [(_day(day), n) for day, n in figures.votes_per_day],
        ),
    ]


def _duration(value: timedelta | None) -> str:
    if value is None:
        return "–"
    hours, rest = divmod(int(value.total_seconds()), 3600)
    return _("%(hours)s h %(minutes)02d min") % {"hours": hours, "minutes": rest // 60}


@staff_permission_required(DASHBOARD)
@require_GET
def dashboard(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    contest = get_object_or_404(Contest, slug=slug)
    figures = dashboard_figures(contest=contest)
    charts = charts_of(figures)
    wanted = request.GET.get("csv")
    if wanted is not None:
        chart = next((c for c in charts if c.key == wanted), None)
        if chart is None:
            raise Http404(_("There is no such chart."))
        response = HttpResponse(chart_csv(chart), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{contest.slug}-{chart.key}.csv"'
        response["Cache-Control"] = "private, no-store"
        return response
    context = {
        "contest": contest,
        "figures": figures,
        "median_decision": _duration(figures.median_decision),
        # chart_svg escapes every text it writes.
        "charts": [(chart, mark_safe(chart_svg(chart))) for chart in charts],  # noqa: S308
    }
    # htmx's polling asks for the figures only (every 30 s while the tab is visible).
    template = "dashboard/fragment_figures.html" if request.htmx else "dashboard/dashboard.html"
    response = render(request, template, context)
    response["Cache-Control"] = "private, no-store"
    return response
