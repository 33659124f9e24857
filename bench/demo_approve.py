"""Approves the demo contest's photos, so that its gallery has something to show.

For bench/lighthouse.sh, against the database of `make run` (run with the same environment:
DEBUG=1, and COVERLINE_VAR_DIR if it was set):

    DEBUG=1 .venv/bin/python bench/demo_approve.py

Waits (up to --wait seconds) for the worker of `make run` to prepare the demo photos, then
approves every photo still waiting, through the moderation service, as the demo's
"moderation" login. Prints the public id of the newest public photo on the last line.
Running it again approves nothing more.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: bench/ is not a package

SLUG = "couvertures-2027"  # made by `manage.py demo_setup`


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wait", type=int, default=120, help="seconds to wait for the worker")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from contest.models import Entry
    from gallery import selectors
    from moderation.services import entry_decide
    from photos.models import Photo

    entries = Entry.objects.filter(contest__slug=SLUG)
    if not entries.exists():
        print(f"No demo contest {SLUG!r} here: run `make run` first.", file=sys.stderr)
        return 1
    deadline = time.monotonic() + args.wait
    unfinished = entries.exclude(photo__status__in=(Photo.Status.READY, Photo.Status.FAILED))
    while unfinished.exists():
        if time.monotonic() > deadline:
            print("The demo photos are still being prepared: is the worker running?")
            return 1
        time.sleep(1)

    moderator = get_user_model().objects.get(username="moderation")  # made by demo_setup
    approved = 0
    pending = entries.filter(moderation=Entry.Moderation.PENDING, photo__status=Photo.Status.READY)
    for entry in pending.select_related("photo"):
        entry_decide(
            entry_id=entry.pk,
            version=entry.version,
            moderator=moderator,
            approve=True,
            seen_renditions=selectors.renditions_hash(entry.photo.renditions.all()),
        )
        approved += 1
    contest_id = entries.values_list("contest_id", flat=True).first()
    assert contest_id is not None
    shown = selectors.gallery_page(contest_id=contest_id, size=1).entries
    print(
        f"Approved {approved} photo(s); {selectors.public_entries(contest_id=contest_id).count()}"
        " public."
    )
    if not shown:
        print("No public photo.", file=sys.stderr)
        return 1
    print(shown[0].photo.public_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
