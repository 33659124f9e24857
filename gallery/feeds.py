"""The Atom feed of newly approved photos, for the community manager's schedulers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext as _

from contest.models import Contest, Entry
from gallery import selectors
from gallery.views import absolute_url, contest_or_404, line_number, place_label
from photos.models import Rendition


class AtomWithContent(Atom1Feed):
    """Atom with each entry's `<content type="html">`: Django's writes only a summary,
    and readers that show the content (most) would show no photo at all."""

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content", item["content"], {"type": "html"})


@dataclass(frozen=True)
class FeedSource:
    """The contest and the site's address as the reader asked for it.

    A feed is one object shared by every request (it sits in the URLconf): the request's
    host travels with the feed's object, never on `self`.
    """

    contest: Contest
    base: str


@dataclass(frozen=True)
class FeedItem:
    entry: Entry
    image: Rendition | None
    image_url: str  # absolute, on the reader's host (or the storage's own, on S3)


class ApprovedPhotosFeed(Feed):
    feed_type = AtomWithContent

    def get_object(self, request: HttpRequest, slug: str) -> FeedSource:  # type: ignore[override]
        return FeedSource(contest=contest_or_404(slug), base=absolute_url(request, "/"))

    def title(self, source: FeedSource) -> str:
        return source.contest.title

    def subtitle(self, source: FeedSource) -> str:
        return _("The photos newly approved for the contest.")

    def link(self, source: FeedSource) -> str:
        return reverse("gallery:gallery", args=[source.contest.slug])

    def items(self, source: FeedSource) -> Sequence[FeedItem]:
        items = []
        for entry in selectors.gallery_page(contest_id=source.contest.pk, size=50).entries:
            image = selectors.renditions_by_spec(entry.photo).get("display", {}).get("jpeg")
            # A storage URL that is already absolute (S3, a CDN) stays as it is.
            url = urljoin(source.base, image.file.url) if image else ""
            items.append(FeedItem(entry, image, url))
        return items

    def item_title(self, item: FeedItem) -> str:
        return item.entry.title

    def _credit(self, item: FeedItem) -> str:
        return _("Photo: %(name)s") % {"name": item.entry.participant.credit_name}

    def item_description(self, item: FeedItem) -> str:
        # The summary is typed HTML: a rider's "&" or "<" is text, never markup.
        return escape(f"{item.entry.caption} — {self._credit(item)}")

    def item_categories(self, item: FeedItem) -> list[str]:
        # The line as an Atom category: a scheduling tool can route a line's photos to
        # that line's page or hashtag.
        if item.entry.line is None:
            return []
        return [_("Line %(number)s") % {"number": line_number(item.entry.line)}]

    def item_extra_kwargs(self, item: FeedItem) -> dict[str, Any]:
        content = render_to_string(
            "gallery/fragment_feed_content.html",
            {
                "entry": item.entry,
                "image": item.image,
                "image_url": item.image_url,
                "place": place_label(item.entry),
                "credit": self._credit(item),
            },
        )
        return {"content": content.strip()}

    def item_link(self, item: FeedItem) -> str:
        return reverse("gallery:photo", args=[item.entry.photo.public_id])

    def item_guid(self, item: FeedItem) -> str:
        return f"urn:uuid:{item.entry.photo.public_id}"

    item_guid_is_permalink = False

    def item_author_name(self, item: FeedItem) -> str:
        return item.entry.participant.credit_name

    def item_pubdate(self, item: FeedItem) -> datetime | None:
        return item.entry.decided_at

    def item_updateddate(self, item: FeedItem) -> datetime | None:
        return item.entry.decided_at

    def item_enclosure_url(self, item: FeedItem) -> str | None:
        return item.image_url or None

    def item_enclosure_length(self, item: FeedItem) -> int:
        return item.image.bytes if item.image else 0

    item_enclosure_mime_type = "image/jpeg"
