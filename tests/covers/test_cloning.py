""" "New contest from this one" across the stack: the covers' guides and the jury's criteria
go over (through the hooks they register); nothing anyone sent, judged or picked does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from contest.cloning import contest_clone
from contest.models import Contest, Enrollment, Entry, Participant
from covers.models import CoverSettings, Crop, Guide, Mockup, Pick
from jury.forms_chair import format_criteria
from jury.models import Ballot, Juror, JuryEvent, Panel, Round, RoundEntry, Task
from photos.services import originals_storage
from transit.models import Agency, Line, Network

pytestmark = pytest.mark.django_db

CRITERIA = [
    {"code": "lumiere", "label": "Lumière", "weight": 2.0},
    {"code": "cadrage", "label": "Cadrage", "weight": 1.0},
]


def _line(network: Network) -> Line:
    agency = Agency.objects.create(network=network, name="Mistral")
    return Line.objects.create(
        network=network,
        agency=agency,
        gtfs_id="L2",
        short_name="2",
        route_type=0,
        colour="#c8102e",
        text_colour="#ffffff",
    )


def test_the_copy_takes_the_guides_and_criteria_and_nothing_anyone_sent_or_decided(
    contest: Contest,
    chair: object,
    marketing_user: object,
    shortlist: Callable[..., list[Entry]],
    rider: Callable[..., Participant],
    guide: Guide,
) -> None:
    network = Network.objects.create(name="Réseau Mistral", slug="mistral")
    Contest.objects.filter(pk=contest.pk).update(network=network)
    contest.refresh_from_db()
    [entry] = shortlist([(rider("lea@example.org", "Léa M."), (2600, 1800))])
    # Last year's closed rating round judged with criteria; the chair's staff domain.
    Round.objects.create(
        contest=contest,
        number=2,
        kind=Round.Kind.RATING,
        deadline=timezone.now() + timedelta(days=1),
        criteria=CRITERIA,
        state=Round.State.CLOSED,
    )
    Panel.objects.create(contest=contest, staff_domain="reseau.example")
    # The guide's slot, lines, format and title zone; then what was decided on it.
    Guide.objects.filter(pk=guide.pk).update(
        lines="2, 12", period="Été 2026", needs=2, title_y_mm=20, band_colour="#123456"
    )
    guide.refresh_from_db()
    guide.transit_lines.set([_line(network)])
    Crop.objects.create(guide=guide, entry=entry, left=0, top=0, width=0.5, height=1)
    Pick.objects.create(guide=guide, entry=entry, picked_by=marketing_user)
    logo = originals_storage().save("covers/logos/1.png", ContentFile(b"\x89PNG logo"))
    CoverSettings.objects.create(
        contest=contest,
        logo=logo,
        logo_version=3,
        one_cover_per_participant=False,
        locked_at=timezone.now(),
        locked_by=marketing_user,
        published_at=timezone.now(),
    )

    copy = contest_clone(
        source=contest,
        slug="couvertures-2028",
        opens_at=contest.opens_at + timedelta(days=365),
        closes_at=contest.closes_at + timedelta(days=365),
        by=chair,  # type: ignore[arg-type]
    )

    # The guides, as slots: the same settings, no crop, mock-up or pick.
    [new_guide] = Guide.objects.filter(contest=copy)
    assert new_guide.pk != guide.pk
    for field in ("name", "line_label", "lines", "period", "format", "needs", "title_y_mm"):
        assert getattr(new_guide, field) == getattr(guide, field), field
    assert new_guide.band_colour == "#123456"
    assert list(new_guide.transit_lines.all()) == list(guide.transit_lines.all())
    assert not Crop.objects.filter(guide__contest=copy).exists()
    assert not Mockup.objects.filter(guide__contest=copy).exists()
    assert not Pick.objects.filter(guide__contest=copy).exists()
    # The cover settings, with a logo file of its own, neither locked nor published.
    settings = CoverSettings.objects.get(contest=copy)
    assert settings.logo and settings.logo != logo
    assert originals_storage().open(settings.logo).read() == b"\x89PNG logo"
    assert not settings.one_cover_per_participant
    assert (settings.locked_at, settings.locked_by, settings.published_at) == (None, None, None)
    # The jury's settings: the staff domain and last year's criteria, offered to the chair.
    panel = Panel.objects.get(contest=copy)
    assert (panel.staff_domain, panel.criteria) == ("reseau.example", CRITERIA)
    assert format_criteria(panel.criteria) == "Lumière | 2\nCadrage | 1"
    # Nothing anyone sent, judged or decided.
    assert not Entry.objects.filter(contest=copy).exists()
    assert not Enrollment.objects.filter(contest=copy).exists()
    assert not Round.objects.filter(contest=copy).exists()
    assert not RoundEntry.objects.filter(round__contest=copy).exists()
    assert not Task.objects.filter(round__contest=copy).exists()
    assert not Ballot.objects.filter(round__contest=copy).exists()
    assert not Juror.objects.filter(contest=copy).exists()
    assert not JuryEvent.objects.filter(contest=copy).exists()
    # Last year's are untouched.
    assert Pick.objects.filter(guide=guide).count() == 1
    assert Task.objects.filter(round__contest=contest).exists()


def test_the_chairs_round_form_starts_from_the_copied_criteria(
    contest: Contest, chair: object
) -> None:
    from django.test import Client
    from django.urls import reverse

    Panel.objects.create(contest=contest, criteria=CRITERIA)
    client = Client()
    client.force_login(chair)  # type: ignore[arg-type]
    page = client.get(reverse("jury:chair", args=[contest.slug]))
    assert page.status_code == 200
    assert page.context["round_form"].initial["criteria"] == "Lumière | 2\nCadrage | 1"
