"""What covers copies when a contest is made from last year's (a hook of contest.cloning):
the guides (cover slots: names, lines, formats, title zones, colours, how many photos) and
the cover settings with their logo file copied. Not crops, mock-ups, picks, print packages
or credit proofs: they are about last year's photos."""

from __future__ import annotations

from contest.cloning import CloneContext
from covers.models import CoverSettings, Guide
from photos.services import originals_storage

# A guide's columns that belong to the guide as it was, not to the slot.
_GUIDE_NOT_COPIED = ("id", "contest", "version")


def contest_cloned(context: CloneContext) -> None:
    settings = CoverSettings.objects.filter(contest=context.source).first()
    if settings is not None:
        CoverSettings.objects.create(
            contest=context.copy,
            logo=context.copy_file(originals_storage(), settings.logo) if settings.logo else "",
            one_cover_per_participant=settings.one_cover_per_participant,
        )
    columns = [f.attname for f in Guide._meta.concrete_fields if f.name not in _GUIDE_NOT_COPIED]
    for guide in Guide.objects.filter(contest=context.source).prefetch_related("transit_lines"):
        copy = Guide.objects.create(
            contest=context.copy, **{column: getattr(guide, column) for column in columns}
        )
        # The network is copied with the contest: the same lines.
        copy.transit_lines.set(guide.transit_lines.all())
