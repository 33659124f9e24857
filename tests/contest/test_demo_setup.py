"""`make run`'s demo: every part of the product has something to show from the first page."""

from __future__ import annotations

import importlib
import io
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from contest.management.commands import demo_setup
from contest.models import Contest, Entry
from contest.selectors import entries_public
from gallery.models import Vote
from photos.models import Photo
from tests.conftest import GROUP_MIGRATIONS

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Runs the demo set-up as `PORT=8001 make run` does; returns what it printed."""
    # Its generated stand-ins rather than the 12-megapixel shared photos: four times faster.
    monkeypatch.setattr(demo_setup, "SHARED_PHOTOS", tmp_path / "none")
    # A live server test before this one may have emptied the tables the migrations filled.
    for migration in GROUP_MIGRATIONS:
        for name in importlib.import_module(migration).ROLES:
            Group.objects.get_or_create(name=name)
    out = io.StringIO()
    call_command("demo_setup", port=8001, stdout=out)
    return out.getvalue()


def test_it_shows_photos_with_votes_on_every_public_page_and_leaves_some_to_moderate(
    demo: str,
) -> None:
    contest = Contest.objects.get(slug="couvertures-2027")
    public = list(entries_public(contest_id=contest.pk).select_related("photo"))
    assert len(public) >= 4
    assert sum(entry.vote_count for entry in public) == Vote.objects.count() > 0
    visitor = Client()
    pages = [
        reverse("gallery:landing", args=[contest.slug]),
        reverse("gallery:gallery", args=[contest.slug]),
        reverse("gallery:feed", args=[contest.slug]),
        reverse("gallery:embed", args=[contest.slug]),
    ]
    for url in pages:
        response = visitor.get(url)
        assert response.status_code == 200, url
        assert public[0].title in response.content.decode(), url
    photo_page = visitor.get(reverse("gallery:photo", args=[public[0].photo.public_id]))
    assert photo_page.status_code == 200
    assert "/media/renditions/" in photo_page.content.decode()
    # ...and the moderation queue has prepared photos to triage.
    waiting = Entry.objects.filter(moderation=Entry.Moderation.PENDING)
    assert waiting.count() >= 2
    assert not waiting.exclude(photo__status=Photo.Status.READY).exists()


def test_it_prints_the_site_on_its_port_and_a_login_for_every_staff_role(demo: str) -> None:
    assert "http://127.0.0.1:8001/concours/couvertures-2027/" in demo
    assert "localhost:8000" not in demo
    for group in Group.objects.all():
        members = [user.get_username() for user in group.user_set.all()]
        assert any(
            f"user: {name} " in demo or f"({name}: sign-in link" in demo for name in members
        ), f"no login printed for {group.name}"


def test_it_changes_nothing_but_the_passwords_when_run_again(demo: str) -> None:
    before = list(Entry.objects.values_list("title", "moderation", "vote_count"))
    votes = Vote.objects.count()
    out = io.StringIO()
    call_command("demo_setup", port=8001, stdout=out)
    assert sorted(Entry.objects.values_list("title", "moderation", "vote_count")) == sorted(before)
    assert Vote.objects.count() == votes
    assert "user: moderation " in out.getvalue()


def test_it_tags_the_demo_photos_with_lines_and_stops_of_a_real_network(demo: str) -> None:
    contest = Contest.objects.get(slug="couvertures-2027")
    assert contest.network is not None
    assert contest.network.lines.count() == 75  # routes.txt of the Nantes feed
    tagged = Entry.objects.filter(contest=contest).exclude(line=None).exclude(stop=None)
    assert tagged.count() == Entry.objects.filter(contest=contest).count() > 0
    assert {entry.line.short_name for entry in tagged.select_related("line")} >= {"1", "2"}
