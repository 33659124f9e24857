"""Reads of the covers: guides, candidates with their eligibility, crops, mock-ups, picks.

Candidates are the jury's shortlist (the last closed round's advancing photos). A page's
queries do not grow with the number of candidates or guides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from contest.exclusion import entries_excluded
from contest.models import Contest, Enrollment, Entry, Participant
from contest.releases import release_missing
from covers import allocation, geometry
from covers.models import (
    CoverEvent,
    CoverSettings,
    CreditProof,
    Crop,
    Guide,
    Mockup,
    Pick,
    PrintPackage,
)
from jury.models import Round
from jury.selectors import ResultRow, shortlist
from photos.models import Rendition
from photos.selectors import renditions_by_spec
from transit.badges import badge_colours
from transit.models import Line


def settings_of(*, contest: Contest) -> CoverSettings:
    """The contest's cover settings, or the defaults (unsaved) when none were saved."""
    found = CoverSettings.objects.filter(contest=contest).select_related("locked_by").first()
    return found or CoverSettings(contest=contest)


def guides_of(*, contest: Contest) -> list[Guide]:
    return list(Guide.objects.filter(contest=contest))


def guide_of(*, contest: Contest, guide_id: int) -> Guide | None:
    return Guide.objects.filter(contest=contest, pk=guide_id).first()


@dataclass(frozen=True)
class LineLook:
    """What a guide's single line gives its cover: the number and the colours."""

    number: str
    band_colour: str  # "#rrggbb", the line's colour
    text_colour: str  # "#rrggbb", readable on it (transit.badges)


def _look(line: Line) -> LineLook:
    badge = badge_colours(line.colour, line.text_colour)
    number = line.short_name or line.long_name or line.gtfs_id
    return LineLook(number=number, band_colour=badge.background, text_colour=badge.text)


def guide_lines(*, guide: Guide) -> list[Line]:
    return list(guide.transit_lines.order_by("sort_order", "short_name", "pk")) if guide.pk else []


def guides_line_looks(*, guides: list[Guide]) -> dict[int, LineLook | None]:
    """Per guide id, its line's look when it has exactly one line, else None; one query."""
    linked: dict[int, list[Line]] = {guide.pk: [] for guide in guides}
    through = Guide.transit_lines.through
    for row in through.objects.filter(guide__in=guides).select_related("line"):
        linked[row.guide_id].append(row.line)
    return {pk: _look(lines[0]) if len(lines) == 1 else None for pk, lines in linked.items()}


def guide_line_look(*, guide: Guide) -> LineLook | None:
    return guides_line_looks(guides=[guide])[guide.pk]


def guide_format(guide: Guide) -> geometry.PrintFormat:
    return geometry.PrintFormat(
        trim_width_mm=guide.trim_width_mm,
        trim_height_mm=guide.trim_height_mm,
        bleed_mm=guide.bleed_mm,
        safe_mm=guide.safe_mm,
    )


def guide_title_zone(guide: Guide) -> geometry.Rect:
    return geometry.Rect(
        guide.title_x_mm, guide.title_y_mm, guide.title_width_mm, guide.title_height_mm
    )


def crop_box(crop: Crop) -> geometry.FracBox:
    return geometry.FracBox(crop.left, crop.top, crop.width, crop.height)


@dataclass
class Candidate:
    """A shortlisted photo as the covers pages see it."""

    entry: Entry
    rank: int  # 1 is the jury's best
    score: float | None  # the jury's score as shown (yes rate, normalised mean, rank)
    points: float  # what the allocation maximises: higher is better
    round_kind: str
    allows_print: bool
    parent_ok: bool
    # False while a moderator's "identifiable person" mark waits for the person's release.
    release_ok: bool = True
    thumbs: dict[str, Rendition] = field(default_factory=dict)
    display: dict[str, Rendition] = field(default_factory=dict)

    @property
    def size(self) -> tuple[int, int] | None:
        photo = self.entry.photo
        return (photo.width, photo.height) if photo.width and photo.height else None

    @property
    def credit(self) -> str:
        return self.entry.participant.credit_name


def _points(row: ResultRow, count: int) -> float:
    if row.kind == Round.Kind.RANKING:
        return float(count - (row.rank or count) + 1)
    return float(row.score or 0.0)


def candidates(*, contest: Contest) -> list[Candidate]:
    """The shortlist, best first, with each photo, participant, consent and renditions."""
    _final, rows = shortlist(contest=contest)
    if not rows:
        return []
    enrollments = Enrollment.objects.filter(contest=contest)
    entries = (
        # A photo its author withdrew is no longer a candidate (its files are gone), nor one
        # of the operator's staff's (listed after the jury's first round, contest.exclusion).
        Entry.objects.filter(pk__in=[row.entry_id for row in rows], withdrawn_at=None)
        .exclude(pk__in=entries_excluded(contest=contest).values("pk"))
        .select_related("photo", "participant__user", "release")
        .prefetch_related(
            Prefetch(
                "participant__enrollments",
                queryset=enrollments,
                to_attr="contest_enrollments",
            ),
            Prefetch(
                "photo__renditions",
                queryset=Rendition.objects.filter(spec__in=("thumb", "display")),
                to_attr="public_renditions",
            ),
        )
        .in_bulk()
    )
    found: list[Candidate] = []
    for index, row in enumerate(rows):
        entry = entries.get(row.entry_id)
        if entry is None:
            continue
        participant: Participant = entry.participant
        enrollment = next(iter(getattr(participant, "contest_enrollments", [])), None)
        grouped = renditions_by_spec(entry.photo)
        found.append(
            Candidate(
                entry=entry,
                rank=row.rank or index + 1,
                score=row.score,
                points=_points(row, len(rows)),
                round_kind=row.kind,
                allows_print=bool(enrollment and enrollment.allows_print),
                parent_ok=not participant.needs_parent_confirmation,
                release_ok=not release_missing(entry),
                thumbs=grouped.get("thumb", {}),
                display=grouped.get("display", {}),
            )
        )
    return found


@dataclass
class GuideCandidate:
    """A candidate for one guide: its crop, resolution, mock-up and whether it may be used."""

    candidate: Candidate
    guide: Guide
    crop: Crop | None
    mockup: Mockup | None
    ppi: float | None
    readiness: geometry.Readiness | None
    reasons: list[str]
    pick: Pick | None = None

    @property
    def eligible(self) -> bool:
        return not self.reasons

    @property
    def entry(self) -> Entry:
        return self.candidate.entry


def ppi_of(guide: Guide, size: tuple[int, int], crop: Crop | None) -> float:
    """The crop's print resolution on this guide; the best possible one before any crop."""
    fmt = guide_format(guide)
    if crop is None:
        return geometry.best_ppi(size, fmt)
    return geometry.effective_ppi(crop.width * size[0], fmt)


def ineligibility(
    candidate: Candidate, guide: Guide, crop: Crop | None
) -> tuple[float | None, list[str]]:
    """(ppi, reasons the photo may not be this guide's cover); no reason means eligible."""
    reasons = []
    if not candidate.allows_print:
        reasons.append(_("The participant did not allow the printed use."))
    if not candidate.parent_ok:
        reasons.append(_("A parent has not confirmed yet."))
    if not candidate.release_ok:
        reasons.append(_("Release missing: the identifiable person has not confirmed yet."))
    size = candidate.size
    if size is None:
        reasons.append(_("The photo is not ready."))
        return None, reasons
    ppi = ppi_of(guide, size, crop)
    if geometry.readiness(ppi) == geometry.Readiness.REFUSED:
        reasons.append(
            _("Too small for this format: %(ppi)d ppi, at least %(min)d needed.")
            % {"ppi": round(ppi), "min": geometry.PPI_MIN}
        )
    return ppi, reasons


def _latest_mockups(guides: list[Guide]) -> dict[tuple[int, int], Mockup]:
    latest: dict[tuple[int, int], Mockup] = {}
    for mockup in Mockup.objects.filter(guide__in=guides).order_by("updated_at", "id"):
        key = (mockup.guide_id, mockup.entry_id)
        # A ready mock-up stays shown while a newer one is drawn.
        if (
            mockup.state == Mockup.State.READY
            or key not in latest
            or latest[key].state != Mockup.State.READY
        ):
            latest[key] = mockup
    return latest


def guide_candidates(
    *,
    contest: Contest,
    guides: list[Guide],
    found: list[Candidate] | None = None,
    line_ids: set[int] | None = None,
) -> dict[int, list[GuideCandidate]]:
    """Per guide id, every candidate with its crop, ppi, mock-up, pick and eligibility;
    only those taken on one of `line_ids` when given (a guide's own lines)."""
    found = candidates(contest=contest) if found is None else found
    if line_ids is not None:
        found = [c for c in found if c.entry.line_id in line_ids]
    crops = {(c.guide_id, c.entry_id): c for c in Crop.objects.filter(guide__in=guides)}
    mockups = _latest_mockups(guides)
    picks = {(p.guide_id, p.entry_id): p for p in Pick.objects.filter(guide__in=guides)}
    result: dict[int, list[GuideCandidate]] = {}
    for guide in guides:
        rows = []
        for candidate in found:
            key = (guide.pk, candidate.entry.pk)
            crop = crops.get(key)
            ppi, reasons = ineligibility(candidate, guide, crop)
            rows.append(
                GuideCandidate(
                    candidate=candidate,
                    guide=guide,
                    crop=crop,
                    mockup=mockups.get(key),
                    ppi=ppi,
                    readiness=geometry.readiness(ppi) if ppi is not None else None,
                    reasons=reasons,
                    pick=picks.get(key),
                )
            )
        result[guide.pk] = rows
    return result


def allocation_candidates(*, rows: dict[int, list[GuideCandidate]]) -> list[allocation.Candidate]:
    """The candidates as covers.allocation takes them: score, participant, the guides (of
    `rows`, guide id -> guide_candidates' rows) each may go on."""
    by_entry: dict[int, Candidate] = {}
    eligible: dict[int, set[int]] = {}
    for guide_id, guide_rows in rows.items():
        for row in guide_rows:
            by_entry[row.entry.pk] = row.candidate
            if row.eligible:
                eligible.setdefault(row.entry.pk, set()).add(guide_id)
    return [
        allocation.Candidate(
            entry_id=entry_id,
            participant_id=candidate.entry.participant_id,
            score=max(candidate.points, 0.0),
            eligible=frozenset(eligible.get(entry_id, set())),
        )
        for entry_id, candidate in by_entry.items()
    ]


@dataclass
class Passed:
    """A candidate ranked above a guide's pick that is not on its cover, and why."""

    row: GuideCandidate
    why: str


def why_not(
    *, guides: list[Guide], rows: dict[int, list[GuideCandidate]], one_per_participant: bool
) -> dict[int, list[Passed]]:
    """Per guide id, the candidates ranked above its pick that are not its cover, best first,
    each with the reason in words (covers.allocation.why_not on the picks as they stand)."""
    explained = allocation.why_not(
        [allocation.GuideSlot(guide.pk, guide.needs) for guide in guides],
        allocation_candidates(rows=rows),
        {guide.pk: [r.entry.pk for r in rows[guide.pk] if r.pick] for guide in guides},
        pinned=[(g.pk, r.entry.pk) for g in guides for r in rows[g.pk] if r.pick and r.pick.pinned],
        one_per_participant=one_per_participant,
    )
    names = {guide.pk: guide.name for guide in guides}
    titles = {r.entry.pk: r.entry.title for guide_rows in rows.values() for r in guide_rows}
    result: dict[int, list[Passed]] = {}
    for guide in guides:
        row_of = {r.entry.pk: r for r in rows[guide.pk]}
        result[guide.pk] = [
            Passed(row=row_of[w.entry_id], why=_why_words(w, row_of[w.entry_id], names, titles))
            for w in explained[guide.pk]
        ]
    return result


def _why_words(
    why: allocation.WhyNot, row: GuideCandidate, names: dict[int, str], titles: dict[int, str]
) -> str:
    guide = names.get(why.guide_id or 0, "")
    match why.reason:
        case allocation.Passed.NOT_ELIGIBLE:
            return _("Not eligible: %(reasons)s") % {"reasons": " ".join(row.reasons)}
        case allocation.Passed.COVER_ELSEWHERE:
            return _("Already the cover of the “%(guide)s” guide.") % {"guide": guide}
        case allocation.Passed.PARTICIPANT_HAS_COVER:
            return _(
                "The participant already has a cover (“%(title)s”, %(guide)s guide): "
                "one cover per participant."
            ) % {"title": titles.get(why.cover_entry_id or 0, ""), "guide": guide}
        case allocation.Passed.CHOSEN_BY_HAND:
            return _("A photo chosen by hand keeps the place.")
    return _("Free for this guide: suggest the allocation again to weigh it.")


def picks_of(*, contest: Contest) -> QuerySet[Pick]:
    return Pick.objects.filter(guide__contest=contest).select_related(
        "guide", "entry__participant__user", "entry__photo", "picked_by"
    )


def packages_of(*, contest: Contest) -> dict[int, PrintPackage]:
    """Each guide's newest print package."""
    latest: dict[int, PrintPackage] = {}
    for package in PrintPackage.objects.filter(guide__contest=contest).order_by("created_at", "id"):
        latest[package.guide_id] = package
    return latest


def proofs_of(*, contest: Contest) -> dict[int, CreditProof]:
    return {p.entry_id: p for p in CreditProof.objects.filter(contest=contest)}


def proof_by_token(*, token: UUID) -> CreditProof | None:
    """The proof a winner's link names (the URL converter has checked it is a UUID)."""
    return (
        CreditProof.objects.select_related("contest", "entry__participant")
        .filter(token=token)
        .first()
    )


def proof_mockup(*, proof: CreditProof, guide_id: int) -> Mockup | None:
    """The winner's cover on that guide, only where their photo is that guide's pick."""
    return (
        Mockup.objects.filter(
            guide_id=guide_id,
            entry=proof.entry,
            guide__picks__entry=proof.entry,
            state=Mockup.State.READY,
        )
        .order_by("-updated_at")
        .first()
    )


def mockup_of(*, contest: Contest, mockup_id: int) -> Mockup | None:
    return Mockup.objects.filter(
        pk=mockup_id, guide__contest=contest, state=Mockup.State.READY
    ).first()


def package_ready(*, contest: Contest, package_id: int) -> PrintPackage | None:
    return (
        PrintPackage.objects.filter(
            pk=package_id, guide__contest=contest, state=PrintPackage.State.READY
        )
        .select_related("guide")
        .first()
    )


def entry_of(*, contest: Contest, entry_id: int) -> Entry | None:
    return Entry.objects.filter(contest=contest, pk=entry_id).select_related("participant").first()


def default_credit(entry: Entry) -> str:
    """The credit line as printed, in the winner's language ("Photo : Camille D.")."""
    with translation.override(entry.participant.language or settings.LANGUAGE_CODE):
        return _("Photo: %(name)s") % {"name": entry.participant.credit_name}


def events_of(*, contest: Contest, limit: int = 50) -> QuerySet[CoverEvent]:
    return CoverEvent.objects.filter(contest=contest).select_related("actor", "guide", "entry")[
        :limit
    ]


@dataclass
class Winner:
    pick: Pick
    display: dict[str, Rendition]
    mockup: Mockup | None
    credit: str  # as the winner confirmed or corrected it, else the default


def winners(*, contest: Contest) -> list[Winner]:
    """The published covers, guide by guide (empty until the results are published)."""
    if not CoverSettings.objects.filter(contest=contest, published_at__isnull=False).exists():
        return []
    picks = list(
        picks_of(contest=contest).prefetch_related(
            Prefetch(
                "entry__photo__renditions",
                queryset=Rendition.objects.filter(spec="display"),
                to_attr="public_renditions",
            )
        )
    )
    mockups = _latest_mockups(list({p.guide for p in picks}))
    proofs = proofs_of(contest=contest)
    return [
        Winner(
            pick=pick,
            display=renditions_by_spec(pick.entry.photo).get("display", {}),
            mockup=mockups.get((pick.guide_id, pick.entry_id)),
            credit=proofs[pick.entry_id].credit_line
            if pick.entry_id in proofs
            else default_credit(pick.entry),
        )
        for pick in picks
    ]
