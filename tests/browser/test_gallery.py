"""The public gallery in Chromium, at phone and desktop sizes, with an axe-core scan.

A visitor opens the contest page, the gallery, filters it by theme, loads the next photos
(htmx, and a plain link without JavaScript), opens a photo, votes after signing in by link,
and reaches the report page.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.test import Client
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

    # Not signed in: the vote button leads to the sign-in by e-mail, which says it is for a
    # vote, then back here with the vote one tap away.
    love = page.get_by_role("button", name=re.compile(re.escape(gettext_fr("I love this photo"))))
    love.click()
    expect(page).to_have_url(re.compile(re.escape(reverse("contest:signin")) + r"\?next="))
    expect(page.locator("h1")).to_have_text(gettext_fr("Vote with your e-mail address"))
    assert_accessible(page, "sign-in to vote")
    page.fill("#id_email", "fan@example.org")
    page.locator("main button[type=submit]").click()
    expect(page.locator("h1")).to_have_text(gettext_fr("Check your e-mail"))
    page.goto(signin_link(live_server))
    assert mail.outbox[-1].subject == gettext_fr("Your link to confirm your vote")
    press_continue(page)
    expect(page).to_have_url(live_server.url + photo_url + "?voter=1#vote")
    expect(votes.get_by_role("status")).to_have_text(
        gettext_fr("Your e-mail address is confirmed. Press the button to give your vote.")
    )
    assert_accessible(page, "photo page, vote to confirm")
    entry.refresh_from_db()
    assert entry.vote_count == 0
    confirm = page.get_by_role("button", name=re.compile(re.escape(gettext_fr("Confirm my vote"))))
    confirm.click()
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


def embed_code(live_server: LiveServer, contest: Contest, marketing: object) -> str:
    """The code the relay page gives the community manager to paste, as they see it."""
    client = Client()
    client.force_login(marketing)  # type: ignore[arg-type]
    page = client.get(
        reverse("gallery:relay", args=[contest.slug]),
        HTTP_HOST=live_server.url.removeprefix("http://"),
    ).content.decode()
    found = re.search(r'<textarea id="embed-code"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, page
    return html.unescape(found.group(1))


@contextmanager
def partner_site(pages: dict[str, str]) -> Iterator[str]:
    """Another site on a port of its own (another origin than the live server's), serving
    `pages` (path -> HTML); yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def partner_page(code: str) -> str:
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Réseau Tempo</title></head><body><main><h1>Le concours photo</h1>"
        f"{code}<p>Bas de page du site partenaire.</p></main></body></html>"
    )


def frame_heights(page: Page) -> dict[str, float]:
    """The iframe's height on the partner's page, and inside it the gallery's own height
    and what it scrolls."""
    # clientHeight: the frame's inside, its borders left out.
    outer = page.frame_locator("iframe").owner.evaluate("f => f.clientHeight")
    inner = page.frames[1]
    heights = inner.evaluate(
        """() => ({
            content: document.documentElement.getBoundingClientRect().height,
            scrolls: document.documentElement.scrollHeight - document.documentElement.clientHeight,
        })"""
    )
    return {"frame": outer, **heights}


def settled_heights(page: Page) -> dict[str, float]:
    """The heights once the frame fits its content (within a pixel), or after 5 seconds."""
    for _attempt in range(50):
        heights = frame_heights(page)
        if abs(heights["frame"] - heights["content"]) <= 1:
            break
        page.wait_for_timeout(100)
    return heights


def test_the_embed_takes_the_height_of_its_photos_on_another_site(
    page: Page,
    live_server: LiveServer,
    contest: Contest,
    publish: Callable[[int], list[Entry]],
    marketing: object,
) -> None:
    from gallery.views_relay import EMBED_COUNT

    publish(EMBED_COUNT)
    code = embed_code(live_server, contest, marketing)
    assert "/static/js/embed-host.js" in code
    without_script = code.split("<script")[0]
    pages = {"/galerie": partner_page(code), "/sans-script": partner_page(without_script)}
    with partner_site(pages) as partner:
        check_embed_heights(page, partner)


def check_embed_heights(page: Page, partner: str) -> None:
    page.goto(partner + "/galerie")
    expect(page.locator("iframe")).to_have_attribute("height", "600")
    page.wait_for_function(
        "() => document.querySelector('iframe').style.height !== ''", timeout=10_000
    )
    page.frame_locator("iframe").locator(".tile").first.wait_for()
    # Whatever the screen, 24 photos are taller than 600 px: the frame grew to all of them.
    heights = settled_heights(page)
    assert heights["frame"] > 600, heights
    assert abs(heights["frame"] - heights["content"]) <= 1, heights
    assert heights["scrolls"] <= 0, heights  # no scrollbar inside the frame
    expect(
        page.frame_locator("iframe").get_by_role("link", name=gettext_fr("See the whole gallery"))
    ).to_be_visible()

    # A message from anywhere but the gallery's frame changes nothing.
    page.evaluate("() => window.postMessage({type: 'coverline:height', height: 50}, '*')")
    page.wait_for_timeout(200)
    assert abs(frame_heights(page)["frame"] - heights["frame"]) <= 1

    # A narrower window: the photos reflow and the frame follows.
    size = page.viewport_size
    assert size is not None
    page.set_viewport_size({"width": size["width"] // 2 + 100, "height": size["height"]})
    page.wait_for_function(
        """(before) => {
            const frame = document.querySelector('iframe');
            return Math.abs(frame.getBoundingClientRect().height - before) > 10;
        }""",
        arg=heights["frame"],
    )
    narrower = settled_heights(page)
    assert abs(narrower["frame"] - narrower["content"]) <= 1, narrower
    assert narrower["scrolls"] <= 0, narrower
    page.set_viewport_size(size)

    # Without the script the frame keeps its 600 px and scrolls inside, as before.
    page.goto(partner + "/sans-script")
    page.frame_locator("iframe").locator(".tile").first.wait_for()
    page.wait_for_timeout(300)
    plain = frame_heights(page)
    assert plain["frame"] == 600, plain  # the height attribute
    assert plain["scrolls"] > 0, plain
