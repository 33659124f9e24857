"""The moderator's keyboard triage in Chromium, at tablet and desktop sizes, with axe-core.

Driven by the keyboard only: after logging in by cookie and opening the page, every action
is a key press, as a moderator clearing a queue would do it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from contest.models import Contest, Entry, Participant
from moderation.models import ModerationEvent
from moderation.services import entry_match_duplicates
from photos.models import Photo
from tests.browser.conftest import PHONE
from tests.browser.test_entry_flow import assert_accessible, assert_fits_the_screen
from tests.factories import EnrollmentFactory, ParticipantFactory
from tests.transit.networks import line, nantes, stop

pytestmark = pytest.mark.browser

TABLET: dict[str, Any] = {
    "viewport": {"width": 1024, "height": 768},
    "has_touch": True,
    "locale": "fr-FR",
}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}, "locale": "fr-FR"}
TITLES = [
    "Le tram au lever du jour",
    "Bus de nuit",
    "Quai sous la neige",
    "Terminus des Lilas",
    "Passerelle de la gare",
    "Funiculaire en hiver",
]
NOTE = "Le cadrage coupe le tram en deux."


@pytest.fixture(params=[pytest.param(TABLET, id="tablet"), pytest.param(DESKTOP, id="desktop")])
def screen(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Moderators work on a tablet or a PC; the phone has its own test below."""
    return dict(request.param)


@pytest.fixture
def make_entry(ready_entry: Callable[..., Entry]) -> Callable[..., Entry]:
    """An entry whose photo went through the real pipeline, named after its title."""

    def make(*, title: str, participant: Participant, seed: int) -> Entry:
        return ready_entry(
            seed=seed, participant=participant, title=title, caption=f"Photo : {title}"
        )

    return make


@pytest.fixture
def queue(contest: Contest, make_entry: Callable[..., Entry]) -> list[Entry]:
    """Six photos waiting, oldest first, from two riders; the last looks like the first."""
    riders = []
    for name in ("Camille D.", "Noé L."):
        rider = ParticipantFactory(credit_name=name)
        EnrollmentFactory(contest=contest, participant=rider)
        riders.append(rider)
    seeds = [1, 2, 3, 4, 5, 1]
    entries = [
        make_entry(title=title, participant=riders[index % 2], seed=seeds[index])
        for index, title in enumerate(TITLES)
    ]
    assert entry_match_duplicates(entry_id=entries[-1].pk) == 1
    return entries


def log_in(context: BrowserContext, live_server: LiveServer, user: object) -> None:
    """The session cookie of a Django login, set in the browser."""
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    name = settings.SESSION_COOKIE_NAME
    context.add_cookies(
        [{"name": name, "value": client.cookies[name].value, "url": live_server.url}]
    )


def in_french(text: str) -> str:
    with translation.override("fr"):
        return translation.gettext(text)


def expect_entry(page: Page, entry: Entry) -> None:
    """The swap is done: the entry's fragment is in and live, and its title has the focus."""
    # A decision runs the duplicate search and queues mail: slow on a loaded CI machine.
    expect(page.locator("#triage")).to_have_attribute("data-entry", str(entry.pk), timeout=15_000)
    # triage.js drops keys until htmx has taken over the new buttons.
    expect(page.locator("#main")).not_to_have_attribute("aria-busy", "true")
    title = page.locator("#triage-title")
    expect(title).to_have_text(entry.title)
    expect(title).to_be_focused()


def mark_document(page: Page) -> None:
    page.evaluate("() => { window.coverlineSameDocument = true; }")


def assert_same_document(page: Page) -> None:
    assert page.evaluate("() => window.coverlineSameDocument === true"), "the page was reloaded"


def event_of(entry: Entry, action: str) -> ModerationEvent:
    return ModerationEvent.objects.filter(entry=entry, action=action).latest("created_at", "id")


def test_a_moderator_clears_the_queue_with_the_keyboard_alone(
    page: Page,
    context: BrowserContext,
    live_server: LiveServer,
    moderator: object,
    queue: list[Entry],
    settings: Any,
) -> None:
    # Room for a slow machine between the decision and the U, which is what is tested here.
    settings.MODERATION_UNDO_SECONDS = 60
    first, second, third, fourth, fifth, sixth = queue
    log_in(context, live_server, moderator)

    page.goto(live_server.url + reverse("moderation:queue"))
    expect(page.locator(".queue-item")).to_have_count(6)
    assert_accessible(page, "moderation queue")
    start = page.locator(".queue-actions a.button")
    start.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/moderation/trier/\?"))
    expect(page.locator("#triage")).to_have_attribute("data-entry", str(first.pk))
    expect(page.locator("#triage-title")).to_have_text(first.title)
    expect(page.locator(".triage-count")).to_contain_text("6")
    assert_accessible(page, "triage page")
    mark_document(page)

    # ? shows the shortcuts, Esc hides them again.
    help_button = page.locator('[data-key="?"]')
    page.keyboard.press("?")
    expect(page.locator("#keys")).to_be_visible()
    expect(help_button).to_have_attribute("aria-expanded", "true")
    # Letters only, none that reads as a digit: turning is T, not the O read as a zero.
    keys = page.locator("#keys kbd").all_inner_texts()
    assert "T" in keys
    assert not {"O", "0", "I", "l"} & set(keys), keys
    expect(page.locator("#keys")).to_contain_text(
        in_french("Turn the photo a quarter turn clockwise")
    )
    assert_accessible(page, "triage page with the shortcuts shown")
    page.keyboard.press("Escape")
    expect(page.locator("#keys")).to_be_hidden()
    expect(help_button).to_have_attribute("aria-expanded", "false")

    # F opens the original in a tab of its own; the triage page stays as it is.
    with context.expect_page() as opened:
        page.keyboard.press("f")
    original = opened.value
    original.wait_for_load_state()
    assert original.url.endswith(reverse("moderation:original", args=[first.photo.public_id]))
    original.close()
    expect(page.locator("#triage-title")).to_have_text(first.title)

    # A approves; the first looks like the sixth, so A asks first and Enter confirms.
    page.keyboard.press("a")
    expect(page.locator('[data-key="a-confirm"]')).to_be_focused()
    # triage.js drops keys until htmx has taken over the swapped-in confirmation.
    expect(page.locator("#main")).not_to_have_attribute("aria-busy", "true")
    page.keyboard.press("Enter")
    expect_entry(page, second)
    first.refresh_from_db()
    assert first.moderation == Entry.Moderation.APPROVED
    assert first.decided_by == moderator
    toast = page.locator("#toast")
    expect(toast).to_contain_text(first.title)
    expect(toast.locator('[data-key="u"]')).to_be_visible()
    assert_accessible(page, "triage page after a decision")

    # R then Esc cancels: the next digit decides nothing.
    page.keyboard.press("r")
    expect(page.locator("#triage .reasons")).to_have_class(re.compile(r"\bopen\b"))
    page.keyboard.press("Escape")
    expect(page.locator("#triage .reasons")).not_to_have_class(re.compile(r"\bopen\b"))
    page.keyboard.press("2")
    page.wait_for_timeout(300)  # time enough for a request that should not be made
    expect(page.locator("#triage")).to_have_attribute("data-entry", str(second.pk))
    second.refresh_from_db()
    assert second.moderation == Entry.Moderation.PENDING

    # R, 2 refuses with the second reason.
    page.keyboard.press("r")
    page.keyboard.press("2")
    expect_entry(page, third)
    second.refresh_from_db()
    assert second.moderation == Entry.Moderation.REFUSED
    assert second.refusal_code == Entry.Reason.LOW_QUALITY

    # R, 7 is "Other": the note field takes the focus, Enter sends.
    page.keyboard.press("r")
    page.keyboard.press("7")
    expect(page.locator("#refuse-note")).to_be_focused()
    page.keyboard.type(NOTE)
    page.keyboard.press("Enter")
    expect_entry(page, fourth)
    third.refresh_from_db()
    assert third.moderation == Entry.Moderation.REFUSED
    assert third.refusal_code == Entry.Reason.OTHER
    assert third.refusal_reason == NOTE
    refusal = event_of(third, ModerationEvent.Action.REFUSE)
    assert refusal.email == ModerationEvent.Email.PENDING

    # S skips, ← comes back; the skipped photo is still waiting.
    page.keyboard.press("s")
    expect_entry(page, fifth)
    page.keyboard.press("ArrowLeft")
    expect_entry(page, fourth)
    fourth.refresh_from_db()
    assert fourth.moderation == Entry.Moderation.PENDING

    # U takes back the last decision, even after moving on: the photo is waiting again and
    # its e-mail will not go.
    expect(toast.locator('[data-key="u"]')).to_be_visible()
    page.keyboard.press("u")
    expect_entry(page, third)
    third.refresh_from_db()
    assert third.moderation == Entry.Moderation.PENDING
    assert third.decided_by is None
    assert third.refusal_code == ""
    refusal.refresh_from_db()
    assert refusal.email == ModerationEvent.Email.CANCELLED
    assert event_of(third, ModerationEvent.Action.UNDO).actor == moderator
    expect(toast).to_contain_text(third.title)
    expect(toast.locator('[data-key="u"]')).to_have_count(0)
    assert_accessible(page, "triage page after an undo")

    # T turns the photo: it leaves the queue until its renditions are made again.
    page.keyboard.press("t")
    expect_entry(page, fourth)
    photo = Photo.objects.get(entry=third)
    assert photo.rotation == 90
    assert photo.status == Photo.Status.RECEIVED
    assert event_of(third, ModerationEvent.Action.ROTATE).actor == moderator

    # → skips too; then the rest is approved, down to an empty list.
    page.keyboard.press("ArrowRight")
    expect_entry(page, fifth)
    page.keyboard.press("ArrowLeft")
    expect_entry(page, fourth)
    # A pressed twice in a row decides once: the next photo is never approved unseen.
    page.keyboard.press("a")
    page.keyboard.press("a")
    expect_entry(page, fifth)
    page.wait_for_timeout(300)
    expect(page.locator("#triage")).to_have_attribute("data-entry", str(fifth.pk))
    fourth.refresh_from_db()
    fifth.refresh_from_db()
    assert (fourth.moderation, fifth.moderation) == ("approved", "pending")
    page.keyboard.press("a")
    expect_entry(page, sixth)
    expect(page.locator("#dup-title")).to_be_visible()  # the sixth looks like the first
    # A asks first on a possible duplicate; Enter approves anyway.
    page.keyboard.press("a")
    expect(page.locator('[data-key="a-confirm"]')).to_be_focused()
    # triage.js drops keys until htmx has taken over the swapped-in confirmation.
    expect(page.locator("#main")).not_to_have_attribute("aria-busy", "true")
    page.keyboard.press("Enter")
    done = page.locator("#triage-title")
    expect(done).to_have_text(in_french("Nothing left to moderate in this list."))
    expect(done).to_be_focused()
    assert_accessible(page, "triage page with nothing left")

    assert_same_document(page)
    assert list(
        Entry.objects.filter(pk__in=[e.pk for e in queue])
        .order_by("created_at", "id")
        .values_list("moderation", flat=True)
    ) == ["approved", "refused", "pending", "approved", "approved", "approved"]


@pytest.mark.parametrize("screen", [pytest.param(PHONE, id="phone")], indirect=True)
def test_the_triage_page_is_usable_on_a_phone(
    page: Page,
    context: BrowserContext,
    live_server: LiveServer,
    moderator: object,
    make_entry: Callable[..., Entry],
    entrant: Participant,
) -> None:
    entries = [
        make_entry(title=title, participant=entrant, seed=i) for i, title in enumerate(TITLES[:2])
    ]
    log_in(context, live_server, moderator)
    page.goto(live_server.url + reverse("moderation:triage_start"))
    expect(page.locator("#triage-title")).to_have_text(entries[0].title)
    actions = page.locator("#triage .actions")
    for key in ("a", "r-confirm", "t", "s"):
        button = actions.locator(f'[data-key="{key}"]')
        button.scroll_into_view_if_needed()
        expect(button).to_be_visible()
        box = button.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= PHONE["viewport"]["width"], key
        assert box["height"] >= 44, f"{key}: a touch target under 44 px"
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), (
        "the page scrolls sideways"
    )
    assert_accessible(page, "triage page on a phone")

    page.keyboard.press("a")
    expect_entry(page, entries[1])
    expect(page.locator('#toast [data-key="u"]')).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), (
        "the page scrolls sideways with the toast"
    )


# The size of the moderators' PCs named in issue 15: the decision buttons sit at the bottom.
LAPTOP: dict[str, Any] = {"viewport": {"width": 1366, "height": 768}, "locale": "fr-FR"}


@pytest.mark.parametrize(
    "screen",
    [pytest.param(PHONE, id="phone"), pytest.param(LAPTOP, id="laptop")],
    indirect=True,
)
def test_it_shows_a_possible_duplicate_before_a_moderator_can_approve_it(
    page: Page,
    context: BrowserContext,
    live_server: LiveServer,
    moderator: object,
    make_entry: Callable[..., Entry],
    entrant: Participant,
    other_entrant: Participant,
    screen: dict[str, Any],
) -> None:
    make_entry(title=TITLES[0], participant=entrant, seed=3)
    copy = make_entry(title=TITLES[1], participant=other_entrant, seed=3)
    assert entry_match_duplicates(entry_id=copy.pk) == 1
    log_in(context, live_server, moderator)
    page.goto(live_server.url + reverse("moderation:triage_entry", args=[copy.pk]))
    expect(page.locator("#triage-title")).to_have_text(copy.title)

    warning = page.locator(".dup-warning")
    approve = page.locator('#triage [data-key="a"]')
    expect(warning).to_contain_text(TITLES[0])
    expect(warning).to_contain_text("distance 0")
    warning_box, approve_box = warning.bounding_box(), approve.bounding_box()
    assert warning_box is not None and approve_box is not None
    # Read on the way down to the button, never below it.
    assert warning_box["y"] + warning_box["height"] <= approve_box["y"]
    if screen["viewport"] == LAPTOP["viewport"]:
        # Beside the photo: on screen as the page opens, without scrolling.
        assert warning_box["y"] + warning_box["height"] <= LAPTOP["viewport"]["height"]
        photo_box = page.locator(".triage-photo img").bounding_box()
        assert photo_box is not None
        assert warning_box["x"] >= photo_box["x"] + photo_box["width"]
    assert_accessible(page, "triage page of a possible duplicate")

    # A, then A again (a habit, a key repeat) approves nothing: it asks. The keys act through
    # htmx, loaded with `defer`: on a loaded machine it may not be there yet after the scan.
    page.wait_for_function("() => window.htmx !== undefined && document.readyState === 'complete'")
    page.keyboard.press("a")
    confirm = page.locator('[data-key="a-confirm"]')
    # The server answers with the question: slow on a loaded machine, as decisions are.
    expect(confirm).to_be_focused(timeout=15_000)
    expect(page.locator(".confirm-duplicate")).to_contain_text(
        in_french("This photo looks like another one (above). Approve it anyway?")
    )
    page.keyboard.press("a")
    page.wait_for_timeout(300)  # time enough for a request that should not be made
    copy.refresh_from_db()
    assert copy.moderation == Entry.Moderation.PENDING
    assert_accessible(page, "triage page asking to confirm a duplicate")

    # Esc takes the question back; A asks again and Enter approves.
    page.keyboard.press("Escape")
    expect(confirm).to_have_count(0)
    expect(approve).to_be_visible()
    # triage.js drops keys until htmx has settled the swap (aria-busy goes away then).
    expect(page.locator("#main")).not_to_have_attribute("aria-busy", "true")
    page.keyboard.press("a")
    expect(confirm).to_be_focused(timeout=15_000)
    page.keyboard.press("Enter")
    expect(page.locator("#toast")).to_contain_text(copy.title)
    copy.refresh_from_db()
    assert copy.moderation == Entry.Moderation.APPROVED
    assert copy.decided_by == moderator


@pytest.mark.parametrize("screen", [pytest.param(LAPTOP, id="laptop")], indirect=True)
def test_it_turns_to_the_next_photo_with_no_csp_refusal_after_an_extension_styled_the_fields(
    page: Page,
    context: BrowserContext,
    live_server: LiveServer,
    moderator: object,
    make_entry: Callable[..., Entry],
    entrant: Participant,
) -> None:
    entries = [
        make_entry(title=title, participant=entrant, seed=i) for i, title in enumerate(TITLES[:2])
    ]
    log_in(context, live_server, moderator)
    page.goto(live_server.url + reverse("moderation:triage_start"))
    expect(page.locator("#triage-title")).to_have_text(entries[0].title)
    # A password manager or form filler marks the fields through the CSSOM, which the CSP
    # allows; each field then carries a style attribute.
    page.evaluate(
        "() => document.querySelectorAll('input').forEach("
        "(field) => { field.style.backgroundColor = '#fffbe6'; })"
    )
    assert page.locator("#triage input[style]").count() > 0

    # The page fixture fails on the refusal htmx caused by copying those onto the new fields.
    page.keyboard.press("s")
    expect_entry(page, entries[1])
    page.wait_for_timeout(200)


@pytest.mark.parametrize(
    "screen",
    [pytest.param(PHONE, id="phone"), pytest.param(DESKTOP, id="desktop")],
    indirect=True,
)
def test_a_moderator_corrects_the_stop_with_the_keyboard_without_setting_off_a_shortcut(
    page: Page,
    context: BrowserContext,
    live_server: LiveServer,
    moderator: object,
    contest: Contest,
    make_entry: Callable[..., Entry],
    entrant: Participant,
) -> None:
    tan = nantes()
    Contest.objects.filter(pk=contest.pk).update(network=tan)
    entry = make_entry(title=TITLES[0], participant=entrant, seed=1)
    Entry.objects.filter(pk=entry.pk).update(line=line(tan, "1"), stop=stop(tan, "Commerce"))
    log_in(context, live_server, moderator)
    page.goto(live_server.url + reverse("moderation:triage_entry", args=[entry.pk]))
    expect(page.locator("#triage-title")).to_have_text(entry.title)
    place = page.locator("#triage .triage-place")
    expect(place.locator(".line-badge")).to_have_text("Ligne 1")
    expect(place).to_contain_text("Arrêt Commerce")
    assert_accessible(page, "triage page of a photo with its line and stop")
    mark_document(page)

    # L opens the form on the line's picker; Tab goes on to the stop's.
    page.keyboard.press("l")
    line_box = page.get_by_role("combobox", name="Ligne")
    expect(line_box).to_be_focused()
    expect(line_box).to_have_value(re.compile(r"^1 "))
    page.keyboard.press("Tab")
    stop_box = page.get_by_role("combobox", name="Arrêt")
    expect(stop_box).to_be_focused()
    expect(stop_box).to_have_value("Commerce")
    # Escape empties the field, and the focus stays in it.
    page.keyboard.press("Escape")
    expect(stop_box).to_have_value("")
    expect(stop_box).to_be_focused()
    # A, R, S and T are letters of the stop's name here, not decisions.
    page.keyboard.type("gare marit")
    options = page.locator("#id_stop-list").get_by_role("option")
    expect(options.first).to_have_text("Gare Maritime")
    page.keyboard.press("ArrowDown")
    expect(stop_box).to_have_attribute("aria-activedescendant", "id_stop-list-0")
    assert_accessible(page, "triage page with the stop suggestions open")
    assert_fits_the_screen(page, "triage page with the stop suggestions open")
    page.keyboard.press("Enter")
    expect(stop_box).to_have_value("Gare Maritime")
    entry.refresh_from_db()
    assert entry.moderation == Entry.Moderation.PENDING
    assert ModerationEvent.objects.filter(entry=entry).count() == 0

    page.keyboard.press("Enter")  # the list is shut: Enter saves
    expect_entry(page, entry)  # the same photo, its new place shown
    expect(page.locator("#toast")).to_contain_text(
        f"Ligne et arrêt de « {entry.title} » enregistrés."
    )
    expect(place).to_contain_text("Arrêt Gare Maritime")
    expect(page.locator("#triage .place-correct")).not_to_have_attribute("open", "")
    entry.refresh_from_db()
    assert (entry.line, entry.stop) == (line(tan, "1"), stop(tan, "Gare Maritime"))
    assert entry.moderation == Entry.Moderation.PENDING
    correction = event_of(entry, ModerationEvent.Action.PLACE)
    assert correction.actor == moderator
    assert correction.note == "1 · Commerce → 1 · Gare Maritime"
    expect(page.locator("#triage .log")).to_contain_text("Ligne et arrêt corrigés")
    assert_accessible(page, "triage page after the stop was corrected")
    assert_fits_the_screen(page, "triage page after the stop was corrected")

    # The keys work again once out of the fields: A approves the photo as it now is.
    page.keyboard.press("a")
    expect(page.locator("#triage-title")).to_have_text(
        in_french("Nothing left to moderate in this list.")
    )
    entry.refresh_from_db()
    assert entry.moderation == Entry.Moderation.APPROVED
    assert_same_document(page)
