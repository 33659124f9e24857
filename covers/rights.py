"""What covers does when a participant withdraws a photo (a hook of contest.rights)."""

from __future__ import annotations

from django.db import transaction

from covers.models import Mockup, Pick
from covers.services import _delete_files


def entry_withdrawn(entry_id: int) -> None:
    """Deletes the withdrawn photo's cover mock-ups, files and rows: they are copies of it.

    Its crops (a person's decision, no file) and a pick stay: a cover already printed cannot
    be unprinted, and the pick's history says what was chosen. The photo is no longer a
    candidate (covers.selectors.candidates), so no new mock-up is drawn.
    """
    with transaction.atomic():
        mockups = Mockup.objects.select_for_update().filter(entry_id=entry_id)
        names = [name for pair in mockups.values_list("file", "overlay_file") for name in pair]
        mockups.delete()
        transaction.on_commit(lambda: _delete_files(names))


def cover_winners(contest_id: int) -> list[int]:
    """The entries chosen for a cover of the contest: their originals outlive the contest's
    retention (a hook of contest.retention), since a guide may be printed again."""
    return list(
        Pick.objects.filter(guide__contest_id=contest_id).values_list("entry_id", flat=True)
    )
