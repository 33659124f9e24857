"""The covers pages: marketing and the chair compare candidates as covers, crop them,
allocate and lock; the designer's packages; the winner's proof; the public winners page.

Staff pages need the password login (core.access). Actions are POSTs behind CSRF; a rule's
refusal (CoverError) comes back as a message, never a server error.
"""

from __future__ import annotations

import csv
import io
from dataclasses import astuple
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contest.models import Contest
from core.access import staff_permission_required
from core.csv import csv_row
from core.http import AuthenticatedHttpRequest
from covers import drawing, geometry, legibility, selectors, services
from covers.forms import CropForm, GuideForm, PickForm, ProofForm, ReasonForm, SettingsForm
from covers.models import Guide, Mockup
from covers.services import CoverError
from jury.access import contest_or_404

edit_required = staff_permission_required("covers.edit_covers")
lock_required = staff_permission_required("covers.lock_covers")

Staff = AuthenticatedHttpRequest


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


def _guide_or_404(contest: Contest, guide_id: int) -> Guide:
    guide = selectors.guide_of(contest=contest, guide_id=guide_id)
    if guide is None:
        raise Http404
    return guide


def _to_overview(contest: Contest) -> HttpResponseRedirect:
    return redirect("covers:overview", contest.slug)


def _refused(request: HttpRequest, error: CoverError) -> None:
    messages.error(request, error.message)


@require_GET
@edit_required
def overview(request: Staff, slug: str) -> HttpResponse:
    contest = contest_or_404(slug)
    guides = selectors.guides_of(contest=contest)
    found = selectors.candidates(contest=contest)
    rows = selectors.guide_candidates(contest=contest, guides=guides, found=found)
    packages = selectors.packages_of(contest=contest)
    proofs = selectors.proofs_of(contest=contest)
    cover_settings = selectors.settings_of(contest=contest)
    passed = selectors.why_not(
        guides=guides, rows=rows, one_per_participant=cover_settings.one_cover_per_participant
    )
    sections = []
    for guide in guides:
        picked = sorted(
            (r for r in rows[guide.pk] if r.pick), key=lambda r: r.pick.slot if r.pick else 0
        )
        sections.append(
            {
                "guide": guide,
                "picked": picked,
                "empty": range(max(0, guide.needs - len(picked))),
                "eligible": sum(1 for r in rows[guide.pk] if r.eligible),
                "package": packages.get(guide.pk),
                "proofs": [proofs.get(r.entry.pk) for r in picked],
                "passed": passed[guide.pk],
            }
        )
    context = {
        "contest": contest,
        "sections": sections,
        "candidates": found,
        "cover_settings": cover_settings,
        "settings_form": SettingsForm(
            initial={"one_cover_per_participant": cover_settings.one_cover_per_participant}
        ),
        "can_lock": request.user.has_perm("covers.lock_covers"),
        "events": selectors.events_of(contest=contest),
    }
    template = (
        "covers/fragment_packages.html"
        if request.htmx and request.GET.get("paquets")
        else "covers/overview.html"
    )
    return render(request, template, context)


@require_POST
@edit_required
def settings_update(request: Staff, slug: str) -> HttpResponse:
    contest = contest_or_404(slug)
    form = SettingsForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(e) for e in errors))
        return _to_overview(contest)
    try:
        services.settings_update(
            contest=contest,
            actor=request.user,
            one_cover_per_participant=form.cleaned_data["one_cover_per_participant"],
            logo=form.cleaned_data["logo"],
        )
    except CoverError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Settings saved."))
    return _to_overview(contest)


@require_http_methods(["GET", "POST"])
@edit_required
def guide_edit(request: Staff, slug: str, guide_id: int | None = None) -> HttpResponse:
    contest = contest_or_404(slug)
    guide = _guide_or_404(contest, guide_id) if guide_id else Guide(contest=contest)
    form = GuideForm(request.POST or None, instance=guide, network=contest.network)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.guide_save(
                contest=contest,
                guide=form.instance,
                actor=request.user,
                lines=form.cleaned_data.get("transit_lines"),
            )
        except CoverError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Guide saved: its covers are being drawn."))
            return redirect("covers:candidates", contest.slug, saved.pk)
    status = 400 if request.method == "POST" else 200
    context = {"contest": contest, "guide": guide, "form": form, "presets": geometry.PRESETS}
    return render(request, "covers/guide_form.html", context, status=status)


@require_POST
@edit_required
def guide_delete(request: Staff, slug: str, guide_id: int) -> HttpResponse:
    contest = contest_or_404(slug)
    guide = _guide_or_404(contest, guide_id)
    try:
        services.guide_delete(guide=guide, actor=request.user)
    except CoverError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Guide deleted."))
    return _to_overview(contest)


# The candidates page's query parameter narrowing it to the guide's lines.
OWN_LINES = "ses-lignes"


@require_GET
@edit_required
def candidates(request: Staff, slug: str, guide_id: int) -> HttpResponse:
    contest = contest_or_404(slug)
    guide = _guide_or_404(contest, guide_id)
    if not request.htmx:
        # Asks for what is missing (a new candidate, a lost job); the page's polls only
        # read, or each poll would send the same jobs again while the worker is busy.
        services.covers_prepare(contest=contest, guides=[guide])
    guide_lines = selectors.guide_lines(guide=guide)
    # Narrowed to the photos taken on the guide's lines when asked (and it has some).
    own_lines = bool(guide_lines) and request.GET.get(OWN_LINES) == "1"
    rows = selectors.guide_candidates(
        contest=contest,
        guides=[guide],
        line_ids={line.pk for line in guide_lines} if own_lines else None,
    )[guide.pk]
    pending = any(
        r.mockup is None or r.mockup.state == Mockup.State.PENDING
        for r in rows
        if r.eligible or r.candidate.size
    )
    context = {
        "contest": contest,
        "guide": guide,
        "rows": rows,
        "lines": request.GET.get("lignes") == "1",
        "guide_lines": guide_lines,
        "own_lines": own_lines,
        "pending": pending,
        "cover_settings": selectors.settings_of(contest=contest),
        "slots": range(guide.needs),
    }
    if request.htmx and request.GET.get("grille"):
        return render(request, "covers/fragment_candidates.html", context)
    return render(request, "covers/candidates.html", context)


def _stepped(data: dict[str, Any], size: tuple[int, int], aspect: float) -> geometry.FracBox:
    """The crop the form sent, moved or resized by the step of the button pressed."""
    box = geometry.FracBox(data["left"], data["top"], data["width"], data["height"]).to_box(size)
    return geometry.step_box(box, data.get("step") or "", size, aspect).to_fractions(size)


def _crop_svg(
    frac: geometry.FracBox, size: tuple[int, int], guide: Guide, fmt: geometry.PrintFormat
) -> dict[str, str]:
    """The editor's drawing, in a 1000-unit-wide space (covers.js redraws it the same way)."""
    width, height = 1000.0, 1000.0 * size[1] / size[0]
    x, y, w, h = frac.left * width, frac.top * height, frac.width * width, frac.height * height
    zone = geometry.zone_on_cover(selectors.guide_title_zone(guide), fmt, (1, 1))
    fmt_num = "{:.2f}".format
    outer = f"M0 0H{width:.2f}V{height:.2f}H0Z"
    inner = f"M{x:.2f} {y:.2f}h{w:.2f}v{h:.2f}h{-w:.2f}Z"
    return {
        "height": fmt_num(height),
        "x": fmt_num(x),
        "y": fmt_num(y),
        "w": fmt_num(w),
        "h": fmt_num(h),
        "dim": outer + inner,
        "view": f"{x:.2f} {y:.2f} {w:.2f} {h:.2f}",
        # The zone is in fractions of the cover's *width* on both axes (zone_box's scale).
        "band_x": fmt_num(x + zone.left * w),
        "band_y": fmt_num(y + zone.top * w),
        "band_w": fmt_num(zone.width * w),
        "band_h": fmt_num(zone.height * w),
        "text_x": fmt_num(x + zone.left * w + zone.height * w * 0.3),
        "text_y": fmt_num(y + (zone.top + zone.height * 0.62) * w),
        "font": fmt_num(zone.height * w * 0.38),
        "alpha": f"{guide.band_opacity / 100:.2f}",
        "zone": f"{zone.left:.5f} {zone.top:.5f} {zone.width:.5f} {zone.height:.5f}",
    }


# What the crop editor says of the title (covers-legibility.js writes the same words,
# taken from the page, at every move of the frame).
LEGIBILITY_LEVELS = {
    legibility.Level.GOOD: gettext_lazy("Title easy to read."),
    legibility.Level.WARNING: gettext_lazy("Title hard to read."),
    legibility.Level.POOR: gettext_lazy("Title unreadable."),
}
LEGIBILITY_REASONS = {
    legibility.Reason.BUSY: gettext_lazy("Too busy under the title."),
    legibility.Reason.LOW_CONTRAST: gettext_lazy("Too close to the title colour."),
}


def _legibility_text(measured: legibility.Legibility | None) -> list[str]:
    if measured is None:
        return []
    return [
        str(LEGIBILITY_LEVELS[measured.level]),
        *(str(LEGIBILITY_REASONS[legibility.Reason(r)]) for r in measured.reasons),
    ]


@require_http_methods(["GET", "POST"])
@edit_required
def crop_edit(request: Staff, slug: str, guide_id: int, entry_id: int) -> HttpResponse:
    contest = contest_or_404(slug)
    guide = _guide_or_404(contest, guide_id)
    rows = selectors.guide_candidates(contest=contest, guides=[guide])[guide.pk]
    row = next((r for r in rows if r.entry.pk == entry_id), None)
    if row is None or row.candidate.size is None:
        raise Http404
    size = row.candidate.size
    fmt = selectors.guide_format(guide)
    status = 200
    if request.method == "POST":
        form = CropForm(request.POST)
        if form.is_valid():
            try:
                services.crop_update(
                    guide=guide,
                    entry=row.entry,
                    actor=request.user,
                    box=_stepped(form.cleaned_data, size, fmt.aspect),
                    reset=form.cleaned_data.get("step") == "reset",
                )
            except CoverError as exc:
                _refused(request, exc)
            if not request.htmx:
                return redirect("covers:crop", contest.slug, guide.pk, entry_id)
            row = next(
                r
                for r in selectors.guide_candidates(contest=contest, guides=[guide])[guide.pk]
                if r.entry.pk == entry_id
            )
        else:
            status = 400
    crop = row.crop
    frac = (
        selectors.crop_box(crop)
        if crop
        else geometry.largest_box(size, fmt.aspect).to_fractions(size)
    )
    # The fields carry five decimals: the server measures the box the page will measure.
    frac = geometry.FracBox(*(float(f"{v:.5f}") for v in astuple(frac)))
    title = drawing.title_look(guide, selectors.guide_line_look(guide=guide))
    legible = drawing.title_legibility(row.candidate.display.get("jpeg"), frac, title)
    context = {
        "contest": contest,
        "guide": guide,
        "row": row,
        "frac": frac,
        "svg": _crop_svg(frac, size, guide, fmt),
        "title": title,
        "title_band": "#{:02x}{:02x}{:02x}".format(*title.band_rgb),
        "title_text": "#{:02x}{:02x}{:02x}".format(*title.text_rgb),
        "legibility": legible,
        "legibility_text": _legibility_text(legible),
        "legibility_rule": legibility.page_rule(),
        "fmt": fmt,
        "size": size,
        "zone": geometry.zone_on_cover(
            selectors.guide_title_zone(guide), fmt, (1000, round(1000 / fmt.aspect))
        ),
        "view_h": round(1000 / fmt.aspect),
        "ppi_good": geometry.PPI_GOOD,
        "ppi_min": geometry.PPI_MIN,
        "bleed_inches": fmt.bleed_width_mm / geometry.MM_PER_INCH,
    }
    template = "covers/fragment_crop.html" if request.htmx else "covers/crop.html"
    return render(request, template, context, status=status)


@require_GET
@edit_required
def mockup_image(request: Staff, slug: str, mockup_id: int) -> HttpResponse:
    contest = contest_or_404(slug)
    mockup = selectors.mockup_of(contest=contest, mockup_id=mockup_id)
    if mockup is None:
        raise Http404
    data = services.mockup_image(mockup=mockup, lines=request.GET.get("lignes") == "1")
    response = HttpResponse(data, content_type="image/jpeg")
    # Its key names what it shows: the same id never shows anything else.
    response["Cache-Control"] = "private, max-age=86400"
    return response


@require_POST
@edit_required
def allocation_suggest(request: Staff, slug: str) -> HttpResponse:
    contest = contest_or_404(slug)
    try:
        result = services.allocation_suggest(contest=contest, actor=request.user)
    except CoverError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            _("Suggested: %(filled)d covers, total jury score %(total)s.")
            % {"filled": result.filled, "total": f"{result.total_score:g}"},
        )
    return _to_overview(contest)


@require_POST
@edit_required
def pick_set(request: Staff, slug: str, guide_id: int) -> HttpResponse:
    contest = contest_or_404(slug)
    guide = _guide_or_404(contest, guide_id)
    form = PickForm(request.POST)
    if form.is_valid():
        entry = selectors.entry_of(contest=contest, entry_id=form.cleaned_data["entry"])
        try:
            if entry is None:
                raise CoverError(_("This photo is not on the jury's shortlist."))
            services.pick_set(
                guide=guide, slot=form.cleaned_data["slot"], entry=entry, actor=request.user
            )
        except CoverError as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("Cover chosen for %(guide)s.") % {"guide": guide.name})
    else:
        messages.error(request, _("Choose a photo."))
    return redirect("covers:candidates", contest.slug, guide.pk)


@require_POST
@edit_required
def pick_remove(request: Staff, slug: str, guide_id: int, slot: int) -> HttpResponse:
    contest = contest_or_404(slug)
    guide = _guide_or_404(contest, guide_id)
    try:
        services.pick_remove(guide=guide, slot=slot, actor=request.user)
    except CoverError as exc:
        _refused(request, exc)
    return _to_overview(contest)


@require_POST
@lock_required
def lock(request: Staff, slug: str) -> HttpResponse:
    contest = contest_or_404(slug)
    try:
        services.allocation_lock(contest=contest, actor=request.user, base_url=_base_url(request))
    except CoverError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            _(
                "Allocation locked: the winners are sent their proofs and the print "
                "packages are being built."
            ),
        )
    return _to_overview(contest)


@require_POST
@lock_required
def unlock(request: Staff, slug: str) -> HttpResponse:
    contest = contest_or_404(slug)
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise CoverError(_("Say why the allocation is unlocked."))
        services.allocation_unlock(
            contest=contest, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except CoverError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Allocation unlocked."))
    return _to_overview(contest)


@require_POST
@lock_required
def publish(request: Staff, slug: str) -> HttpResponse:
    contest = contest_or_404(slug)
    try:
        services.results_publish(contest=contest, actor=request.user, base_url=_base_url(request))
    except CoverError as exc:
        _refused(request, exc)
        return _to_overview(contest)
    messages.success(request, _("The results are published."))
    return redirect("covers:winners", contest.slug)


@require_POST
@edit_required
def package_request(request: Staff, slug: str, guide_id: int) -> HttpResponse:
    contest = contest_or_404(slug)
    guide = _guide_or_404(contest, guide_id)
    try:
        services.package_request(guide=guide, actor=request.user)
    except CoverError as exc:
        _refused(request, exc)
    return _to_overview(contest)


@require_GET
@edit_required
def package_download(request: Staff, slug: str, package_id: int) -> FileResponse:
    contest = contest_or_404(slug)
    package = selectors.package_ready(contest=contest, package_id=package_id)
    if package is None:
        raise Http404
    return FileResponse(
        services.package_file(package=package),
        as_attachment=True,
        filename=f"{slugify(package.guide.name) or 'guide'}-couverture.zip",
        content_type="application/zip",
    )


@require_GET
@edit_required
def designer_csv(request: Staff, slug: str) -> HttpResponse:
    """One line per cover across all guides, for the designer's data merge."""
    contest = contest_or_404(slug)
    from covers.packaging import designer_rows

    out = io.StringIO()
    writer = csv.writer(out)
    for row in designer_rows(contest=contest):
        writer.writerow(csv_row(row))
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{contest.slug}-couvertures.csv"'
    return response


# --- the winner's proof and the public winners page -----------------------------------------


@require_http_methods(["GET", "POST"])
def proof(request: HttpRequest, token: UUID) -> HttpResponse:
    found = selectors.proof_by_token(token=token)
    if found is None:
        raise Http404
    form = ProofForm(request.POST or None, initial={"credit_line": found.credit_line})
    if request.method == "POST" and form.is_valid():
        try:
            services.proof_confirm(proof=found, credit_line=form.cleaned_data["credit_line"])
        except CoverError as exc:
            form.add_error("credit_line", exc.message)
        else:
            messages.success(request, _("Thank you! Your credit line is confirmed."))
            return redirect("covers:proof", token)
    picks = selectors.picks_of(contest=found.contest).filter(entry=found.entry)
    status = 400 if request.method == "POST" else 200
    context: dict[str, Any] = {
        "proof": found,
        "form": form,
        "picks": picks,
        "contest": found.contest,
    }
    return render(request, "covers/proof.html", context, status=status)


@require_GET
def proof_image(request: HttpRequest, token: UUID, guide_id: int) -> HttpResponse:
    found = selectors.proof_by_token(token=token)
    if found is None:
        raise Http404
    mockup = selectors.proof_mockup(proof=found, guide_id=guide_id)
    if mockup is None:
        raise Http404
    response = HttpResponse(services.mockup_image(mockup=mockup), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
def winners(request: HttpRequest, slug: str) -> HttpResponse:
    contest = contest_or_404(slug)
    found = selectors.winners(contest=contest)
    if not found:
        raise Http404
    return render(request, "covers/winners.html", {"contest": contest, "winners": found})


@require_GET
def winner_image(request: HttpRequest, slug: str, pick_id: int) -> HttpResponse:
    contest = contest_or_404(slug)
    winner = next((w for w in selectors.winners(contest=contest) if w.pick.pk == pick_id), None)
    if winner is None or winner.mockup is None or winner.mockup.state != Mockup.State.READY:
        raise Http404
    response = HttpResponse(services.mockup_image(mockup=winner.mockup), content_type="image/jpeg")
    response["Cache-Control"] = "public, max-age=3600"
    return response
