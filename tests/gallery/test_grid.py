"""The gallery grid's tiles, written in Python (gallery.grid) for speed, show what the
templates they replace showed: the same links, pictures, alt texts, srcsets, line badges,
credits and votes, escaped the same way."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.template import engines
from django.test import Client
from django.urls import reverse

from contest.models import Contest, Entry, Participant
from gallery import grid, selectors
from photos.selectors import renditions_by_spec
from tests.networks import line, nantes_network

pytestmark = pytest.mark.django_db

# The grid's loop as it was written with the tile's templates, which other pages still use.
TEMPLATE_TILES = (Path(__file__).parent / "grid_tiles_templates.html").read_text()


@pytest.fixture
def six(contest: Contest, approved: Callable[..., Entry], entrant: Participant) -> list[Entry]:
    """Six photos: awkward characters in every text, one on a line, votes on some."""
    entrant.credit_name = 'Zoé <b>"Z"</b> & co'
    entrant.save(update_fields=["credit_name"])
    tram = line(nantes_network(contest=contest), "1")
    entries = [
        approved(
            seed=i,
            title=f"Quai n°{i} <i>&amp;</i>",
            caption=f'Le "{i}" & <script>x</script>',
            line=tram if i == 2 else None,
        )
        for i in range(6)
    ]
    for votes, entry in enumerate(entries):
        Entry.objects.filter(pk=entry.pk).update(vote_count=votes)
    return entries


@pytest.mark.parametrize("paged", [False, True])
@pytest.mark.parametrize("shows_votes", [False, True])
def test_the_tiles_are_those_the_templates_wrote(
    contest: Contest, six: list[Entry], paged: bool, shows_votes: bool
) -> None:
    page = selectors.gallery_page(contest_id=contest.pk, grid=True)
    full = selectors.gallery_page(contest_id=contest.pk)  # every relation, as before
    expected = (
        engines["django"]
        .from_string(TEMPLATE_TILES)
        .render(
            {
                "items": [(e, renditions_by_spec(e.photo)) for e in full.entries],
                "paged": paged,
                "shows_votes": shows_votes,
            }
        )
    )
    tiles = selectors.gallery_tiles(page.entries)
    assert grid.tiles_html(tiles, paged=paged, shows_votes=shows_votes) == expected
    assert len(tiles) == 6


def test_a_tile_links_to_its_photo_with_its_thumb_and_its_caption_as_alt_text(
    contest: Contest, six: list[Entry]
) -> None:
    html = Client().get(reverse("gallery:gallery", args=[contest.slug])).content.decode()
    entry = six[2]
    link = reverse("gallery:photo", args=[entry.photo.public_id])
    thumb = renditions_by_spec(entry.photo)["thumb"]
    tile = re.search(rf'<a href="{link}">(.*?)</a>', html, re.S)
    assert tile
    assert 'alt="Le &quot;2&quot; &amp; &lt;script&gt;x&lt;/script&gt;"' in tile.group(1)
    assert f'srcset="{thumb["webp"].file.url} {thumb["webp"].width}w"' in tile.group(1)
    assert f'srcset="{thumb["jpeg"].file.url} {thumb["jpeg"].width}w"' in tile.group(1)
    assert "display" not in tile.group(1)  # never the 1600 px rendition in a tile
    assert "Ligne </span>1</span>" in tile.group(1)  # the line's badge, in French
    assert "Quai n°2 &lt;i&gt;&amp;amp;&lt;/i&gt;" in tile.group(1)
    assert "Photo : Zoé &lt;b&gt;&quot;Z&quot;&lt;/b&gt; &amp; co" in html
