"""The Atom feed of newly approved photos, for the community manager's schedulers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from contest.models import Contest, Entry
from gallery import selectors
from gallery.views import absolute_url, contest_or_404


class ApprovedPhotosFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, slug: str) -> Contest:  # type: ignore[override]
        return contest_or_404(slug)

    def title(self, contest: Contest) -> str:
        return contest.title

    def subtitle(self, contest: Contest) -> str:
        return _("The photos newly approved for the contest.")

    def link(self, contest: Contest) -> str:
        return reverse("gallery:gallery", args=[contest.slug])

    def items(self, contest: Contest) -> Sequence[Entry]:
        return selectors.gallery_page(contest_id=contest.pk, size=50).entries

    def item_title(self, entry: Entry) -> str:
        return entry.title

    def item_description(self, entry: Entry) -> str:
        credit = _("Photo: %(name)s") % {"name": entry.participant.credit_name}
        return f"{entry.caption} — {credit}"

    def item_link(self, entry: Entry) -> str:
        return reverse("gallery:photo", args=[entry.photo.public_id])

    def item_guid(self, entry: Entry) -> str:
        return f"urn:uuid:{entry.photo.public_id}"

    item_guid_is_permalink = False

    def item_author_name(self, entry: Entry) -> str:
        return entry.participant.credit_name

    def item_pubdate(self, entry: Entry) -> datetime | None:
        return entry.decided_at

    def item_updateddate(self, entry: Entry) -> datetime | None:
        return entry.decided_at

    def item_enclosure_url(self, entry: Entry) -> str | None:
        share = selectors.renditions_by_spec(entry.photo).get("display", {}).get("jpeg")
        return absolute_url(share.file.url) if share else None

    def item_enclosure_length(self, entry: Entry) -> int:
        share = selectors.renditions_by_spec(entry.photo).get("display", {}).get("jpeg")
        return share.bytes if share else 0

    item_enclosure_mime_type = "image/jpeg"
