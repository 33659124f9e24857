"""A contest's branding as staff set it in the admin: readable colours, light safe images."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse
from PIL import Image

from contest.admin import ContestAdminForm
from contest.models import Contest
from tests.images import SHARED_PHOTOS, gps_exif, photo_bytes

pytestmark = pytest.mark.django_db


def _form(
    contest: Contest, files: dict[str, Any] | None = None, **changes: Any
) -> ContestAdminForm:
    data = {k: v for k, v in model_to_dict(contest).items() if v is not None}
    data.update(opens_at=contest.opens_at, closes_at=contest.closes_at, **changes)
    data = {k: v for k, v in data.items() if k not in ("brand_logo", "brand_header")}
    return ContestAdminForm(data=data, files=files or {}, instance=contest)


def _opened(field: Any) -> Image.Image:
    field.open("rb")
    try:
        image = Image.open(io.BytesIO(field.read()))
        image.load()
        return image
    finally:
        field.close()


def test_it_refuses_two_colours_that_do_not_read_well_together(contest: Contest) -> None:
    form = _form(contest, brand_colour="#ffcc00", brand_text_colour="#ffffff")
    assert not form.is_valid()
    [error] = form.errors["brand_text_colour"]
    assert "1,5:1" in error and "4,5:1" in error  # says how far off it is, in French
    assert "difficiles à lire" in error


def test_it_stores_readable_colours_and_serves_them_as_a_stylesheet(
    client: Client, contest: Contest
) -> None:
    form = _form(contest, brand_colour="#E30613", brand_text_colour="fff")
    assert form.is_valid(), form.errors
    form.save()
    contest.refresh_from_db()
    assert (contest.brand_colour, contest.brand_text_colour) == ("#e30613", "#ffffff")

    url = reverse("contest:brand_css", args=[contest.slug])
    css = client.get(url, {"v": contest.brand_css_version})
    assert css["Content-Type"].startswith("text/css")
    assert "--brand: #e30613; --brand-ink: #ffffff;" in css.content.decode()
    assert "immutable" in css["Cache-Control"]
    # An old key (the colours changed since the page was cached) is not kept for a year.
    assert "immutable" not in client.get(url, {"v": "old"})["Cache-Control"]


def test_it_never_writes_anything_but_a_colour_into_the_stylesheet(
    client: Client, contest: Contest
) -> None:
    # Seven characters, as the column holds: enough to close the rule and open another.
    Contest.objects.filter(pk=contest.pk).update(brand_colour="};*{a:b")
    css = client.get(reverse("contest:brand_css", args=[contest.slug])).content.decode()
    assert "*{" not in css and "--brand: #0b5c8a;" in css


def test_it_makes_the_header_image_upright_light_and_free_of_metadata(contest: Contest) -> None:
    exif = gps_exif()
    exif[0x0112] = 6  # stored on its side: shown rotated a quarter turn
    header = SimpleUploadedFile("header.jpg", photo_bytes(2400, 1200, exif=exif))
    form = _form(contest, files={"brand_header": header})
    assert form.is_valid(), form.errors
    form.save()
    contest.refresh_from_db()
    large, small = _opened(contest.brand_header), _opened(contest.brand_header_small)
    # Upright it is 1200 x 2400: cut to 2:1 around its middle, then 1200 (never enlarged).
    assert large.size == (1200, 600)
    assert (contest.brand_header_width, contest.brand_header_height) == (1200, 600)
    assert small.size == (800, 400)
    for image in (large, small):
        assert image.format == "JPEG" and not image.getexif()
    assert contest.brand_header.name.startswith("branding/header-")


def test_it_keeps_a_logos_transparency_and_fits_it_in_the_header(contest: Contest) -> None:
    logo = Image.new("RGBA", (1200, 600), (0, 0, 0, 0))
    logo.paste((200, 0, 0, 255), (100, 100, 1100, 500))
    out = io.BytesIO()
    logo.save(out, "PNG")
    form = _form(contest, files={"brand_logo": SimpleUploadedFile("logo.png", out.getvalue())})
    assert form.is_valid(), form.errors
    form.save()
    contest.refresh_from_db()
    stored = _opened(contest.brand_logo)
    assert stored.format == "PNG" and stored.mode == "RGBA"
    assert stored.size == (192, 96)
    assert stored.getpixel((0, 0))[3] == 0  # the transparent corner stays transparent


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>', "SVG"),
        ("logo.png", b"not an image at all", "PNG, JPEG ou WebP"),
        ("logo.heic", (SHARED_PHOTOS / "heic_iphone11promax_gps.heic").read_bytes(), "WebP"),
    ],
)
def test_it_refuses_a_logo_it_cannot_safely_show(
    contest: Contest, name: str, data: bytes, message: str
) -> None:
    form = _form(contest, files={"brand_logo": SimpleUploadedFile(name, data)})
    assert not form.is_valid()
    assert message in form.errors["brand_logo"][0]
    contest.refresh_from_db()
    assert not contest.brand_logo


def test_it_never_rounds_a_failing_contrast_up_to_the_threshold(contest: Contest) -> None:
    form = _form(contest, brand_colour="#777777", brand_text_colour="#ffffff")  # 4.48:1
    assert not form.is_valid()
    assert "contraste de 4,4:1" in form.errors["brand_text_colour"][0]
    assert _form(contest, brand_colour="#767676", brand_text_colour="#ffffff").is_valid()


def test_it_keeps_links_readable_when_the_main_colour_is_too_light_for_text(
    client: Client, contest: Contest
) -> None:
    form = _form(contest, brand_colour="#ffcc00", brand_text_colour="#000000")  # black on yellow
    assert form.is_valid(), form.errors
    form.save()
    css = client.get(reverse("contest:brand_css", args=[contest.slug])).content.decode()
    # Yellow links on the light page would not read: the links take the black instead.
    assert "--brand: #ffcc00; --brand-ink: #000000; --brand-text: #000000;" in css


def test_it_links_the_stylesheet_only_on_a_branded_contests_pages(
    client: Client, contest: Contest
) -> None:
    landing = reverse("gallery:landing", args=[contest.slug])
    assert "marque.css" not in client.get(landing).content.decode()
    Contest.objects.filter(pk=contest.pk).update(
        brand_colour="#7a0019", brand_name="Réseau Mistral"
    )
    page = client.get(landing).content.decode()
    contest.refresh_from_db()
    assert f"marque.css?v={contest.brand_css_version}" in page
    assert "· Réseau Mistral</title>" in page
