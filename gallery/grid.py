"""The gallery grid's tiles as HTML, written in Python: a page shows 48 of them, and the
template engine's per-tile work (includes, variables, translation tags) was most of the
cost of a page rendered cold (bench/discover.py, ~12 ms of ~25). The markup is that of
gallery/fragment_picture.html and gallery/fragment_line_badge.html: keep them in step
(tests/gallery/test_grid.py compares them)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from gallery.selectors import Tile

__all__ = ["EAGER_TILES", "TILE_SIZES", "tiles_html"]

# The tile's real width from the grid's CSS (see gallery/fragment_picture.html).
TILE_SIZES = (
    "(min-width: 60rem) 10.5rem, (min-width: 46rem) 14.4rem,"
    " (min-width: 36rem) calc(33.4vw - 1rem), calc(50vw - 1.25rem)"
)
# The tiles of a first page above the fold on a phone: loaded at once, the first one first.
EAGER_TILES = 4


def _picture(tile: Tile, loading: str) -> str:
    if not tile.jpeg_url:
        return ""
    source = (
        f'<source type="image/webp" srcset="{escape(tile.webp_url)} {tile.webp_width}w"'
        f' sizes="{TILE_SIZES}">'
        if tile.webp_url
        else ""
    )
    jpeg = escape(tile.jpeg_url)
    return (
        f"<picture>\n  {source}\n"
        f'  <img src="{jpeg}" srcset="{jpeg} {tile.jpeg_width}w" sizes="{TILE_SIZES}"'
        f' width="{tile.jpeg_width}" height="{tile.jpeg_height}" alt="{escape(tile.caption)}"'
        f"{loading}>\n</picture>"
    )


def tiles_html(tiles: Sequence[Tile], *, paged: bool, shows_votes: bool) -> SafeString:
    """The grid's <li> tiles, every value escaped."""
    line_word = escape(gettext("Line"))
    parts = []
    for number, tile in enumerate(tiles, start=1):
        if paged or number > EAGER_TILES:
            loading = ' loading="lazy" decoding="async"'
        else:
            loading = ' fetchpriority="high"' if number == 1 else ""
        badge = (
            f'<span class="line-badge line-{tile.line_id}"><span class="visually-hidden">'
            f"{line_word} </span>{escape(tile.line_label)}</span>\n "
            if tile.line_id
            else ""
        )
        # As {% blocktranslate %} does: the value escaped, the translation trusted.
        credit = gettext("Photo: %(name)s") % {"name": escape(tile.credit_name)}
        if shows_votes and tile.vote_count:
            n = tile.vote_count
            votes = ngettext("%(n)s vote", "%(n)s votes", n) % {"n": n}
            credit += (
                f' · <span aria-hidden="true">♥ {n}</span>'
                f'<span class="visually-hidden">{votes}</span>'
            )
        parts.append(
            f'\n  <li class="tile">\n    <a href="{escape(tile.url)}">\n'
            f"      {_picture(tile, loading)}\n\n"
            f'      <span class="tile-title">{badge}{escape(tile.title)}</span>\n    </a>\n'
            f'    <span class="tile-credit">{credit}</span>\n  </li>\n'
        )
    return mark_safe("".join(parts))  # noqa: S308 -- every value above is escaped
