"""The jurors' pages: their round, the judging screen, compare, the ranking, the pictures.

Blind: these pages read `JurorTask` (a code, the title, the caption, the renditions) and
serve every picture under the task's id (`image`, `full`), never at the rendition's storage
URL: that one names the photo's public id, one edit away from its public page and credit.
Everything works without JavaScript (plain forms, then a redirect); with htmx the judging
screen swaps the next photo in place and static/js/jury.js maps the keys.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from uuid import UUID

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.http import AuthenticatedHttpRequest
from jury import selectors, services
from jury.access import juror_required
from jury.forms_juror import CompareForm, NoteForm, RankingForm, RecuseForm, VoteForm
from jury.models import Juror, Round
from jury.selectors import JurorTask
from moderation.selectors import photo_of_entry
from photos import imaging
from photos.services import photo_full_resolution

JurorRequest = AuthenticatedHttpRequest

IMAGE_FORMATS = {"webp": "image/webp", "jpeg": "image/jpeg"}
IMAGE_SPECS = ("thumb", "display")
STARS = ("1", "2", "3", "4", "5")


@dataclass(frozen=True)
class Criterion:
    """One row of a rating round's form: the juror's current score as text ("" if none)."""

    code: str
    label: str
    weight: float
    value: str


def _criteria(round: Round | None, task: JurorTask | None) -> list[Criterion]:
    if round is None or round.kind != Round.Kind.RATING:
        return []
    scores = task.scores if task else {}
    return [
        Criterion(
            code=str(c["code"]),
            label=str(c.get("label") or c["code"]),
            weight=float(c.get("weight", 1) or 1),
            value=f"{scores[str(c['code'])]:g}" if str(c["code"]) in scores else "",
        )
        for c in round.criteria
    ]


def _current_value(task: JurorTask | None) -> str:
    return f"{task.value:g}" if task is not None and task.value is not None else ""


def _round_or_404(juror: Juror) -> Round:
    round = selectors.round_current(contest=juror.contest)
    if round is None:
        raise Http404
    return round


def _vote_context(juror: Juror, round: Round | None, task: JurorTask | None) -> dict[str, object]:
    return {
        "slug": juror.contest.slug,
        "round": round,
        "task": task,
        "criteria": _criteria(round, task),
        "current": _current_value(task),
        "stars": STARS,
        "can_vote": round is not None
        and round.state == Round.State.ACTIVE
        and round.kind != Round.Kind.RANKING,
    }


def _judge(
    request: JurorRequest,
    juror: Juror,
    round: Round | None,
    task: JurorTask | None,
    *,
    status: str = "",
    error: bool = False,
) -> HttpResponse:
    """The judging screen for `task` (None: nothing left), whole or as the htmx fragment."""
    active = round is not None and round.state == Round.State.ACTIVE
    upcoming = (
        selectors.juror_next_task(juror=juror, round=round, after=task.task_id)
        if round is not None and active and task is not None
        else None
    )
    context = {
        **_vote_context(juror, round, task),
        "contest": juror.contest,
        "progress": selectors.juror_progress(juror=juror, round=round) if round else None,
        "upcoming": upcoming,
        "note_form": NoteForm(
            initial={"text": task.note, "for_report": task.note_for_report} if task else None,
            auto_id="note-%s",
        ),
        "status": status,
        "error": error,
    }
    template = "jury/juror/fragment_judge.html" if request.htmx else "jury/juror/judge.html"
    return render(request, template, context)


def _done(
    request: JurorRequest,
    juror: Juror,
    *,
    status: str,
    error: bool = False,
    round: Round | None = None,
    task: JurorTask | None = None,
    redirect_to: str = "",
) -> HttpResponse:
    """After an action: the next screen in place (htmx), or a message and a redirect."""
    if request.htmx:
        return _judge(request, juror, round, task, status=status, error=error)
    (messages.error if error else messages.success)(request, status)
    slug = juror.contest.slug
    if redirect_to:
        return HttpResponseRedirect(redirect_to)
    if task is not None:
        return HttpResponseRedirect(reverse("jury:task", args=[slug, task.task_id]))
    return HttpResponseRedirect(reverse("jury:judge", args=[slug]))


def _safe_next(request: JurorRequest, juror: Juror, value: str) -> str:
    """A page of this juror's own jury pages to come back to (the compare page), or ""."""
    home = reverse("jury:home", args=[juror.contest.slug])
    allowed = url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return value if value and allowed and value.startswith(home) else ""


# --- pages -----------------------------------------------------------------------------------


@require_GET
@juror_required
def home(request: JurorRequest, juror: Juror) -> HttpResponse:
    round = selectors.round_current(contest=juror.contest)
    open_round = round is not None and round.state != Round.State.CLOSED
    return render(
        request,
        "jury/juror/home.html",
        {
            "contest": juror.contest,
            "round": round,
            "progress": selectors.juror_progress(juror=juror, round=round) if round else None,
            "tasks": selectors.juror_tasks(juror=juror, round=round)
            if round and open_round
            else [],
        },
    )


@require_GET
@juror_required
def judge(request: JurorRequest, juror: Juror) -> HttpResponse:
    round = selectors.round_current(contest=juror.contest)
    if round is not None and round.kind == Round.Kind.RANKING:
        return HttpResponseRedirect(reverse("jury:ranking", args=[juror.contest.slug]))
    task = (
        selectors.juror_next_task(juror=juror, round=round)
        if round is not None and round.state != Round.State.CLOSED
        else None
    )
    return _judge(request, juror, round, task)


@require_GET
@juror_required
def task(request: JurorRequest, juror: Juror, task_id: int) -> HttpResponse:
    found = selectors.juror_task(juror=juror, task_id=task_id)
    if found is None:
        raise Http404
    return _judge(request, juror, selectors.round_current(contest=juror.contest), found)


@require_POST
@juror_required
def vote(request: JurorRequest, juror: Juror, task_id: int) -> HttpResponse:
    round = _round_or_404(juror)
    form = VoteForm(request.POST, round=round)
    if not form.is_valid():
        return _done(
            request,
            juror,
            status=_("Choose your vote first."),
            error=True,
            round=round,
            task=selectors.juror_task(juror=juror, task_id=task_id),
        )
    value, scores = form.value_and_scores()
    back = _safe_next(request, juror, form.cleaned_data.get("next") or "")
    try:
        voted = services.task_vote(
            task_id=task_id,
            juror=juror,
            version=form.cleaned_data["version"],
            value=value,
            scores=scores,
        )
    except services.JuryError as refused:
        return _done(
            request,
            juror,
            status=refused.message,
            error=True,
            round=round,
            task=selectors.juror_task(juror=juror, task_id=task_id),
            redirect_to=back,
        )
    return _done(
        request,
        juror,
        status=_("Vote recorded for %(code)s.") % {"code": voted.round_entry.code},
        round=round,
        task=selectors.juror_next_task(juror=juror, round=round, after=task_id),
        redirect_to=back,
    )


@require_POST
@juror_required
def skip(request: JurorRequest, juror: Juror, task_id: int) -> HttpResponse:
    round = _round_or_404(juror)
    services.task_skip(task_id=task_id, juror=juror)
    return _done(
        request,
        juror,
        status=_("Put aside: this photo comes back at the end."),
        round=round,
        task=selectors.juror_next_task(juror=juror, round=round, after=task_id),
    )


@require_POST
@juror_required
def favourite(request: JurorRequest, juror: Juror, task_id: int) -> HttpResponse:
    round = _round_or_404(juror)
    try:
        starred = services.task_toggle_favourite(task_id=task_id, juror=juror)
    except services.JuryError as refused:
        return _done(request, juror, status=refused.message, error=True, round=round)
    return _done(
        request,
        juror,
        status=_("Added to your favourites.") if starred else _("Taken off your favourites."),
        round=round,
        task=selectors.juror_task(juror=juror, task_id=task_id),
    )


@require_POST
@juror_required
def note(request: JurorRequest, juror: Juror, task_id: int) -> HttpResponse:
    round = _round_or_404(juror)
    found = selectors.juror_task(juror=juror, task_id=task_id)
    if found is None:
        raise Http404
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _done(
            request,
            juror,
            status=_("A note has at most 2000 characters."),
            error=True,
            round=round,
            task=found,
        )
    try:
        saved = services.note_save(
            round_entry_id=found.round_entry_id,
            juror=juror,
            text=form.cleaned_data["text"],
            for_report=form.cleaned_data["for_report"],
        )
    except services.JuryError as refused:
        return _done(request, juror, status=refused.message, error=True, round=round)
    return _done(
        request,
        juror,
        status=_("Note saved.") if saved else _("Note deleted."),
        round=round,
        task=selectors.juror_task(juror=juror, task_id=task_id),
    )


@require_POST
@juror_required
def recuse(request: JurorRequest, juror: Juror, task_id: int) -> HttpResponse:
    round = _round_or_404(juror)
    form = RecuseForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.task_recuse(task_id=task_id, juror=juror, reason=reason)
    except services.JuryError as refused:
        return _done(
            request,
            juror,
            status=refused.message,
            error=True,
            round=round,
            task=selectors.juror_task(juror=juror, task_id=task_id),
        )
    return _done(
        request,
        juror,
        status=_("You stepped aside from this photo: another juror judges it."),
        round=round,
        task=selectors.juror_next_task(juror=juror, round=round, after=task_id),
    )


@require_POST
@juror_required
def undo(request: JurorRequest, juror: Juror) -> HttpResponse:
    round = _round_or_404(juror)
    try:
        current = int(request.POST.get("current") or 0)
    except ValueError:
        current = 0
    try:
        undone = services.task_undo_last(juror=juror, round_id=round.pk)
    except services.JuryError as refused:
        return _done(
            request,
            juror,
            status=refused.message,
            error=True,
            round=round,
            task=selectors.juror_task(juror=juror, task_id=current) if current else None,
        )
    if undone is None:
        return _done(
            request,
            juror,
            status=_("You have no vote to take back in this round."),
            round=round,
            task=selectors.juror_task(juror=juror, task_id=current) if current else None,
        )
    return _done(
        request,
        juror,
        status=_("Your vote on %(code)s is taken back: vote again.")
        % {"code": undone.round_entry.code},
        round=round,
        task=selectors.juror_task(juror=juror, task_id=undone.pk),
    )


@require_GET
@juror_required
def compare(request: JurorRequest, juror: Juror) -> HttpResponse:
    """Two of the juror's photos side by side; with only `a`, the picker of the second."""
    form = CompareForm(request.GET)
    if not form.is_valid():
        return HttpResponseRedirect(reverse("jury:judge", args=[juror.contest.slug]))
    round = _round_or_404(juror)
    first = selectors.juror_task(juror=juror, task_id=form.cleaned_data["a"])
    if first is None:
        raise Http404
    b = form.cleaned_data.get("b")
    second = selectors.juror_task(juror=juror, task_id=b) if b else None
    if b and second is None:
        raise Http404
    context = {
        "contest": juror.contest,
        "round": round,
        "slug": juror.contest.slug,
        "first": first,
        "second": second,
        "sides": [_vote_context(juror, round, t) for t in (first, second) if t is not None],
        "back": request.get_full_path(),
        "others": []
        if second is not None
        else [
            t for t in selectors.juror_tasks(juror=juror, round=round) if t.task_id != first.task_id
        ],
    }
    return render(request, "jury/juror/compare.html", context)


def _ranked(tasks: list[JurorTask], groups: list[list[int]]) -> list[tuple[JurorTask, int]]:
    """The juror's photos in their saved order with their ranks (ties share one), or in the
    list's order numbered 1 to n when nothing is saved yet."""
    ranks: dict[int, int] = {}
    position = 1
    for group in groups:
        for round_entry_id in group:
            ranks[round_entry_id] = position
        position += len(group)
    order = {t.round_entry_id: n for n, t in enumerate(tasks)}
    ordered = sorted(
        tasks, key=lambda t: (ranks.get(t.round_entry_id, 10**9), order[t.round_entry_id])
    )
    return [(t, ranks.get(t.round_entry_id, n + 1)) for n, t in enumerate(ordered)]


@require_http_methods(["GET", "POST"])
@juror_required
def ranking(request: JurorRequest, juror: Juror) -> HttpResponse:
    round = selectors.round_current(contest=juror.contest)
    if round is None or round.kind != Round.Kind.RANKING:
        return HttpResponseRedirect(reverse("jury:home", args=[juror.contest.slug]))
    tasks = selectors.juror_tasks(juror=juror, round=round)
    form = RankingForm(request.POST or None, tasks=tasks)
    status = 200
    refusal = ""
    if request.method == "POST":
        if form.is_valid():
            try:
                services.ballot_submit(round_id=round.pk, juror=juror, groups=form.groups())
            except services.JuryError as refused:
                refusal, status = refused.message, 409
            else:
                messages.success(request, _("Your ranking is saved."))
                return HttpResponseRedirect(reverse("jury:ranking", args=[juror.contest.slug]))
        else:
            status = 400
    saved = selectors.juror_ballot(juror=juror, round=round)
    items = [
        {"task": t, "rank": rank, "field": form[RankingForm.field_name(t.round_entry_id)]}
        for t, rank in _ranked(tasks, saved)
    ]
    return render(
        request,
        "jury/juror/ranking.html",
        {
            "contest": juror.contest,
            "slug": juror.contest.slug,
            "round": round,
            "items": items,
            "form": form,
            "saved": bool(saved),
            "refusal": refusal,
            "can_vote": round.state == Round.State.ACTIVE,
        },
        status=status,
    )


# --- pictures --------------------------------------------------------------------------------


@require_GET
@juror_required
def image(request: JurorRequest, juror: Juror, task_id: int, spec: str, fmt: str) -> FileResponse:
    """A rendition of one of the juror's photos, under the task's id (see the docstring)."""
    if spec not in IMAGE_SPECS or fmt not in IMAGE_FORMATS:
        raise Http404
    found = selectors.juror_task(juror=juror, task_id=task_id)
    rendition = found.renditions.get(spec, {}).get(fmt) if found else None
    if found is None or rendition is None:
        raise Http404
    try:
        handle = rendition.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, content_type=IMAGE_FORMATS[fmt], filename=f"{found.code}-{spec}.{fmt}"
    )
    # The URL names the rendition (?v=its id): a remade one is fetched again.
    response["Cache-Control"] = "private, max-age=86400"
    return response


@require_GET
@juror_required
def full(request: JurorRequest, juror: Juror, task_id: int) -> FileResponse:
    """One of the juror's photos at full resolution, re-encoded without its metadata."""
    found = selectors.juror_task(juror=juror, task_id=task_id)
    photo = photo_of_entry(public_id=UUID(found.public_id)) if found else None
    if photo is None:
        raise Http404
    try:
        data, content_type = photo_full_resolution(photo=photo, strip_metadata=True)
    except (imaging.ImageDecodeError, FileNotFoundError):
        raise Http404 from None
    response = FileResponse(io.BytesIO(data), content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
