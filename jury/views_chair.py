"""The chair's pages (the jury, the rounds, closing) and the results pages marketing sees too.

Staff pages: they need the password login (jury.access). Every action is a POST behind
CSRF; a refusal of the rules (JuryError) is shown as a message, never a server error.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from contest.models import Contest
from core.csv import csv_row
from core.http import AuthenticatedHttpRequest
from jury import selectors, services
from jury.access import chair_required, contest_or_404, results_required
from jury.forms_chair import (
    CastingForm,
    CutForm,
    DisqualifyForm,
    InviteForm,
    PanelForm,
    QuorumForm,
    RoundForm,
    RulesForm,
    format_criteria,
)
from jury.models import Round
from jury.services import JuryError

ChairRequest = AuthenticatedHttpRequest

# A round page lists this many photos (best first) and cuts; the CSV export has them all.
RESULTS_SHOWN = 200
CUTS_SHOWN = 60


def _round_or_404(contest: Contest, round_id: int) -> Round:
    round = selectors.round_of(contest=contest, round_id=round_id)
    if round is None:
        raise Http404
    return round


def _to_chair(contest: Contest) -> HttpResponseRedirect:
    return redirect("jury:chair", contest.slug)


def _to_round(round: Round, contest: Contest) -> HttpResponseRedirect:
    return redirect("jury:round", contest.slug, round.pk)


def _back(request: ChairRequest, round: Round, contest: Contest) -> HttpResponseRedirect:
    """Back to the page the action was taken from: the round's page or the jury's."""
    return _to_round(round, contest) if request.POST.get("back") == "round" else _to_chair(contest)


def _refused(request: ChairRequest, error: JuryError) -> None:
    messages.error(request, error.message)


# --- the jury ------------------------------------------------------------------------------


def _chair_page(
    request: ChairRequest,
    contest: Contest,
    *,
    invite: InviteForm | None = None,
    panel: PanelForm | None = None,
    new_round: RoundForm | None = None,
    status: int = 200,
) -> HttpResponse:
    current = selectors.round_current(contest=contest)
    panel_row = getattr(contest, "panel", None)
    rounds = list(selectors.rounds_of(contest=contest))
    context = {
        "contest": contest,
        "current": current,
        "standings": selectors.jurors_standing(contest=contest, round=current),
        "rounds": rounds,
        "open_round": any(r.state != Round.State.CLOSED for r in rounds),
        "invite_form": invite or InviteForm(),
        "panel_form": panel
        or PanelForm(initial={"staff_domain": panel_row.staff_domain if panel_row else ""}),
        "round_form": new_round
        or RoundForm(
            initial={
                "kind": Round.Kind.YESNO,
                # Last year's criteria, when the contest was made from it (jury.cloning).
                "criteria": format_criteria(panel_row.criteria if panel_row else []),
            }
        ),
    }
    return render(request, "jury/chair/chair.html", context, status=status)


@chair_required
@require_GET
def chair(request: ChairRequest, slug: str) -> HttpResponse:
    return _chair_page(request, contest_or_404(slug))


@chair_required
@require_POST
def juror_invite(request: ChairRequest, slug: str) -> HttpResponse:
    contest = contest_or_404(slug)
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _chair_page(request, contest, invite=form, status=400)
    try:
        juror = services.juror_invite(
            contest=contest,
            email=form.cleaned_data["email"],
            chair=request.user,
            language=get_language(),
            # The link in the mail points at the site the chair is using.
            base_url=request.build_absolute_uri("/")[:-1],
        )
    except JuryError as error:
        form.add_error(None, error.message)
        return _chair_page(request, contest, invite=form, status=400)
    messages.success(
        request,
        _("%(alias)s invited: a sign-in link is on its way to %(email)s.")
        % {"alias": juror.alias, "email": juror.user.email},
    )
    return _to_chair(contest)


@chair_required
@require_http_methods(["GET", "POST"])
def juror_remove(request: ChairRequest, slug: str, juror_id: int) -> HttpResponse:
    contest = contest_or_404(slug)
    juror = selectors.juror_get(contest=contest, juror_id=juror_id)
    if juror is None:
        raise Http404
    if request.method != "POST":
        return render(request, "jury/chair/juror_remove.html", {"contest": contest, "juror": juror})
    try:
        services.juror_remove(juror=juror, chair=request.user)
    except JuryError as error:
        _refused(request, error)
    else:
        messages.success(
            request,
            _("%(alias)s left the jury; their photos still to judge went to the others.")
            % {"alias": juror.alias},
        )
    return _to_chair(contest)


@chair_required
@require_POST
def panel_update(request: ChairRequest, slug: str) -> HttpResponse:
    contest = contest_or_404(slug)
    form = PanelForm(request.POST)
    if not form.is_valid():
        return _chair_page(request, contest, panel=form, status=400)
    services.panel_update(contest=contest, staff_domain=form.cleaned_data["staff_domain"])
    messages.success(request, _("Staff e-mail domain saved."))
    return _to_chair(contest)


# --- rounds --------------------------------------------------------------------------------


@chair_required
@require_POST
def round_create(request: ChairRequest, slug: str) -> HttpResponse:
    contest = contest_or_404(slug)
    form = RoundForm(request.POST)
    if not form.is_valid():
        return _chair_page(request, contest, new_round=form, status=400)
    data = form.cleaned_data
    try:
        created = services.round_create(
            contest=contest,
            kind=data["kind"],
            quorum=data["quorum"],
            deadline=data["deadline"],
            criteria=data["criteria"],
            chair=request.user,
        )
    except JuryError as error:
        form.add_error(None, error.message)
        return _chair_page(request, contest, new_round=form, status=400)
    messages.success(
        request, _("Round %(n)s created: start it when ready.") % {"n": created.number}
    )
    return _to_round(created, contest)


@chair_required
@require_POST
def round_activate(request: ChairRequest, slug: str, round_id: int) -> HttpResponse:
    contest = contest_or_404(slug)
    round = _round_or_404(contest, round_id)
    try:
        services.round_start(round_id=round.pk, chair=request.user)
    except JuryError as error:
        _refused(request, error)
        return _back(request, round, contest)
    # Dealt by a worker (a first round has every photo of the contest): the round's page
    # follows the progress.
    messages.success(
        request,
        _("Round %(n)s is starting: its photos are being dealt to the jurors.")
        % {"n": round.number},
    )
    return _to_round(round, contest)


@chair_required
@require_GET
def round_start_status(request: ChairRequest, slug: str, round_id: int) -> HttpResponse:
    """The start's progress, polled by the round's page (htmx); once the round is no longer
    starting, the page is reloaded to show it active (or the reason the start failed)."""
    contest = contest_or_404(slug)
    round = _round_or_404(contest, round_id)
    if not request.htmx:
        return _to_round(round, contest)
    if round.state != Round.State.STARTING:
        return HttpResponseClientRefresh()
    if request.GET.get("etape") == str(round.start_step):
        # Unchanged: no swap, so the status region does not repeat itself to screen readers.
        return HttpResponse(status=204)
    return render(request, "jury/chair/fragment_start.html", {"contest": contest, "round": round})


@chair_required
@require_POST
def round_pause(request: ChairRequest, slug: str, round_id: int) -> HttpResponse:
    contest = contest_or_404(slug)
    round = _round_or_404(contest, round_id)
    paused = request.POST.get("paused") == "1"
    try:
        services.round_set_paused(round_id=round.pk, chair=request.user, paused=paused)
    except JuryError as error:
        _refused(request, error)
    else:
        messages.success(
            request,
            (_("Round %(n)s paused.") if paused else _("Round %(n)s resumed."))
            % {"n": round.number},
        )
    return _back(request, round, contest)


@chair_required
@require_POST
def round_quorum(request: ChairRequest, slug: str, round_id: int) -> HttpResponse:
    contest = contest_or_404(slug)
    round = _round_or_404(contest, round_id)
    form = QuorumForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the number of jurors per photo."))
        return _back(request, round, contest)
    try:
        changed = services.round_raise_quorum(
            round_id=round.pk, chair=request.user, quorum=form.cleaned_data["quorum"]
        )
    except JuryError as error:
        _refused(request, error)
    else:
        messages.success(
            request,
            _("Round %(n)s: %(quorum)s jurors per photo.")
            % {"n": round.number, "quorum": changed.quorum},
        )
    return _back(request, round, contest)


@chair_required
@require_GET
def round_detail(request: ChairRequest, slug: str, round_id: int) -> HttpResponse:
    contest = contest_or_404(slug)
    round = _round_or_404(contest, round_id)
    if round.state == Round.State.STARTING:
        return render(
            request, "jury/chair/round_starting.html", {"contest": contest, "round": round}
        )
    # The rows shown, the cuts and the counts are each computed by the database: a first
    # round has every photo of the contest (bench/jury.py).
    results, preview = selectors.round_page(round=round, rows=RESULTS_SHOWN, cuts=CUTS_SHOWN)
    standings = selectors.jurors_standing(contest=contest, round=round)
    counts = selectors.round_counts(round=round)
    rows = results.rows
    # In the order shown: a casting vote already cast is the form's starting point.
    tied_ids = set(results.tied_winners)
    tied = [row for row in rows if row.round_entry_id in tied_ids]
    context: dict[str, Any] = {
        "contest": contest,
        "round": round,
        "rows": rows,
        "row_count": counts.entries,
        "preview": preview,
        "standings": standings,
        "counts": {
            "entries": counts.entries,
            "in_play": counts.in_play,
            "disqualified": counts.disqualified,
            "withdrawn": counts.withdrawn,
            "done": sum(s.done for s in standings),
            "total": sum(s.total for s in standings),
        },
        "closable": round.state in (Round.State.ACTIVE, Round.State.PAUSED),
        # A yes/no round keeps or drops photos; only ratings and rankings have winners.
        "casting_form": CastingForm(tied=tied) if tied and round.kind != Round.Kind.YESNO else None,
    }
    return render(request, "jury/chair/round.html", context)


@chair_required
@require_http_methods(["GET", "POST"])
def round_close(request: ChairRequest, slug: str, round_id: int) -> HttpResponse:
    """GET: what the chosen cut would do, and a button to confirm. POST: close with it."""
    contest = contest_or_404(slug)
    round = _round_or_404(contest, round_id)
    form = CutForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        messages.error(request, _("Choose a cut in the list."))
        return _to_round(round, contest)
    cut = form.cleaned_data["value"]
    if request.method != "POST":
        results = selectors.round_results_with_thumbs(round=round, limit=RESULTS_SHOWN)
        # Best first: those that advance lead the rows shown.
        advancing = [row for row in results.rows if row.advances_at(cut)]
        return render(
            request,
            "jury/chair/round_close.html",
            {
                "contest": contest,
                "round": round,
                "cut": cut,
                "advancing": advancing,
                "advancing_count": selectors.round_advancing_count(round=round, cut=cut),
            },
        )
    try:
        closed = services.round_close(round_id=round.pk, chair=request.user, cut=cut)
    except JuryError as error:
        _refused(request, error)
        return _to_round(round, contest)
    count = closed.round_entries.filter(advanced=True).count()
    messages.success(
        request,
        ngettext(
            "Round %(n)s closed: %(count)s photo advances.",
            "Round %(n)s closed: %(count)s photos advance.",
            count,
        )
        % {"n": closed.number, "count": count},
    )
    return _to_round(round, contest)


@chair_required
@require_POST
def round_entry_disqualify(
    request: ChairRequest, slug: str, round_id: int, round_entry_id: int
) -> HttpResponse:
    contest = contest_or_404(slug)
    round = _round_or_404(contest, round_id)
    round_entry = selectors.round_entry_of(round=round, round_entry_id=round_entry_id)
    if round_entry is None:
        raise Http404
    form = DisqualifyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether to disqualify the photo or put it back."))
        return _to_round(round, contest)
    disqualified = form.cleaned_data["disqualified"]
    try:
        services.round_entry_disqualify(
            round_entry_id=round_entry.pk,
            chair=request.user,
            reason=form.cleaned_data["reason"],
            disqualified=disqualified,
        )
    except JuryError as error:
        _refused(request, error)
    else:
        messages.success(
            request,
            (_("%(code)s disqualified.") if disqualified else _("%(code)s is back in the round."))
            % {"code": round_entry.code},
        )
    return _to_round(round, contest)


@chair_required
@require_http_methods(["GET", "POST"])
def round_rules(request: ChairRequest, slug: str, round_id: int) -> HttpResponse:
    """The entries the contest's rules exclude: a preview, then the chair applies it."""
    contest = contest_or_404(slug)
    round = _round_or_404(contest, round_id)
    candidates = selectors.disqualification_candidates(round=round)
    form = RulesForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return render(
            request,
            "jury/chair/round_rules.html",
            {
                "contest": contest,
                "round": round,
                "candidates": candidates,
                "form": form,
                "open": round.state != Round.State.CLOSED,
                "minimum": settings.JURY_PRINT_MIN_SHORT_SIDE,
            },
            status=400 if request.method == "POST" else 200,
        )
    try:
        done = services.round_disqualify_by_rules(
            round_id=round.pk, chair=request.user, round_entry_ids=form.cleaned_data["pick"]
        )
    except JuryError as error:
        _refused(request, error)
        return redirect("jury:round_rules", contest.slug, round.pk)
    messages.success(
        request,
        ngettext("%(count)s photo disqualified.", "%(count)s photos disqualified.", len(done))
        % {"count": len(done)},
    )
    return _to_round(round, contest)


@chair_required
@require_POST
def round_casting(request: ChairRequest, slug: str, round_id: int) -> HttpResponse:
    contest = contest_or_404(slug)
    round = _round_or_404(contest, round_id)
    results = selectors.round_results(round=round)
    by_id = {row.round_entry_id: row for row in results.rows}
    form = CastingForm(request.POST, tied=[by_id[i] for i in results.tied_winners])
    if not results.tied_winners or not form.is_valid():
        messages.error(request, _("Give each photo a different place."))
        return _to_round(round, contest)
    try:
        services.round_casting_vote(round_id=round.pk, chair=request.user, order=form.order)
    except JuryError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Your casting vote orders the photos tied for first."))
    return _to_round(round, contest)


# --- results, report, export (chair and marketing) -----------------------------------------


@results_required
@require_GET
def results(request: ChairRequest, slug: str) -> HttpResponse:
    contest = contest_or_404(slug)
    final, shortlist = selectors.shortlist(contest=contest)
    rounds = [
        (round, selectors.round_results_with_thumbs(round=round, limit=RESULTS_SHOWN))
        for round in selectors.rounds_of(contest=contest).exclude(
            state__in=(Round.State.DRAFT, Round.State.STARTING)
        )
    ]
    return render(
        request,
        "jury/chair/results.html",
        {
            "contest": contest,
            "final": final,
            "shortlist": shortlist,
            "rounds": [(round, results.rows, results.total) for round, results in rounds],
            "is_chair": request.user.has_perm("jury.chair_jury"),
        },
    )


@results_required
@require_GET
def report(request: ChairRequest, slug: str) -> HttpResponse:
    contest = contest_or_404(slug)
    return render(
        request,
        "jury/chair/report.html",
        {"contest": contest, "report": selectors.jury_report(contest=contest)},
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


@results_required
@require_GET
def scores_csv(request: ChairRequest, slug: str) -> StreamingHttpResponse:
    contest = contest_or_404(slug)
    criteria = selectors.contest_criteria(contest=contest)
    lines = selectors.contest_scores(contest=contest)
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield "\ufeff"  # so that spreadsheet software reads the file as UTF-8
        yield writer.writerow(
            ["round", "kind", "code", "title", "juror", "value", *criteria, "voted_at"]
        )
        for line in lines:
            yield writer.writerow(
                csv_row(
                    [
                        line.round_number,
                        line.kind,
                        line.code,
                        line.title,
                        line.alias,
                        _number(line.value),
                        *(_number(line.scores.get(code)) for code in criteria),
                        timezone.localtime(line.voted_at).isoformat(timespec="seconds")
                        if line.voted_at
                        else "",
                    ]
                )
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="jury-{contest.slug}-scores.csv"'
    return response
