"""The public gallery in Chromium, at phone and desktop sizes, with an axe-core scan.

A visitor opens the contest page, the gallery, filters it by theme, loads the next photos
(htmx, and a plain link without JavaScript), opens a photo, votes after signing in by link,
and reaches the report page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from contest.models import Contest, Entry, Participant
from gallery.selectors import PAGE_SIZE
from moderation.services import entry_decide
from photos.models import Photo, Rendition
from photos.selectors import renditions_hash
from photos.services import originals_storage, photo_process
from tests.browser.test_entry_flow import assert_accessible, press_continue, signin_link
from tests.factories import EntryFactory
from tests.images import photo_bytes

pytestmark = pytest.mark.browser

# One page and a few more: "Load more photos" has something to load, and then nothing.
PUBLIC_COUNT = PAGE_SIZE + 5
# Photos that really go through the pipeline; the others share their rendition files.
REAL_PHOTOS = 4
SEASONS_EVERY = 10  # every tenth photo is in the "Saisons" theme, the others in the city


def gettext_fr(message: str) -> str:
    with translation.override("fr"):
        return translation.gettext(message)


def ngettext_fr(singular: str, plural: str, n: int) -> str:
    with translation.override("fr"):
        return translation.ngettext(singular, plural, n) % {"n": n}


def title_of(index: int) -> str:
    theme = "Saisons" if index % SEASONS_EVERY == 0 else "Ville"
    return f"{theme} {index:02d}"


@pytest.fixture
def publish(
    contest: Contest, entrant: Participant, other_entrant: Participant, moderator: object
) -> Callable[[int], list[Entry]]:
    """`count` photos approved by a moderator, oldest first (the gallery shows newest first).

    Cheap: 320x320 photos, and only the first few are decoded and resized; the others get
    rendition rows naming the same files, as a remade rendition would not.
    """
    city, seasons = list(contest.themes.order_by("position"))

    def make(count: int) -> list[Entry]:
        real: list[Photo] = []
        entries = []
        for index in range(count):
            if index < REAL_PHOTOS:
                data = photo_bytes(320, 320, seed=index + 1)
                name = originals_storage().save(f"t-{index}.jpg", ContentFile(data))
                photo = Photo.objects.create(
                    original=name,
                    original_name=f"IMG_{index}.JPG",
                    original_format="JPEG",
                    original_bytes=len(data),
                )
                photo_process(photo_id=photo.pk)
                photo.refresh_from_db()
                real.append(photo)
            else:
                model = real[index % REAL_PHOTOS]
                photo = Photo.objects.create(
                    original=model.original,
                    original_name=f"IMG_{index}.JPG",
                    original_format="JPEG",
                    original_bytes=model.original_bytes,
                    status=Photo.Status.READY,
                    width=model.width,
                    height=model.height,
                    renditions_hash=model.renditions_hash,
                )
                Rendition.objects.bulk_create(
                    Rendition(
                        photo=photo,
                        spec=r.spec,
                        format=r.format,
                        file=r.file.name,
                        width=r.width,
                        height=r.height,
                        bytes=r.bytes,
                    )
                    for r in model.renditions.all()
                )
            entry: Entry = EntryFactory(
                contest=contest,
                participant=(entrant, other_entrant)[index % 2],
                title=title_of(index),
                caption=f"Un bus au terminus, vue numéro {index}.",
                theme=seasons if index % SEASONS_EVERY == 0 else city,
                photo=photo,
            )
            entries.append(entry)
        for entry in entries:
            # The real decision: the photo is public because a moderator approved it.
            entry_decide(
                entry_id=entry.pk,
                version=0,
                moderator=moderator,  # type: ignore[arg-type]
                approve=True,
                seen_renditions=renditions_hash(Rendition.objects.filter(photo__entry=entry)),
            )
        return list(Entry.objects.select_related("photo").filter(pk__in=[e.pk for e in entries]))

    return make


def tiles(page: Page) -> Locator:
    return page.locator("#grid > li.tile")


def expect_images_loaded(images: Locator) -> None:
    """Each image is drawn (scrolled to first: later tiles load lazily) and has its size
    in the markup, so the page does not jump while images arrive."""
    for index in range(images.count()):
        image = images.nth(index)
        for attribute in ("width", "height"):
            value = image.get_attribute(attribute)
            assert value and int(value) > 0, f"image {index} has no {attribute} attribute"
        image.scroll_into_view_if_needed()
        image.page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )


def titles_shown(page: Page) -> list[str]:
    return tiles(page).locator(".tile-title").all_text_contents()


def test_a_visitor_browses_filters_and_loads_more_photos(
    page: Page, live_server: LiveServer, contest: Contest, publish: Callable[[int], list[Entry]]
) -> None:
    entries = publish(PUBLIC_COUNT)
    newest_first = [entry.title for entry in sorted(entries, key=lambda e: -e.pk)]

    page.goto(live_server.url + reverse("gallery:landing", args=[contest.slug]))
    expect(page.locator("h1")).to_have_text(contest.title)
    latest = page.locator("ul.grid.small > li.tile")
    expect(latest).to_have_count(6)
    expect(latest.locator(".tile-title")).to_have_text(newest_first[:6])
    expect_images_loaded(latest.locator("img"))
    assert_accessible(page, "contest page")

    page.get_by_role("link", name=gettext_fr("See the whole gallery")).click()
    expect(page).to_have_url(live_server.url + reverse("gallery:gallery", args=[contest.slug]))
    expect(tiles(page)).to_have_count(PAGE_SIZE)
    assert titles_shown(page) == newest_first[:PAGE_SIZE]
    images = tiles(page).locator("img")
    # Above the fold the first photos come at once; the others wait for the visitor.
    expect(images.nth(0)).not_to_have_attribute("loading", "lazy")
    expect(images.nth(0)).to_have_attribute("fetchpriority", "high")  # the largest paint
    expect(images.nth(1)).not_to_have_attribute("fetchpriority", "high")
    expect(images.nth(PAGE_SIZE - 1)).to_have_attribute("loading", "lazy")
    expect_images_loaded(images)
    # A tile is a few hundred pixels wide: never the 1600 px rendition, whatever the screen.
    shown = images.evaluate_all("images => images.map(img => img.currentSrc)")
    assert all("/thumb-" in src for src in shown), shown
    assert_accessible(page, "gallery")

    page.evaluate("() => { window.coverlineSameDocument = true; }")
    more = page.get_by_role("link", name=gettext_fr("Load more photos"))
    more.click()
    expect(tiles(page)).to_have_count(PUBLIC_COUNT)
    assert page.evaluate("() => window.coverlineSameDocument === true"), "the page was reloaded"
    expect(page).to_have_url(live_server.url + reverse("gallery:gallery", args=[contest.slug]))
    assert titles_shown(page) == newest_first  # each photo once, in order
    expect(more).to_have_count(0)  # nothing left to load
    expect(page.locator("#more")).to_have_count(1)
    # The keyboard user goes on from the first new photo rather than from the top.
    expect(tiles(page).nth(PAGE_SIZE).locator("a")).to_be_focused()
    expect_images_loaded(page.locator(f"#grid > li.tile:nth-child(n+{PAGE_SIZE + 1}) img"))
    assert_accessible(page, "gallery after loading more")

    page.select_option("#f-theme", label="Saisons")
    page.get_by_role("button", name=gettext_fr("Show")).click()
    expect(page).to_have_url(re.compile(r"[?&]theme=\d+"))
    seasons = [title for title in newest_first if title.startswith("Saisons")]
    expect(tiles(page)).to_have_count(len(seasons))
    assert titles_shown(page) == seasons
    expect(page.get_by_role("link", name=gettext_fr("Load more photos"))).to_have_count(0)
    expect(page.locator("#f-theme option:checked")).to_have_text("Saisons")

    # The page the operator frames on its own site is public too.
    page.goto(live_server.url + reverse("gallery:embed", args=[contest.slug]))
    expect_images_loaded(page.locator("img"))
    assert_accessible(page, "embeddable gallery")


def test_load_more_is_a_plain_link_without_javascript(
    page_without_js: Page,
    live_server: LiveServer,
    contest: Contest,
    publish: Callable[[int], list[Entry]],
) -> None:
    page = page_without_js
    entries = publish(PUBLIC_COUNT)
    newest_first = [entry.title for entry in sorted(entries, key=lambda e: -e.pk)]
    gallery_url = live_server.url + reverse("gallery:gallery", args=[contest.slug])

    page.goto(gallery_url)
    expect(tiles(page)).to_have_count(PAGE_SIZE)
    page.get_by_role("link", name=gettext_fr("Load more photos")).click()
    expect(page).to_have_url(re.compile(re.escape(gallery_url) + r"\?.*apres="))
    assert titles_shown(page) == newest_first[PAGE_SIZE:]
    expect_images_loaded(tiles(page).locator("img"))
    expect(page.get_by_role("link", name=gettext_fr("Load more photos"))).to_have_count(0)
    page.get_by_role("link", name=gettext_fr("Back to the first photos")).click()
    expect(tiles(page)).to_have_count(PAGE_SIZE)
    assert titles_shown(page) == newest_first[:PAGE_SIZE]


def test_a_visitor_opens_a_photo_signs_in_to_vote_and_finds_the_report_page(
    page: Page,
    live_server: LiveServer,
    contest: Contest,
    publish: Callable[[int], list[Entry]],
    settings: Any,
) -> None:
    contest.show_votes = "always"
    contest.save(update_fields=["show_votes"])
    entry = publish(2)[0]
    gallery_url = reverse("gallery:gallery", args=[contest.slug])
    photo_url = reverse("gallery:photo", args=[entry.photo.public_id])

    # Arrived by a shared link. (Not through the gallery: its grid, counts included, is
    # cached for GALLERY_CACHE_SECONDS and a vote does not refresh it.)
    page.goto(live_server.url + photo_url)
    expect(page.locator("h1")).to_have_text(entry.title)
    expect_images_loaded(page.locator("figure.photo img"))
    votes = page.locator("#vote")
    expect(votes).to_contain_text(ngettext_fr("%(n)s vote so far.", "%(n)s votes so far.", 0))
    assert_accessible(page, "photo page")

    # Not signed in: the vote button leads to the sign-in by e-mail, then back here.
    love = page.get_by_role("button", name=re.compile(re.escape(gettext_fr("I love this photo"))))
    love.click()
    expect(page).to_have_url(re.compile(re.escape(reverse("contest:signin")) + r"\?next="))
    page.fill("#id_email", "fan@example.org")
    page.locator("main button[type=submit]").click()
    page.goto(signin_link(live_server))
    press_continue(page)
    expect(page).to_have_url(live_server.url + photo_url)
    love.click()
    expect(page).to_have_url(live_server.url + photo_url + "#vote")
    expect(votes).to_contain_text(ngettext_fr("%(n)s vote so far.", "%(n)s votes so far.", 1))
    expect(votes).to_contain_text(gettext_fr("You voted for this photo. Thank you!"))
    expect(page.locator(".messages")).to_have_text(gettext_fr("Thank you for your vote!"))
    expect(love).to_have_count(0)
    entry.refresh_from_db()
    assert entry.vote_count == 1
    assert_accessible(page, "photo page after voting")

    page.get_by_role("link", name=gettext_fr("Report this photo")).click()
    expect(page).to_have_url(
        live_server.url + reverse("moderation:report", args=[entry.photo.public_id])
    )
    expect(page.locator("h1")).to_have_text(gettext_fr("Report this photo"))
    assert_accessible(page, "report page")

    # The gallery shows the count too (vote counts are shown at once in this contest).
    page.goto(live_server.url + gallery_url)
    tile = tiles(page).filter(has_text=entry.title)
    expect(tile.locator(".tile-credit")).to_contain_text("♥ 1")
    expect(tile.locator(".tile-credit")).to_contain_text(
        ngettext_fr("%(n)s vote", "%(n)s votes", 1)
    )
    assert_accessible(page, "gallery with vote counts")
    tile.locator("a").click()
    expect(page).to_have_url(live_server.url + photo_url)
