"""A contest branded by its operator, as a visitor sees it on a phone and a desktop."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.urls import reverse
from PIL import Image
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from contest.admin import ContestAdminForm
from contest.models import Contest
from tests.browser.test_entry_flow import assert_accessible, assert_fits_the_screen
from tests.images import photo_bytes

pytestmark = pytest.mark.browser

WINE = "rgb(122, 0, 25)"


@pytest.fixture
def branded(contest: Contest) -> Contest:
    logo = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    logo.paste((255, 255, 255, 255), (20, 20, 580, 180))
    out = io.BytesIO()
    logo.save(out, "PNG")
    data = {k: v for k, v in model_to_dict(contest).items() if v is not None}
    data = {k: v for k, v in data.items() if k not in ("brand_logo", "brand_header")}
    data.update(brand_name="Réseau Mistral", brand_colour="#7a0019", brand_text_colour="#ffffff")
    form = ContestAdminForm(
        data=data,
        files={
            "brand_logo": SimpleUploadedFile("logo.png", out.getvalue()),
            "brand_header": SimpleUploadedFile("header.jpg", photo_bytes(2000, 700)),
        },
        instance=contest,
    )
    assert form.is_valid(), form.errors
    return form.save()


def test_a_visitor_sees_the_operators_brand_and_the_product_only_in_the_footer(
    page: Page, live_server: LiveServer, branded: Contest
) -> None:
    page.goto(live_server.url + reverse("gallery:landing", args=[branded.slug]))
    header = page.locator(".site-header")
    expect(header).to_have_css("background-color", WINE)
    logo = header.get_by_role("img", name="Réseau Mistral")
    expect(logo).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=logo.element_handle())
    expect(header).not_to_contain_text("Coverline")
    expect(page.locator(".site-footer")).to_contain_text("Coverline")
    assert page.title().endswith("· Réseau Mistral")
    # The buttons wear the brand too, and the header picture loads at the size of the screen.
    expect(page.locator("a.button.big")).to_have_css("background-color", WINE)
    picture = page.locator("img.brand-header")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=picture.element_handle()
    )
    width = page.evaluate("() => window.innerWidth")
    expected = "header-800" if width < 800 else "header-"
    assert expected in picture.evaluate("img => img.currentSrc")
    assert_fits_the_screen(page, "branded landing page")
    assert_accessible(page, "branded landing page")

    page.goto(live_server.url + reverse("gallery:gallery", args=[branded.slug]))
    expect(page.locator(".site-header")).to_have_css("background-color", WINE)
    assert_accessible(page, "branded gallery")

    page.goto(live_server.url + reverse("gallery:embed", args=[branded.slug]))
    expect(page.locator("a.button")).to_have_css("background-color", WINE)
    assert_fits_the_screen(page, "branded embed")
    assert_accessible(page, "branded embed")
