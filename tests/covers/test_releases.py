"""A photo a moderator marked "identifiable person" is no cover until the person's release
is confirmed; the release record goes into the print package."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contest.models import Contest, Entry, Participant, Release
from covers import selectors, services
from covers.models import Guide, Pick, PrintPackage
from covers.services import CoverError
from moderation.services import entry_mark_identifiable
from photos.services import originals_storage

pytestmark = pytest.mark.django_db

BIG = (2600, 1800)
MISSING = "Autorisation manquante : la personne reconnaissable n'a pas encore confirmé."


def _mark(entry: Entry, moderator: object) -> None:
    entry_mark_identifiable(entry_id=entry.pk, moderator=moderator, identifiable=True)  # type: ignore[arg-type]


def _confirm(entry: Entry, *, minor: bool = False) -> None:
    """The person answered (the page and its link are tested in tests/contest)."""
    Release.objects.filter(entry=entry).update(
        state=Release.State.CONFIRMED,
        depicted_name="Léo Petit" if minor else "Jeanne Martin",
        depicted_email="" if minor else "jeanne@example.net",
        age_bracket=Participant.AgeBracket.UNDER_15 if minor else Participant.AgeBracket.ADULT,
        parent_name="Anne Petit" if minor else "",
        parent_email="anne.petit@example.net" if minor else "",
        uses="gallery,print",
        link_version=1,
        asked_at=timezone.now(),
        answered_at=timezone.now(),
    )


def _reasons(contest: Contest, guide: Guide) -> dict[str, list[str]]:
    rows = selectors.guide_candidates(contest=contest, guides=[guide])[guide.pk]
    return {row.entry.title: row.reasons for row in rows}


def test_a_marked_photo_is_not_eligible_until_its_release_is_confirmed(
    shortlist: Callable[..., list[Entry]],
    rider: Callable[..., Participant],
    contest: Contest,
    guide: Guide,
    moderator: object,
    chair: object,
) -> None:
    [marked, other] = shortlist(
        [(rider("a@example.org", "Ana"), BIG), (rider("b@e.org", "Bo"), BIG)]
    )
    _mark(marked, moderator)
    assert _reasons(contest, guide) == {"Photo 1": [MISSING], "Photo 2": []}
    # Neither by hand nor by the suggestion, though it is the jury's best.
    with pytest.raises(CoverError, match="Autorisation manquante"):
        services.pick_set(guide=guide, slot=0, entry=marked, actor=chair)  # type: ignore[arg-type]
    services.allocation_suggest(contest=contest, actor=chair)  # type: ignore[arg-type]
    assert list(Pick.objects.values_list("entry_id", flat=True)) == [other.pk]

    Release.objects.filter(entry=marked).update(state=Release.State.ASKED)
    assert _reasons(contest, guide)["Photo 1"] == [MISSING]
    Release.objects.filter(entry=marked).update(state=Release.State.REFUSED)
    assert _reasons(contest, guide)["Photo 1"] == [MISSING]
    _confirm(marked)
    assert _reasons(contest, guide) == {"Photo 1": [], "Photo 2": []}
    services.allocation_suggest(contest=contest, actor=chair)  # type: ignore[arg-type]
    assert list(Pick.objects.values_list("entry_id", flat=True)) == [marked.pk]


def test_the_staff_see_the_reason_on_the_candidates_page(
    shortlist: Callable[..., list[Entry]],
    entrant: Participant,
    contest: Contest,
    guide: Guide,
    moderator: object,
    marketing_user: object,
) -> None:
    [entry] = shortlist([(entrant, BIG)])
    _mark(entry, moderator)
    client = Client()
    client.force_login(marketing_user)  # type: ignore[arg-type]
    page = client.get(reverse("covers:candidates", args=[contest.slug, guide.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Autorisation manquante" in text and "ineligible" in text
    assert "Choisir pour cette couverture" not in text


def test_the_print_package_holds_the_release_record_without_any_address(
    shortlist: Callable[..., list[Entry]],
    entrant: Participant,
    contest: Contest,
    guide: Guide,
    moderator: object,
    chair: object,
) -> None:
    [entry] = shortlist([(entrant, BIG)])
    _mark(entry, moderator)
    _confirm(entry, minor=True)
    services.pick_set(guide=guide, slot=0, entry=entry, actor=chair)  # type: ignore[arg-type]
    services.allocation_lock(contest=contest, actor=chair, base_url="http://testserver/")  # type: ignore[arg-type]
    package = PrintPackage.objects.get(guide=guide)
    built = services.package_build(package_id=package.pk)
    assert built is not None and built.state == PrintPackage.State.READY
    with originals_storage().open(built.file) as fp:
        archive = zipfile.ZipFile(io.BytesIO(fp.read()))
    raw = archive.read("01-photo-1/autorisation-personne.json").decode()
    record = json.loads(raw)
    assert record["state"] == "confirmed" and record["entry"] == "Photo 1"
    assert (record["person"], record["minor"], record["parent"]) == (
        "Léo Petit",
        True,
        "Anne Petit",
    )
    assert record["confirmed_by"] == "parent"
    assert record["uses_shown"] == ["gallery", "print"]
    assert record["asked_at"] and record["answered_at"]
    assert "@" not in raw and "192.0.2" not in raw and "ip" not in record
    assert "autorisation-personne.json" in archive.read("LISEZMOI.txt").decode()


def test_an_unmarked_photo_has_no_release_file(
    shortlist: Callable[..., list[Entry]],
    entrant: Participant,
    contest: Contest,
    guide: Guide,
    chair: object,
) -> None:
    [entry] = shortlist([(entrant, BIG)])
    services.pick_set(guide=guide, slot=0, entry=entry, actor=chair)  # type: ignore[arg-type]
    services.allocation_lock(contest=contest, actor=chair, base_url="http://testserver/")  # type: ignore[arg-type]
    built = services.package_build(package_id=PrintPackage.objects.get(guide=guide).pk)
    assert built is not None
    with originals_storage().open(built.file) as fp:
        names = zipfile.ZipFile(io.BytesIO(fp.read())).namelist()
    assert "01-photo-1/consentement.json" in names
    assert not [name for name in names if "autorisation-personne" in name]


def test_a_photo_marked_after_the_lock_is_not_printed_without_its_release(
    shortlist: Callable[..., list[Entry]],
    entrant: Participant,
    contest: Contest,
    guide: Guide,
    moderator: object,
    chair: object,
) -> None:
    [entry] = shortlist([(entrant, BIG)])
    services.pick_set(guide=guide, slot=0, entry=entry, actor=chair)  # type: ignore[arg-type]
    services.allocation_lock(contest=contest, actor=chair, base_url="http://testserver/")  # type: ignore[arg-type]
    _mark(entry, moderator)
    # A new package is asked for (its content changed) and fails with the reason.
    package = services.package_request(guide=guide, actor=chair)  # type: ignore[arg-type]
    failed = services.package_build(package_id=package.pk)
    assert failed is not None and failed.state == PrintPackage.State.FAILED
    assert "release missing" in failed.error
    _confirm(entry)
    package = services.package_request(guide=guide, actor=chair)  # type: ignore[arg-type]
    built = services.package_build(package_id=package.pk)
    assert built is not None and built.state == PrintPackage.State.READY
