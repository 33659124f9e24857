"""Blind judging: nothing a juror's browser receives names the participant.

One entry comes from a participant with a credit name, an e-mail and a file name that
appear nowhere else, and its original carries them in EXIF too (Artist, Copyright,
ImageDescription), as cameras and phones write them. Every juror page, htmx fragment,
picture and error response is fetched, headers included, and none of these strings may
appear — nor the original's storage name, nor the photo's public id (its public page
shows the credit). The title and the caption are shown: that is intended.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.http import HttpResponseBase
from django.test import Client
from django.urls import reverse
from PIL import Image

from contest.models import Contest, Entry, Participant
from jury import services
from jury.models import Juror, Round, Task
from moderation.services import entry_decide
from photos.models import Photo
from photos.selectors import renditions_hash
from photos.services import originals_storage, photo_process
from tests.factories import (
    ContestFactory,
    EnrollmentFactory,
    EntryFactory,
    ParticipantFactory,
    UserFactory,
)
from tests.images import photo_bytes

pytestmark = pytest.mark.django_db

SLUG = "couvertures-2027"
HTMX = {"HTTP_HX_REQUEST": "true"}
CREDIT = "Zébulon-Quarks"
EMAIL = "zebulon.quarks@example.org"
FILE_NAME = "ZQ_secret_name.HEIC"
STORAGE_NAME = "zq-private-original-7f3a9c.jpg"
TITLE = "Le tram dans la brume"
CAPTION = "Un tram sort du brouillard au petit matin."


@pytest.fixture
def secret_entry(contest: Contest, moderator: object) -> Entry:
    """A public entry whose participant and file must never reach a juror."""
    participant: Participant = ParticipantFactory(
        user=UserFactory(email=EMAIL, username=EMAIL), credit_name=CREDIT
    )
    EnrollmentFactory(contest=contest, participant=participant)
    exif = Image.Exif()
    exif[0x013B] = CREDIT  # Artist
    exif[0x8298] = EMAIL  # Copyright
    exif[0x010E] = FILE_NAME  # ImageDescription
    data = photo_bytes(900, 600, seed=7, exif=exif)
    name = originals_storage().save(STORAGE_NAME, ContentFile(data))
    assert name == STORAGE_NAME
    photo = Photo.objects.create(
        original=name, original_name=FILE_NAME, original_format="JPEG", original_bytes=len(data)
    )
    entry = EntryFactory(
        contest=contest, participant=participant, photo=photo, title=TITLE, caption=CAPTION
    )
    photo_process(photo_id=photo.pk)
    entry.refresh_from_db()
    entry_decide(
        entry_id=entry.pk,
        version=entry.version,
        moderator=moderator,  # type: ignore[arg-type]
        approve=True,
        seen_renditions=renditions_hash(photo.renditions.all()),
    )
    return Entry.objects.select_related("photo").get(pk=entry.pk)


def forbidden(entry: Entry) -> list[str]:
    public_id = entry.photo.public_id
    words = [CREDIT, "bulon-Quarks", EMAIL, FILE_NAME, "ZQ_secret", STORAGE_NAME]
    variants = {v for w in words for v in (w, w.lower(), quote(w), html.escape(w))}
    return sorted(variants | {str(public_id), public_id.hex})


def received(response: HttpResponseBase) -> bytes:
    body = (
        b"".join(response.streaming_content)  # type: ignore[attr-defined]
        if response.streaming
        else response.content  # type: ignore[attr-defined]
    )
    headers = "\n".join(f"{k}: {v}" for k, v in response.items())
    return headers.encode() + b"\n\n" + body


def assert_blind(responses: Iterable[tuple[str, HttpResponseBase]], entry: Entry) -> None:
    words = forbidden(entry)
    for where, response in responses:
        data = received(response)
        for word in words:
            assert word.encode() not in data, f"{where} ({response.status_code}) shows {word!r}"


def juror_client(user: object) -> Client:
    client = Client()
    client.force_login(user, backend="sesame.backends.ModelBackend")  # type: ignore[arg-type]
    return client


def url(name: str, *args: object) -> str:
    return reverse(f"jury:{name}", args=[SLUG, *args])


def task_of(user: object, entry: Entry) -> Task:
    return Task.objects.get(juror__user=user, round_entry__entry=entry)


def test_no_juror_page_fragment_or_picture_names_the_participant(
    secret_entry: Entry,
    active_round: Callable[..., Round],
    juror: object,
    chair: object,
) -> None:
    round = active_round(kind=Round.Kind.YESNO, quorum=3, photos=2)
    secret = task_of(juror, secret_entry)
    other = Task.objects.filter(juror__user=juror).exclude(pk=secret.pk).first()
    assert other is not None
    client = juror_client(juror)
    seen: list[tuple[str, HttpResponseBase]] = []

    def get(where: str, path: str, **extra: object) -> HttpResponseBase:
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="fr", **extra)  # type: ignore[arg-type]
        seen.append((where, response))
        return response

    def post(where: str, path: str, data: dict[str, object], **extra: object) -> HttpResponseBase:
        response = client.post(path, data, HTTP_ACCEPT_LANGUAGE="fr", **extra)  # type: ignore[arg-type]
        seen.append((where, response))
        return response

    home = get("home", url("home"))
    assert TITLE in home.content.decode()  # type: ignore[attr-defined]
    get("judge", url("judge"))
    page = get("task page", url("task", secret.pk))
    text = page.content.decode()  # type: ignore[attr-defined]
    assert TITLE in text and CAPTION in text
    get("task fragment", url("task", secret.pk), **HTMX)
    get("compare picker", url("compare") + f"?a={secret.pk}")
    get("compare", url("compare") + f"?a={secret.pk}&b={other.pk}")
    get("compare, the other way", url("compare") + f"?a={other.pk}&b={secret.pk}")
    for spec in ("thumb", "display"):
        for fmt in ("webp", "jpeg"):
            picture = get(f"{spec}.{fmt}", url("image", secret.pk, spec, fmt))
            assert picture.status_code == 200
    full = get("full resolution", url("full", secret.pk))
    assert full.status_code == 200

    post("favourite", url("favourite", secret.pk), {}, **HTMX)
    post("note", url("note", secret.pk), {"text": "Belle brume."}, **HTMX)
    post("recusal without a reason", url("recuse", secret.pk), {"reason": ""}, **HTMX)
    post("vote without a value", url("vote", secret.pk), {"version": "x"}, **HTMX)
    post("vote", url("vote", other.pk), {"version": 0, "value": 1}, **HTMX)
    post("skip", url("skip", other.pk), {}, **HTMX)
    voted = post("vote (no JavaScript)", url("vote", secret.pk), {"version": 0, "value": 0})
    get("after the vote", voted["Location"])
    post("stale vote", url("vote", secret.pk), {"version": 0, "value": 1}, **HTMX)
    post("undo", url("undo"), {"current": secret.pk}, **HTMX)
    get("judge after undo", url("judge"))

    services.round_set_paused(round_id=round.pk, chair=chair, paused=True)  # type: ignore[arg-type]
    post("vote in a paused round", url("vote", secret.pk), {"version": 2, "value": 1}, **HTMX)
    get("task in a paused round", url("task", secret.pk))
    get("home in a paused round", url("home"))

    # Error responses.
    assert get("missing task", url("task", 999_999)).status_code == 404
    assert get("missing picture", url("image", secret.pk, "original", "jpeg")).status_code == 404
    assert get("bad compare", url("compare") + f"?a={secret.pk}&b=999999").status_code == 404
    assert get("missing full", url("full", 999_999)).status_code == 404
    elsewhere = ContestFactory(slug="autre-concours")
    assert get("another contest", reverse("jury:home", args=[elsewhere.slug])).status_code == 403

    assert_blind(seen, secret_entry)
    # The checks above can fail: the original the worker read does carry the names.
    with originals_storage().open(STORAGE_NAME, "rb") as original:
        assert b"bulon-Quarks" in original.read()


def test_the_ranking_pages_name_no_participant(
    secret_entry: Entry,
    active_round: Callable[..., Round],
    juror: object,
) -> None:
    active_round(kind=Round.Kind.RANKING, photos=2)
    mine = list(Task.objects.filter(juror__user=juror).values_list("round_entry_id", flat=True))
    client = juror_client(juror)
    seen = [
        ("ranking", client.get(url("ranking"))),
        ("ranking refused", client.post(url("ranking"), {f"rank-{mine[0]}": 1})),
        ("home", client.get(url("home"))),
    ]
    ranks = {f"rank-{pk}": n + 1 for n, pk in enumerate(mine)}
    saved = client.post(url("ranking"), ranks)
    seen += [("ranking saved", saved), ("ranking again", client.get(saved["Location"]))]
    secret = task_of(juror, secret_entry)
    seen.append(("thumb", client.get(url("image", secret.pk, "thumb", "webp"))))
    assert TITLE in seen[0][1].content.decode()  # type: ignore[attr-defined]
    assert_blind(seen, secret_entry)
    assert Juror.objects.get(user=juror).ballots.count() == 1
