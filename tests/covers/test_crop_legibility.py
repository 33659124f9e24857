"""The crop editor says how the title reads over the frame, beside its print resolution,
in the status region the page updates live (covers-legibility.js; agreement with this rule
is checked in tests/browser/test_covers.py)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image, ImageDraw

from contest.models import Contest, Entry, Participant
from covers import geometry, legibility, services
from covers.models import Crop, Guide

PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"


def title_test_photo(width: int, height: int, *, seed: int = 0) -> bytes:
    """A plain grey photo whose top right (from 35 % of the width, over the top 30 %) is
    a coarse black and white checkerboard: a title over it is busy, over the left is not."""
    image = Image.new("RGB", (width, height), (150, 160, 170))
    draw = ImageDraw.Draw(image)
    cell = 24
    for top in range(0, int(height * 0.3), cell):
        for left in range(int(width * 0.35), width, cell):
            if (left // cell + top // cell) % 2:
                draw.rectangle((left, top, left + cell - 1, top + cell - 1), fill=(0, 0, 0))
            else:
                draw.rectangle((left, top, left + cell - 1, top + cell - 1), fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def white_photo(width: int, height: int, *, seed: int = 0) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (250, 250, 250)).save(out, "JPEG", quality=95)
    return out.getvalue()


def status_of(html: str) -> str:
    found = re.search(r'<p id="crop-status"[^>]*>(.*?)</p>', html, re.S)
    assert found, "no status region"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def editor(client: Client, contest: Contest, guide: Guide, entry: Entry) -> str:
    url = reverse("covers:crop", args=[contest.slug, guide.pk, entry.pk])
    page = client.get(url)
    assert page.status_code == 200
    return page.content.decode()


def move_to(client: Client, contest: Contest, guide: Guide, entry: Entry, left: float) -> str:
    crop = Crop.objects.get(guide=guide, entry=entry)
    url = reverse("covers:crop", args=[contest.slug, guide.pk, entry.pk])
    answer = client.post(
        url,
        {"left": left, "top": crop.top, "width": crop.width, "height": crop.height, "step": ""},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 200
    return answer.content.decode()


@pytest.fixture
def staff_client(marketing_user: object) -> Client:
    client = Client()
    client.force_login(marketing_user, backend=PASSWORD_BACKEND)  # type: ignore[arg-type]
    return client


def test_it_says_how_the_title_reads_beside_the_ppi_in_a_polite_live_region(
    monkeypatch: pytest.MonkeyPatch,
    contest: Contest,
    entrant: Participant,
    guide: Guide,
    shortlist: Callable[..., list[Entry]],
    staff_client: Client,
) -> None:
    monkeypatch.setattr("tests.covers.conftest.photo_bytes", title_test_photo)
    (entry,) = shortlist([(entrant, (2600, 1800))])
    services.cover_prepare(guide_id=guide.pk, entry_id=entry.pk)

    plain = move_to(staff_client, contest, guide, entry, 0.0)
    assert 'role="status" aria-live="polite"' in plain
    assert status_of(plain).startswith("212 ppi")
    assert "Titre facile à lire." in status_of(plain)

    busy = move_to(staff_client, contest, guide, entry, 0.6)
    assert "Titre difficile à lire. Trop chargé sous le titre." in status_of(busy)
    assert 'class="legibility legibility-warning"' in busy
    # A full page shows the saved frame's verdict too (no JavaScript needed).
    assert "Trop chargé sous le titre." in status_of(editor(staff_client, contest, guide, entry))


def test_it_says_the_photo_is_too_close_to_the_title_colour(
    monkeypatch: pytest.MonkeyPatch,
    contest: Contest,
    entrant: Participant,
    guide: Guide,
    shortlist: Callable[..., list[Entry]],
    staff_client: Client,
) -> None:
    monkeypatch.setattr("tests.covers.conftest.photo_bytes", white_photo)
    guide.band_opacity = 0  # no band: white letters straight on a white photo
    guide.save()
    (entry,) = shortlist([(entrant, (2600, 1800))])
    services.cover_prepare(guide_id=guide.pk, entry_id=entry.pk)

    status = status_of(editor(staff_client, contest, guide, entry))
    assert "Titre illisible. Trop proche de la couleur du titre." in status


def test_it_hands_the_page_the_rule_of_the_python_module_and_the_cover_colours(
    contest: Contest,
    entrant: Participant,
    guide: Guide,
    shortlist: Callable[..., list[Entry]],
    staff_client: Client,
) -> None:
    (entry,) = shortlist([(entrant, (2600, 1800))])
    services.cover_prepare(guide_id=guide.pk, entry_id=entry.pk)
    html = editor(staff_client, contest, guide, entry)

    rule = [float(v) for v in legibility.page_rule().split()]
    assert rule == [
        legibility.CONTRAST_GOOD,
        legibility.CONTRAST_MIN,
        legibility.CONTRAST_PERCENTILE,
        legibility.EDGE_STEP,
        legibility.BUSY_SHARE,
        legibility.ANALYSIS_HEIGHT,
    ]
    assert f'data-legibility-rule="{legibility.page_rule()}"' in html
    # The guide's default colours: white on a navy band at 85 %.
    assert 'data-text-rgb="255 255 255" data-band-rgb="0 58 112" data-band-opacity="0.85"' in html
    assert 'data-title-zone="0.0 12.0 99.0 30.0 3.0 105.0"' in html


def test_it_draws_the_preview_band_where_the_printed_cover_has_it(
    contest: Contest,
    entrant: Participant,
    guide: Guide,
    shortlist: Callable[..., list[Entry]],
    staff_client: Client,
) -> None:
    (entry,) = shortlist([(entrant, (2600, 1800))])
    services.cover_prepare(guide_id=guide.pk, entry_id=entry.pk)
    html = move_to(staff_client, contest, guide, entry, 0.0)

    band = re.search(
        r'<rect class="cover-band" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" '
        r'height="([\d.]+)"',
        html,
    )
    frame = re.search(
        r'<rect class="crop-frame" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" '
        r'height="([\d.]+)"',
        html,
    )
    assert band and frame
    x, y, w, h = (float(v) for v in frame.groups())
    # DL: the zone (0, 12, 99, 30 mm of the trim) on a 105 x 216 mm cover with its bleed.
    fmt = geometry.PrintFormat(*geometry.PRESETS["DL"])
    zone = geometry.zone_box(geometry.Rect(0, 12, 99, 30), fmt, geometry.Box(x, y, w, h))
    assert [float(v) for v in band.groups()] == pytest.approx(
        [zone.left, zone.top, zone.width, zone.height], abs=0.02
    )
    assert h == pytest.approx(w / fmt.aspect, abs=0.1)
