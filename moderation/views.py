"""Moderation pages: the queue, the keyboard triage screen, bulk decisions, the audit log;
and the public "report this photo" page."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contest.forms import EntryPlaceForm
from contest.models import Entry
from contest.selectors import thumbs_of
from contest.services import EntryRefused
from core.access import staff_permission_required
from core.csv import csv_row
from core.http import AuthenticatedHttpRequest
from core.network import client_ip
from core.views import too_many_requests
from moderation import reports, selectors, services
from moderation.forms import BulkForm, DecisionForm, QueueFilterForm, ReportForm
from moderation.models import ModerationEvent
from moderation.selectors import QueueFilters
from photos import imaging
from photos.services import photo_full_resolution
from transit.models import Line

MODERATE = "contest.moderate_entry"
ModeratorRequest = AuthenticatedHttpRequest

moderator_required = staff_permission_required(MODERATE)


def _filters(request: HttpRequest) -> QueueFilters:
    return QueueFilterForm(request.GET or request.POST or None).filters()


@moderator_required
@require_GET
def queue(request: ModeratorRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET or None)
    filters = form.filters()
    page = Paginator(selectors.moderation_queue(filters), 60).get_page(request.GET.get("page"))
    return render(
        request,
        "moderation/queue.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "rows": selectors.queue_rows(page.object_list),
            "counts": selectors.moderation_counts(filters),
            "reasons": Entry.Reason.choices,
        },
    )


def _triage(
    request: ModeratorRequest,
    entry_id: int | None,
    filters: QueueFilters,
    *,
    toast: str = "",
    undo_event: ModerationEvent | None = None,
    conflict: str = "",
    form: DecisionForm | None = None,
    confirm_duplicate: bool = False,
    place_form: EntryPlaceForm | None = None,
    status: int = 200,
) -> HttpResponse:
    view = selectors.triage_view(entry_id=entry_id, filters=filters) if entry_id else None
    if view is not None and place_form is None and view.entry.contest.network_id is not None:
        place_form = EntryPlaceForm(entry=view.entry)
    context = {
        "view": view,
        "filters": filters,
        "query": filters.querystring(),
        "toast": toast,
        "undo_event": undo_event,
        "conflict": conflict,
        "form": form,
        "confirm_duplicate": confirm_duplicate,
        "place_form": place_form,
        "lines_css": _lines_css(view.entry.line) if view else "",
        "reasons": Entry.Reason.choices,
        "remaining": selectors.moderation_counts(filters).get(filters.state, 0),
        "undo_seconds": settings.MODERATION_UNDO_SECONDS,
    }
    template = "moderation/fragment_triage.html" if request.htmx else "moderation/triage.html"
    return render(request, template, context, status=status)


def _lines_css(line: Line | None) -> str:
    """The address of the line badges' colours (served by the gallery, versioned like its own
    links), or "" when the entry has no line."""
    if line is None:
        return ""
    found = selectors.line_colours_version(network_id=line.network_id)
    if found is None:
        return ""
    slug, version = found
    return reverse("gallery:lines_css", args=[slug]) + "?" + urlencode({"v": version})


@moderator_required
@require_GET
def triage_start(request: ModeratorRequest) -> HttpResponse:
    filters = _filters(request)
    first = selectors.moderation_queue(filters).first()
    return _triage(request, first.pk if first else None, filters)


@moderator_required
@require_GET
def triage_entry(request: ModeratorRequest, entry_id: int) -> HttpResponse:
    if not selectors.entry_exists(entry_id=entry_id):
        raise Http404
    return _triage(request, entry_id, _filters(request))


def _next_id(entry_id: int, filters: QueueFilters) -> int | None:
    return selectors.entry_id_after(entry_id=entry_id, filters=filters)


@moderator_required
@require_GET
def triage_next(request: ModeratorRequest, entry_id: int) -> HttpResponse:
    filters = _filters(request)
    return _triage(request, _next_id(entry_id, filters), filters)


def _after_action(request: ModeratorRequest, entry_id: int, filters: QueueFilters) -> str:
    target = _next_id(entry_id, filters)
    if target is None:
        return reverse("moderation:triage_start") + "?" + filters.querystring()
    return reverse("moderation:triage_entry", args=[target]) + "?" + filters.querystring()


@moderator_required
@require_POST
def triage_decide(request: ModeratorRequest, entry_id: int) -> HttpResponse:
    filters = _filters(request)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _triage(request, entry_id, filters, form=form, status=200 if request.htmx else 400)
    data = form.cleaned_data
    approve = data["action"] == "approve"
    try:
        decision = services.entry_decide(
            entry_id=entry_id,
            version=data["version"],
            moderator=request.user,
            approve=approve,
            seen_renditions=data.get("renditions") or "",
            reason=data.get("reason") or "",
            note=data.get("note") or "",
            duplicate_confirmed=data.get("duplicate_confirmed") or False,
        )
    except services.DuplicateNotConfirmed:
        # The same photo again, its approve button now asking "approve anyway?".
        return _triage(request, entry_id, filters, confirm_duplicate=True)
    except services.DecisionConflict as conflict:
        return _triage(request, entry_id, filters, conflict=conflict.message)
    title = decision.entry.title
    toast = (
        _("“%(title)s” approved.") % {"title": title}
        if approve
        else _("“%(title)s” refused: %(reason)s.")
        % {"title": title, "reason": decision.entry.get_refusal_code_display()}
    )
    if not request.htmx:
        messages.success(request, toast)
        return HttpResponseRedirect(_after_action(request, entry_id, filters))
    return _triage(
        request, _next_id(entry_id, filters), filters, toast=toast, undo_event=decision.event
    )


@moderator_required
@require_POST
def triage_undo(request: ModeratorRequest, event_id: int) -> HttpResponse:
    filters = _filters(request)
    try:
        entry = services.entry_undo(event_id=event_id, moderator=request.user)
    except services.DecisionConflict as conflict:
        target = conflict.entry.pk if conflict.entry.pk else None
        return _triage(request, target, filters, conflict=conflict.message)
    toast = _("Decision on “%(title)s” undone.") % {"title": entry.title}
    if not request.htmx:
        messages.success(request, toast)
        return HttpResponseRedirect(
            reverse("moderation:triage_entry", args=[entry.pk]) + "?" + filters.querystring()
        )
    return _triage(request, entry.pk, filters, toast=toast)


@moderator_required
@require_POST
def triage_rotate(request: ModeratorRequest, entry_id: int) -> HttpResponse:
    filters = _filters(request)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        entry = services.entry_rotate(
            entry_id=entry_id,
            version=version,
            moderator=request.user,
        )
    except services.DecisionConflict as conflict:
        return _triage(request, entry_id, filters, conflict=conflict.message)
    toast = _("“%(title)s” is being turned; it comes back to the queue when ready.") % {
        "title": entry.title
    }
    if not request.htmx:
        messages.success(request, toast)
        return HttpResponseRedirect(_after_action(request, entry_id, filters))
    return _triage(request, _next_id(entry_id, filters), filters, toast=toast)


@moderator_required
@require_POST
def triage_place(request: ModeratorRequest, entry_id: int) -> HttpResponse:
    """Corrects the line and stop of an entry, whatever its moderation state."""
    filters = _filters(request)
    entry = selectors.entry_for_place(entry_id=entry_id)
    if entry is None or entry.contest.network_id is None:
        raise Http404
    form = EntryPlaceForm(request.POST, entry=entry)
    if form.is_valid():
        try:
            services.entry_place_correct(
                entry_id=entry.pk,
                moderator=request.user,
                line=form.cleaned_data["line"],
                stop=form.cleaned_data["stop"],
            )
        except EntryRefused as refused:
            form.add_error(refused.field if refused.field in form.fields else None, refused.message)
        except Entry.DoesNotExist:
            raise Http404 from None
        else:
            toast = _("Line and stop of “%(title)s” saved.") % {"title": entry.title}
            if not request.htmx:
                messages.success(request, toast)
                return HttpResponseRedirect(
                    reverse("moderation:triage_entry", args=[entry.pk])
                    + "?"
                    + filters.querystring()
                )
            return _triage(request, entry.pk, filters, toast=toast)
    return _triage(request, entry.pk, filters, place_form=form, status=200 if request.htmx else 400)


@moderator_required
@require_POST
def triage_identifiable(request: ModeratorRequest, entry_id: int) -> HttpResponse:
    """Marks or clears "identifiable person" (the person's release is then asked for)."""
    filters = _filters(request)
    identifiable = request.POST.get("identifiable") == "1"
    try:
        entry = services.entry_mark_identifiable(
            entry_id=entry_id, moderator=request.user, identifiable=identifiable
        )
    except Entry.DoesNotExist:
        raise Http404 from None
    toast = (
        _("“%(title)s” marked: identifiable person. Its participant is asked for a release.")
        if identifiable
        else _("“%(title)s”: identifiable person mark removed.")
    ) % {"title": entry.title}
    if not request.htmx:
        messages.success(request, toast)
        return HttpResponseRedirect(
            reverse("moderation:triage_entry", args=[entry.pk]) + "?" + filters.querystring()
        )
    return _triage(request, entry.pk, filters, toast=toast)


@moderator_required
@require_POST
def bulk(request: ModeratorRequest) -> HttpResponse:
    form = BulkForm(request.POST)
    back = reverse("moderation:queue") + "?" + _filters(request).querystring()
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return HttpResponseRedirect(back)
    outcome = services.entries_decide_bulk(
        choices=form.picks,
        moderator=request.user,
        approve=form.cleaned_data["action"] == "approve",
        reason=form.cleaned_data.get("reason") or "",
        note=form.cleaned_data.get("note") or "",
    )
    if outcome.decided:
        count = len(outcome.decided)
        messages.success(
            request,
            ngettext("%(n)s photo decided.", "%(n)s photos decided.", count) % {"n": count},
        )
    for conflict in outcome.conflicts:
        messages.warning(request, f"{conflict.entry.title}: {conflict.message}")
    return HttpResponseRedirect(back)


class _Echo:
    def write(self, value: str) -> str:
        return value


@moderator_required
@require_GET
def audit_csv(request: ModeratorRequest) -> StreamingHttpResponse:
    filters = _filters(request)
    events = selectors.moderation_events(contest_id=filters.contest_id)
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield "\ufeff"  # so that spreadsheet software reads the file as UTF-8
        yield writer.writerow(
            [
                "time",
                "entry",
                "title",
                "contest",
                "moderator",
                "action",
                "from",
                "to",
                "reason",
                "note",
                "email",
            ]
        )
        for event in events.iterator(chunk_size=1000):
            yield writer.writerow(
                csv_row(
                    [
                        timezone.localtime(event.created_at).isoformat(timespec="seconds"),
                        event.entry_id,
                        event.entry.title,
                        event.entry.contest.slug,
                        event.actor.get_username() if event.actor else "",
                        event.action,
                        event.from_state,
                        event.to_state,
                        event.reason,
                        event.note,
                        event.email,
                    ]
                )
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="moderation-{stamp}.csv"'
    return response


@moderator_required
@require_GET
def original(request: ModeratorRequest, public_id: UUID) -> FileResponse:
    """The photo at full resolution, for staff only; converted to JPEG where browsers can't
    show the original's format."""
    photo = selectors.photo_of_entry(public_id=public_id)
    if photo is None:
        raise Http404
    try:
        data, content_type = photo_full_resolution(photo=photo)
    except (imaging.ImageDecodeError, FileNotFoundError):
        raise Http404 from None  # a failed photo has nothing to show at full size
    response = FileResponse(io.BytesIO(data), content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    # Inline styles are the browser's own image viewer's (centring, zoom cursor): refused, each
    # was a CSP error in the console. The body is an image (nosniff), never our markup.
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    )
    return response


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, public_id: UUID) -> HttpResponse:
    entry = selectors.entry_get_reportable(public_id=public_id)
    if entry is None:
        raise Http404
    form = ReportForm(request.POST or None)
    context = {"entry": entry, "thumbs": thumbs_of(entry), "form": form}
    if request.method != "POST":
        return render(request, "moderation/report.html", context)
    if form.is_valid():
        try:
            reports.entry_report(
                entry=entry,
                reason=form.cleaned_data["reason"],
                message=form.cleaned_data["message"],
                email=form.cleaned_data["email"],
                language=get_language(),
                ip_address=client_ip(request),
                reporter_id=request.user.pk if request.user.is_authenticated else None,
            )
        except reports.ReportRateLimited as limited:
            # The form again, with what was typed, for when the wait is over.
            return too_many_requests(
                request, limited, template="moderation/report.html", context=context
            )
        return render(
            request,
            "moderation/report_done.html",
            {"entry": entry, "email": form.cleaned_data["email"]},
        )
    return render(request, "moderation/report.html", context, status=400)
