"""The covers from the jury's shortlist to the published results, through the services,
with real photos decoded by Pillow and real files in storage."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from contest.models import Contest, Entry, Participant
from covers import geometry, selectors, services
from covers.models import (
    CoverEvent,
    CoverSettings,
    CreditProof,
    Crop,
    Guide,
    Mockup,
    Pick,
    PrintPackage,
)
from covers.services import CoverError
from notifications.models import OutboxMessage
from photos.services import originals_storage
from tests.conftest import service_missing
from tests.mail import deliver_mail

pytestmark = pytest.mark.django_db

BIG = (2600, 1800)  # 212 ppi at best on DL: acceptable
SMALL = (900, 600)  # 71 ppi: not allowed on a cover


def test_it_suggests_a_crop_and_draws_the_mockup_once(
    shortlist: Callable[..., list[Entry]], entrant: Participant, guide: Guide
) -> None:
    [entry] = shortlist([(entrant, BIG)])
    first = services.cover_prepare(guide_id=guide.pk, entry_id=entry.pk)
    assert first is not None and first.state == Mockup.State.READY
    crop = Crop.objects.get(guide=guide, entry=entry)
    assert crop.suggested
    # The crop has the DL + bleed aspect in the photo's pixels.
    assert crop.width * BIG[0] / (crop.height * BIG[1]) == pytest.approx(105 / 216, rel=1e-3)
    with originals_storage().open(first.file) as fp, Image.open(fp) as im:
        assert im.format == "JPEG"
        assert im.width == 900 and abs(im.height - round(900 * 216 / 105)) <= 1
    again = services.cover_prepare(guide_id=guide.pk, entry_id=entry.pk)
    assert again is not None and again.pk == first.pk
    assert Mockup.objects.count() == 1


def test_it_waits_quietly_for_a_photo_whose_display_rendition_is_missing(
    shortlist: Callable[..., list[Entry]], entrant: Participant, guide: Guide
) -> None:
    [entry] = shortlist([(entrant, BIG)])
    entry.photo.renditions.filter(spec="display").delete()
    # No traceback at every sweep: nothing is made, and the job is done until the photo
    # worker has remade the rendition.
    assert services.cover_prepare(guide_id=guide.pk, entry_id=entry.pk) is None
    assert not Crop.objects.filter(entry=entry).exists()
    assert not Mockup.objects.filter(entry=entry).exists()


def test_it_sends_again_only_the_mockups_whose_job_was_lost(
    shortlist: Callable[..., list[Entry]], entrant: Participant, contest: Contest, guide: Guide
) -> None:
    [entry] = shortlist([(entrant, BIG)])
    assert services.covers_prepare(contest=contest) == 1  # nothing drawn yet
    mockup = services.cover_prepare(guide_id=guide.pk, entry_id=entry.pk)
    assert mockup is not None
    assert services.covers_prepare(contest=contest) == 0  # drawn
    # A job that vanished after its claim: pending, fresh, then too old.
    Mockup.objects.filter(pk=mockup.pk).update(state=Mockup.State.PENDING)
    assert services.covers_prepare(contest=contest) == 0
    old = timezone.now() - services.MOCKUP_STALE - timedelta(seconds=1)
    Mockup.objects.filter(pk=mockup.pk).update(updated_at=old)
    assert services.covers_prepare(contest=contest) == 1
    # Given up after three attempts: not sent again.
    Mockup.objects.filter(pk=mockup.pk).update(attempts=services.MOCKUP_MAX_ATTEMPTS)
    assert services.covers_prepare(contest=contest) == 0


def test_it_draws_a_new_mockup_when_the_crop_changes_and_audits_the_change(
    shortlist: Callable[..., list[Entry]], entrant: Participant, guide: Guide, chair: object
) -> None:
    [entry] = shortlist([(entrant, BIG)])
    old = services.cover_prepare(guide_id=guide.pk, entry_id=entry.pk)
    assert old is not None
    crop = services.crop_update(
        guide=guide,
        entry=entry,
        actor=chair,  # type: ignore[arg-type]
        box=geometry.FracBox(0.0, 0.0, 0.2, 0.5),
    )
    # Made valid: the DL aspect and the area asked for, its centre kept across, pushed
    # down inside the photo.
    assert crop.left + crop.width / 2 == pytest.approx(0.1)
    assert crop.top == pytest.approx(0.0)
    assert crop.width * crop.height == pytest.approx(0.2 * 0.5)
    assert crop.width * BIG[0] / (crop.height * BIG[1]) == pytest.approx(105 / 216, rel=1e-6)
    assert not crop.suggested and crop.changed_by == chair
    event = CoverEvent.objects.get(action=CoverEvent.Action.CROP)
    assert event.actor == chair and '"ppi"' in event.detail
    new = services.cover_prepare(guide_id=guide.pk, entry_id=entry.pk)
    assert new is not None and new.key != old.key and new.state == Mockup.State.READY
    assert not Mockup.objects.filter(pk=old.pk).exists()
    assert not originals_storage().exists(old.file)
    # A later suggestion run keeps the person's crop.
    kept = services.crop_suggest(guide=guide, entry=entry)
    assert kept.pk == crop.pk and not kept.suggested


def test_it_greys_out_candidates_that_may_not_be_printed_with_the_reason(
    shortlist: Callable[..., list[Entry]],
    rider: Callable[..., Participant],
    contest: Contest,
    guide: Guide,
) -> None:
    ok = rider("a@example.org", "Ana")
    no_print = rider("b@example.org", "Bea", allows_print=False)
    child = rider("c@example.org", "Cy")
    child.age_bracket = Participant.AgeBracket.UNDER_15
    child.save()
    small = rider("d@example.org", "Dan")
    shortlist([(ok, BIG), (no_print, BIG), (child, BIG), (small, SMALL)])
    rows = selectors.guide_candidates(contest=contest, guides=[guide])[guide.pk]
    reasons = {row.candidate.credit: row.reasons for row in rows}
    assert reasons["Ana"] == []
    assert reasons["Bea"] == ["Le participant n'a pas accepté la couverture imprimée."]
    assert reasons["Cy"] == ["Un parent n'a pas encore donné son accord."]
    assert len(reasons["Dan"]) == 1 and "71 ppi" in reasons["Dan"][0]
    by_credit = {row.candidate.credit: row for row in rows}
    assert by_credit["Ana"].readiness == geometry.Readiness.WARNING
    assert round(by_credit["Ana"].ppi or 0) == 212


def test_it_suggests_the_best_allocation_under_the_rules_and_keeps_hand_picks(
    shortlist: Callable[..., list[Entry]],
    rider: Callable[..., Participant],
    contest: Contest,
    guide: Guide,
    chair: object,
) -> None:
    """Ana has the two best photos; one cover per participant gives the second guide to
    Bea's photo, not to Ana's second one."""
    ana, bea = rider("a@example.org", "Ana"), rider("b@example.org", "Bea")
    best, second, third = shortlist([(ana, BIG), (ana, BIG), (bea, BIG)])
    other = Guide.objects.create(contest=contest, name="Ligne 5", format="A6")
    result = services.allocation_suggest(contest=contest, actor=chair)  # type: ignore[arg-type]
    assert result.filled == 2
    picked = {p.guide_id: p.entry_id for p in Pick.objects.all()}
    assert set(picked.values()) == {best.pk, third.pk}
    assert CoverEvent.objects.filter(action=CoverEvent.Action.SUGGEST).count() == 1

    # A hand pick is kept by the next suggestion, and the rest is re-dealt around it.
    services.pick_set(guide=other, slot=0, entry=best, actor=chair)  # type: ignore[arg-type]
    services.allocation_suggest(contest=contest, actor=chair)  # type: ignore[arg-type]
    picked = {p.guide_id: (p.entry_id, p.pinned) for p in Pick.objects.all()}
    assert picked[other.pk] == (best.pk, True)
    assert picked[guide.pk] == (third.pk, False)

    # Ana's second photo cannot go on a cover while she has one.
    with pytest.raises(CoverError, match="déjà une couverture"):
        services.pick_set(guide=guide, slot=0, entry=second, actor=chair)  # type: ignore[arg-type]


def test_it_refuses_to_lock_an_incomplete_allocation_then_locks_once(
    shortlist: Callable[..., list[Entry]],
    entrant: Participant,
    contest: Contest,
    guide: Guide,
    chair: object,
) -> None:
    [entry] = shortlist([(entrant, BIG)])
    with pytest.raises(CoverError, match="Ligne 2"):
        services.allocation_lock(contest=contest, actor=chair, base_url="http://testserver/")  # type: ignore[arg-type]
    services.pick_set(guide=guide, slot=0, entry=entry, actor=chair)  # type: ignore[arg-type]
    services.allocation_lock(contest=contest, actor=chair, base_url="http://testserver/")  # type: ignore[arg-type]
    with pytest.raises(CoverError, match="déjà verrouillée"):
        services.allocation_lock(contest=contest, actor=chair, base_url="http://testserver/")  # type: ignore[arg-type]
    # Nothing changes while it is locked.
    with pytest.raises(CoverError, match="verrouillée"):
        services.pick_remove(guide=guide, slot=0, actor=chair)  # type: ignore[arg-type]
    with pytest.raises(CoverError, match="verrouillée"):
        services.crop_update(
            guide=guide, entry=entry, actor=chair, box=geometry.FracBox(0, 0, 0.1, 0.1)
        )  # type: ignore[arg-type]
    # The winner got their proof, and the package was asked for.
    proof = CreditProof.objects.get(entry=entry)
    assert proof.credit_line == "Photo : Camille D." and proof.sent_at is not None
    message = OutboxMessage.objects.get(template="covers/email/proof")
    assert message.to == "camille@example.org"
    assert str(proof.token) in str(message.context["url"])
    assert PrintPackage.objects.filter(guide=guide).count() == 1


def test_it_attaches_the_winners_cover_to_their_proof_email(
    shortlist: Callable[..., list[Entry]],
    entrant: Participant,
    contest: Contest,
    guide: Guide,
    chair: object,
) -> None:
    [entry] = shortlist([(entrant, BIG)])
    mockup = services.cover_prepare(guide_id=guide.pk, entry_id=entry.pk)
    assert mockup is not None and mockup.state == Mockup.State.READY
    _lock(contest, guide, entry, chair)
    [sent] = [m for m in deliver_mail() if m.to == ["camille@example.org"]]
    [(filename, content, mimetype)] = sent.attachments  # type: ignore[misc]
    assert (filename, mimetype) == ("couverture-ligne-2.jpg", "image/jpeg")
    assert content == services.mockup_image(mockup=mockup)
    with Image.open(io.BytesIO(content)) as cover:
        assert cover.format == "JPEG" and cover.height > cover.width  # a portrait guide
    assert "Votre couverture est jointe à cet e-mail" in sent.body


def _lock(contest: Contest, guide: Guide, entry: Entry, chair: object) -> None:
    services.pick_set(guide=guide, slot=0, entry=entry, actor=chair)  # type: ignore[arg-type]
    services.allocation_lock(contest=contest, actor=chair, base_url="http://testserver/")  # type: ignore[arg-type]


CMYK_PROFILE = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")  # Debian libgs-common


def test_it_builds_a_print_package_a_designer_can_use(
    shortlist: Callable[..., list[Entry]],
    entrant: Participant,
    contest: Contest,
    guide: Guide,
    chair: object,
    settings: object,
) -> None:
    if not CMYK_PROFILE.exists():
        service_missing("a CMYK ICC profile (Debian libgs-common)")
    settings.COVERS_OUTPUT_ICC = str(CMYK_PROFILE)  # type: ignore[attr-defined]
    [entry] = shortlist([(entrant, BIG)])
    _lock(contest, guide, entry, chair)
    package = PrintPackage.objects.get(guide=guide)
    built = services.package_build(package_id=package.pk)
    assert built is not None and built.state == PrintPackage.State.READY and built.progress == 100
    with originals_storage().open(built.file) as fp:
        archive = zipfile.ZipFile(io.BytesIO(fp.read()))
    names = set(archive.namelist())
    folder = "01-photo-1/"
    for name in (
        "original.jpg",
        "couverture-300ppi-srgb.jpg",
        "recadrage.json",
        "credit.txt",
        "consentement.json",
        "maquette.png",
        "epreuve.pdf",
    ):
        assert folder + name in names
    assert "couvertures.csv" in names and "LISEZMOI.txt" in names
    with Image.open(io.BytesIO(archive.read(folder + "couverture-300ppi-srgb.jpg"))) as im:
        assert im.size == geometry.PrintFormat(99, 210).pixels_at(300)
        assert round(im.info["dpi"][0]) == 300 and im.info.get("icc_profile")
    with Image.open(io.BytesIO(archive.read(folder + "couverture-300ppi-cmjn.jpg"))) as im:
        assert im.mode == "CMYK" and im.info.get("icc_profile") == CMYK_PROFILE.read_bytes()
    # The original's pixels untouched (not re-encoded).
    sent = io.BytesIO(archive.read(folder + "original.jpg"))
    with originals_storage().open(entry.photo.original) as fp, Image.open(fp) as stored:
        assert Image.open(sent).tobytes() == stored.tobytes()
    consent = json.loads(archive.read(folder + "consentement.json"))
    assert consent["uses_allowed"]["printed_cover"] is True
    assert archive.read(folder + "credit.txt").decode().strip() == "Photo : Camille D."
    assert archive.read(folder + "epreuve.pdf").startswith(b"%PDF")
    # A repeated job does nothing.
    again = services.package_build(package_id=package.pk)
    assert again is not None and again.file == built.file


def test_the_winner_confirms_or_corrects_the_credit_and_the_chair_sees_it(
    shortlist: Callable[..., list[Entry]],
    entrant: Participant,
    contest: Contest,
    guide: Guide,
    chair: object,
    client: object,
) -> None:
    [entry] = shortlist([(entrant, BIG)])
    _lock(contest, guide, entry, chair)
    proof = CreditProof.objects.get(entry=entry)
    url = reverse("covers:proof", args=[proof.token])
    page = client.get(url)  # type: ignore[attr-defined]
    assert page.status_code == 200 and "Ligne 2" in page.content.decode()
    answer = client.post(url, {"credit_line": "  Photo : Camille Dupont "})  # type: ignore[attr-defined]
    assert answer.status_code == 302
    proof.refresh_from_db()
    assert proof.credit_line == "Photo : Camille Dupont" and proof.corrected and proof.confirmed_at
    assert CoverEvent.objects.filter(action=CoverEvent.Action.CONFIRM).exists()
    empty = client.post(url, {"credit_line": "   "})  # type: ignore[attr-defined]
    assert empty.status_code == 400


def test_publishing_fills_the_winners_page_and_tells_the_others(
    shortlist: Callable[..., list[Entry]],
    entrant: Participant,
    other_entrant: Participant,
    contest: Contest,
    guide: Guide,
    chair: object,
    client: object,
) -> None:
    winner, _other = shortlist([(entrant, BIG), (other_entrant, BIG)])
    services.cover_prepare(guide_id=guide.pk, entry_id=winner.pk)
    winners_url = reverse("covers:winners", args=[contest.slug])
    assert client.get(winners_url).status_code == 404  # type: ignore[attr-defined]
    with pytest.raises(CoverError, match="Verrouillez"):
        services.results_publish(contest=contest, actor=chair, base_url="http://testserver/")  # type: ignore[arg-type]
    _lock(contest, guide, winner, chair)
    services.results_publish(contest=contest, actor=chair, base_url="http://testserver/")  # type: ignore[arg-type]
    contest.refresh_from_db()
    assert contest.status == Contest.Status.RESULTS
    assert CoverSettings.objects.get(contest=contest).published_at is not None
    page = client.get(winners_url)  # type: ignore[attr-defined]
    text = page.content.decode()
    assert page.status_code == 200 and "Photo 1" in text and "Ligne 2" in text
    assert "Photo 2" not in text
    results = OutboxMessage.objects.filter(template="covers/email/results")
    assert [m.to for m in results] == ["noe@example.org"]
    with pytest.raises(CoverError, match="déjà publiés"):
        services.results_publish(contest=contest, actor=chair, base_url="http://testserver/")  # type: ignore[arg-type]


def test_it_tells_a_rider_whose_photo_is_too_small_for_any_cover(
    contest: Contest, guide: Guide
) -> None:
    advice = services.upload_print_advice(contest.pk, (1200, 900))
    assert advice is not None and "Ligne 2" in advice and "200" in advice
    assert services.upload_print_advice(contest.pk, (4000, 3000)) is None
