"""Sharing as real clients read it: the Open Graph and X card tags of the contest page, the
gallery and a photo page, the contest's share image, the Atom feed's content, the embed's
heading, and absolute URLs on the host the visitor used."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote_plus

import pytest
from django.core.files.storage import FileSystemStorage, default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageChops, ImageStat

from contest.models import Contest, Enrollment, Entry, Participant
from gallery import share_card
from gallery.models import Share
from tests.factories import EnrollmentFactory, ParticipantFactory, UserFactory

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"
# The site's address for workers; every page here is asked for on another host and port.
HOST = "127.0.0.1:8001"
BASE = f"http://{HOST}"


class Head(HTMLParser):
    """The tags of a page as a crawler reads them: meta by property or name, links by rel,
    and the text of the first h1 and of the title."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, list[str]] = {}
        self.links: list[dict[str, str]] = []
        self.texts: dict[str, str] = {}
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "meta" and ("property" in a or "name" in a):
            self.meta.setdefault(a.get("property") or a["name"], []).append(a.get("content", ""))
        elif tag == "link":
            self.links.append(a)
        elif tag in ("h1", "title") and tag not in self.texts:
            self._in = tag
            self.texts[tag] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self.texts[self._in] += data

    def one(self, key: str) -> str:
        values = self.meta.get(key, [])
        assert len(values) == 1, (key, values)
        return values[0]

    def link(self, rel: str, **attrs: str) -> str:
        found = [
            link["href"]
            for link in self.links
            if link.get("rel") == rel and all(link.get(k) == v for k, v in attrs.items())
        ]
        assert len(found) == 1, (rel, found)
        return found[0]


def head_of(url: str, client: Client | None = None) -> Head:
    response = (client or Client()).get(url, HTTP_HOST=HOST)
    assert response.status_code == 200, url
    parsed = Head()
    parsed.feed(response.content.decode())
    return parsed


def stored_image(url: str) -> Image.Image:
    """The picture behind one of our media URLs, decoded from storage by Pillow."""
    assert url.startswith(BASE + "/media/"), url
    with default_storage.open(url.removeprefix(BASE + "/media/"), "rb") as file:
        image = Image.open(file)
        image.load()
    return image


@pytest.fixture(autouse=True)
def _site_url(settings: Any) -> None:
    settings.SITE_URL = "http://localhost:8000"


def landing_url(contest: Contest) -> str:
    return reverse("gallery:landing", args=[contest.slug])


def gallery_url(contest: Contest) -> str:
    return reverse("gallery:gallery", args=[contest.slug])


# --- the embed's heading -----------------------------------------------------------------


def test_it_heads_the_embed_with_the_contest_title_whatever_its_grammar(
    contest: Contest, approved: Callable[..., Entry]
) -> None:
    Contest.objects.filter(pk=contest.pk).update(title_fr="Vos photos en couverture")
    approved(seed=1)
    head = head_of(reverse("gallery:embed", args=[contest.slug]))
    assert head.texts["h1"] == "Vos photos en couverture"
    assert head.texts["title"] == "Vos photos en couverture · Dernières photos"


def test_it_titles_the_embed_code_with_the_contest_title(
    contest: Contest, persona_client: Callable[[str], Client]
) -> None:
    Contest.objects.filter(pk=contest.pk).update(title_fr="Vos photos en couverture")
    page = persona_client("marketing").get(reverse("gallery:relay", args=[contest.slug]))
    text = page.content.decode()
    assert "title=&quot;Vos photos en couverture · Dernières photos&quot;" in text
    assert "Les photos de" not in text


# --- Open Graph on the contest page and the gallery --------------------------------------


@pytest.mark.parametrize("page", ["landing", "gallery"])
def test_it_gives_the_contest_pages_open_graph_tags_on_the_visitors_host(
    page: str, contest: Contest, approved: Callable[..., Entry]
) -> None:
    entry = approved(seed=1, title="Le viaduc")
    url = landing_url(contest) if page == "landing" else gallery_url(contest)
    # The gallery's canonical address is the gallery's, whatever the order asked for.
    head = head_of(url + ("?ordre=recent" if page == "gallery" else ""))
    assert head.one("og:url") == BASE + url
    assert head.link("canonical") == BASE + url
    assert head.one("og:type") == "website"
    assert head.one("og:site_name") == "Coverline"
    assert head.one("og:locale") == "fr_FR"
    assert head.one("og:locale:alternate") == "en_GB"
    assert contest.title in head.one("og:title")
    assert head.one("og:description")
    assert head.one("twitter:card") == "summary_large_image"
    # One photo: its own share rendition, with its credit in the image's description.
    share = entry.photo.renditions.get(spec="share", format="jpeg")
    assert head.one("og:image") == BASE + share.file.url
    assert head.one("twitter:image") == BASE + share.file.url
    assert (head.one("og:image:width"), head.one("og:image:height")) == ("1200", "630")
    assert head.one("og:image:alt") == "Le viaduc — Photo : Camille D."
    assert stored_image(head.one("og:image")).size == (1200, 630)
    feed = head.link("alternate", type="application/atom+xml")
    assert feed == BASE + reverse("gallery:feed", args=[contest.slug])


def test_it_names_the_english_locale_first_in_english(
    contest: Contest, approved: Callable[..., Entry]
) -> None:
    approved(seed=1)
    client = Client(headers={"accept-language": "en"})
    head = head_of(landing_url(contest), client)
    assert head.one("og:locale") == "en_GB"
    assert head.one("og:locale:alternate") == "fr_FR"


def test_it_never_serves_a_gallery_cached_for_another_host(
    contest: Contest, approved: Callable[..., Entry]
) -> None:
    approved(seed=1)
    first = Client().get(gallery_url(contest), HTTP_HOST="localhost:8000").content.decode()
    assert 'content="http://localhost:8000/concours/' in first  # now cached
    assert head_of(gallery_url(contest)).one("og:url") == BASE + gallery_url(contest)


def _mean_red(image: Image.Image) -> float:
    return ImageStat.Stat(image.convert("RGB")).mean[0]


def test_it_makes_a_collage_of_the_four_most_voted_photos_their_authors_allow_on_social_media(
    contest: Contest,
    approved: Callable[..., Entry],
    other_entrant: Participant,
) -> None:
    # Background reds of the test photos: 70, 140, 210 and 24 for seeds 1 to 4.
    entries = [approved(seed=seed, title=f"Photo {seed}") for seed in (1, 2, 3, 4)]
    no_social = approved(seed=5, title="Sans réseaux", participant=other_entrant)
    Enrollment.objects.filter(participant=other_entrant).update(allows_social=False)
    for votes, entry in zip((9, 7, 5, 3), entries, strict=True):
        Entry.objects.filter(pk=entry.pk).update(vote_count=votes)
    Entry.objects.filter(pk=no_social.pk).update(vote_count=50)

    head = head_of(landing_url(contest))
    url = head.one("og:image")
    assert url.startswith(BASE + "/media/renditions/campagne/couvertures-2027-")
    assert head.one("og:image:alt") == "Photos : Camille D."
    collage = stored_image(url)
    assert collage.format == "JPEG" and collage.size == (1200, 630)
    # Most voted top left, then top right, bottom left, bottom right.
    quadrants = [collage.crop(box) for box in _quadrant_boxes()]
    for quadrant, entry in zip(quadrants, entries, strict=True):
        share = entry.photo.renditions.get(spec="share", format="jpeg")
        with default_storage.open(share.file.name, "rb") as file:
            own = Image.open(file).convert("RGB").resize(quadrant.size)
        assert abs(_mean_red(quadrant) - _mean_red(own)) < 8, entry.title
        difference = ImageStat.Stat(ImageChops.difference(quadrant, own)).mean
        assert max(difference) < 30, entry.title

    # Asked again: the same file, made once.
    assert head_of(gallery_url(contest)).one("og:image") == url
    assert len(default_storage.listdir("renditions/campagne")[1]) == 1
    # Votes change the four: a new file under a new name, which no network has cached.
    fifth_author = ParticipantFactory(user=UserFactory(email="lea@example.org"), credit_name="Léa")
    EnrollmentFactory(contest=contest, participant=fifth_author)
    newcomer = approved(seed=6, participant=fifth_author)
    Entry.objects.filter(pk=newcomer.pk).update(vote_count=20)
    again = head_of(landing_url(contest))
    assert again.one("og:image") != url
    assert again.one("og:image:alt") == "Photos : Camille D., Léa"
    assert stored_image(again.one("og:image")).size == (1200, 630)


def _quadrant_boxes() -> list[tuple[int, int, int, int]]:
    # Inside each cell, clear of the gutters.
    return [
        (10, 10, 590, 305),
        (610, 10, 1190, 305),
        (10, 325, 590, 620),
        (610, 325, 1190, 620),
    ]


def test_it_shares_the_contest_title_on_the_brand_colour_before_any_photo(
    contest: Contest,
) -> None:
    Contest.objects.filter(pk=contest.pk).update(title_fr="Vos photos en couverture, été 2027")
    head = head_of(landing_url(contest))
    assert head.one("og:image:alt") == "Vos photos en couverture, été 2027"
    card = stored_image(head.one("og:image"))
    assert card.size == (1200, 630)
    corner = card.getpixel((5, 5))
    assert max(abs(a - b) for a, b in zip(corner, share_card.BRAND, strict=True)) < 6
    # The title is written in white in the middle.
    middle = card.crop((100, 150, 1100, 480)).convert("L")
    assert middle.getextrema()[1] > 240
    assert head.one("twitter:card") == "summary_large_image"

    Contest.objects.filter(pk=contest.pk).update(title_fr="Un autre titre")
    assert head_of(landing_url(contest)).one("og:image") != head.one("og:image")


def test_it_shares_a_branded_contest_on_its_operators_colours_and_name(contest: Contest) -> None:
    plain = head_of(landing_url(contest)).one("og:image")
    Contest.objects.filter(pk=contest.pk).update(
        brand_name="Réseau Mistral", brand_colour="#7a0019", brand_text_colour="#ffffff"
    )
    head = head_of(landing_url(contest))
    assert head.one("og:site_name") == "Réseau Mistral"
    assert head.one("og:image") != plain  # new colours: a new URL no network has cached
    card = stored_image(head.one("og:image"))
    corner = card.getpixel((5, 5))
    assert max(abs(a - b) for a, b in zip(corner, (0x7A, 0x00, 0x19), strict=True)) < 6
    # The operator's name signs the foot of the card, in the text colour.
    foot = card.crop((300, 630 - 80, 900, 630 - 20)).convert("L")
    assert foot.getextrema()[1] > 240


def test_it_leaves_out_the_image_when_the_title_cannot_be_written(
    contest: Contest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(share_card, "FONT_CANDIDATES", ("/nonexistent/DejaVuSans-Bold.ttf",))
    share_card.find_font.cache_clear()
    try:
        head = head_of(landing_url(contest))
    finally:
        share_card.find_font.cache_clear()
    assert "og:image" not in head.meta
    assert head.one("twitter:card") == "summary"
    assert head.one("og:url") == BASE + landing_url(contest)


def test_it_shows_the_pages_when_the_share_image_cannot_be_stored(
    contest: Contest, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> str:
        raise OSError("disk full")

    monkeypatch.setattr(FileSystemStorage, "save", broken)
    head = head_of(landing_url(contest))
    assert "og:image" not in head.meta
    assert head.texts["h1"] == contest.title


# --- the photo page ----------------------------------------------------------------------


def test_it_keeps_the_credit_in_every_description_of_a_photo(
    approved: Callable[..., Entry],
) -> None:
    entry = approved(
        seed=1, title="Le viaduc", caption="Un très long bus. " * 16
    )  # 288 of the 300 characters allowed
    url = reverse("gallery:photo", args=[entry.photo.public_id])
    head = head_of(url)
    for key in ("og:description", "twitter:description"):
        assert head.one(key).endswith("— Photo : Camille D."), key
    assert head.one("og:url") == BASE + url
    assert head.one("og:site_name") == "Coverline"
    assert head.one("og:locale") == "fr_FR"
    assert head.one("og:image").startswith(BASE + "/media/renditions/")


def test_it_builds_the_share_links_on_the_visitors_host(approved: Callable[..., Entry]) -> None:
    entry = approved(seed=1)
    url = reverse("gallery:share", args=[entry.photo.public_id, "facebook"])
    response = Client().get(url, HTTP_HOST=HOST)
    assert response.status_code == 302
    assert "u=http%3A%2F%2F127.0.0.1%3A8001%2Fphoto%2F" in response["Location"]
    assert "localhost:8000" not in response["Location"]


# --- share buttons, counted ------------------------------------------------------------


def _tap(entry: Entry, network: str, address: str = "198.51.100.7") -> Any:
    url = reverse("gallery:share", args=[entry.photo.public_id, network])
    return Client(REMOTE_ADDR=address).get(url)


def test_it_sends_each_share_button_to_its_network_with_the_photo_page_and_credit(
    approved: Callable[..., Entry],
) -> None:
    entry = approved(seed=1, title="Le viaduc")
    page_url = "http://testserver" + reverse("gallery:photo", args=[entry.photo.public_id])
    targets = {n: _tap(entry, n)["Location"] for n in ("facebook", "x", "whatsapp")}
    assert targets["facebook"].startswith("https://www.facebook.com/sharer/sharer.php?u=")
    assert targets["x"].startswith("https://twitter.com/intent/tweet?")
    assert targets["whatsapp"].startswith("https://wa.me/?")
    for network, target in targets.items():
        decoded = unquote_plus(target)
        assert page_url in decoded, network
    assert "Le viaduc" in unquote_plus(targets["whatsapp"])
    assert "Photo : Camille D." in unquote_plus(targets["x"])


def test_it_counts_a_share_once_per_visitor_network_and_day(
    approved: Callable[..., Entry],
) -> None:
    entry = approved(seed=1)
    for _ in range(3):  # a double tap and a reload
        assert _tap(entry, "facebook").status_code == 302
    _tap(entry, "whatsapp")
    _tap(entry, "facebook", address="203.0.113.9")
    counts = Counter(Share.objects.filter(entry=entry).values_list("network", flat=True))
    assert counts == {"facebook": 2, "whatsapp": 1}
    assert "noindex" in _tap(entry, "x")["X-Robots-Tag"]


def test_it_answers_404_to_a_share_of_an_unknown_network_or_a_withdrawn_photo(
    approved: Callable[..., Entry],
) -> None:
    entry = approved(seed=1)
    assert _tap(entry, "myspace").status_code == 404
    Entry.objects.filter(pk=entry.pk).update(withdrawn_at=timezone.now())
    assert _tap(entry, "facebook").status_code == 404
    assert not Share.objects.exists()


# --- descriptions for search engines -----------------------------------------------------


@pytest.mark.parametrize("name", ["contest:home", "contest:signin"])
def test_it_describes_the_home_and_sign_in_pages(name: str, contest: Contest) -> None:
    description = head_of(reverse(name)).one("description")
    assert len(description) > 50
    assert "concours photo" in description


# --- the Atom feed -----------------------------------------------------------------------


def test_it_puts_the_photo_and_its_caption_in_each_feed_entry_on_the_readers_host(
    contest: Contest, approved: Callable[..., Entry]
) -> None:
    entry = approved(seed=1, title="Le viaduc", caption="Le viaduc & la brume.")
    response = Client().get(reverse("gallery:feed", args=[contest.slug]), HTTP_HOST=HOST)
    feed = ET.fromstring(response.content)  # noqa: S314 - our own feed
    (item,) = feed.findall(f"{ATOM}entry")
    display = entry.photo.renditions.get(spec="display", format="jpeg")
    link = item.find(f"{ATOM}link[@rel='alternate']")
    assert link is not None
    assert link.get("href") == f"{BASE}/photo/{entry.photo.public_id}/"
    enclosure = item.find(f"{ATOM}link[@rel='enclosure']")
    assert enclosure is not None and enclosure.get("href") == BASE + display.file.url
    content = item.find(f"{ATOM}content")
    assert content is not None and content.get("type") == "html"
    parsed = _ContentImages()
    parsed.feed(content.text or "")
    assert parsed.images == [
        {
            "src": BASE + display.file.url,
            "width": str(display.width),
            "height": str(display.height),
            "alt": "Le viaduc & la brume.",
        }
    ]
    assert "<p>Le viaduc &amp; la brume.</p>" in (content.text or "")
    assert "Photo : Camille D." in (content.text or "")
    summary = item.findtext(f"{ATOM}summary")
    assert summary == "Le viaduc &amp; la brume. — Photo : Camille D."  # HTML, escaped
    assert "localhost:8000" not in response.content.decode()


class _ContentImages(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append({k: v or "" for k, v in attrs})


def test_it_gives_the_relay_feed_and_embed_addresses_on_the_managers_host(
    contest: Contest, persona_client: Callable[[str], Client]
) -> None:
    page = (
        persona_client("marketing")
        .get(reverse("gallery:relay", args=[contest.slug]), HTTP_HOST=HOST)
        .content.decode()
    )
    assert f'value="{BASE}/concours/couvertures-2027/flux.atom"' in page
    assert f"&lt;iframe src=&quot;{BASE}/concours/couvertures-2027/integrer/&quot;" in page
    assert f"&lt;script src=&quot;{BASE}/static/js/embed-host.js&quot; async&gt;" in page
    assert "localhost:8000" not in page
