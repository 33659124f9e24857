""" "New contest from this one": a draft copy of the settings, with new dates, its own files.

The jury's and covers' parts of the copy are tested in tests/covers/test_cloning.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contest import cloning
from contest.cloning import CloneRefused, contest_clone
from contest.models import Contest, Theme
from tests.factories import ContestFactory, UserFactory
from tests.images import photo_bytes
from transit.models import Network

pytestmark = pytest.mark.django_db


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def last_year(db: None) -> Contest:
    contest: Contest = ContestFactory(
        slug="couvertures-2026",
        title="Couvertures 2026",
        status=Contest.Status.ARCHIVED,
        max_photos_per_participant=5,
        asks_social_use=False,
        network=Network.objects.create(name="Réseau Mistral", slug="mistral"),
        brand_name="Réseau Mistral",
        brand_colour="#7a1f5c",
        brand_header_width=1600,
        brand_header_height=400,
        excluded_domains="reseau.example",
        excluded_policy=Contest.ExcludedPolicy.GALLERY_ONLY,
        refused_originals_days=10,
        gallery_version=42,
    )
    contest.title_en = "Covers 2026"
    contest.pitch_en = "Your photos on the timetables."
    contest.rules_text_en = "Article 1. It is free."
    contest.prizes_fr = "Un abonnement annuel."
    contest.after_text_en = "Thank you!"
    contest.brand_logo.save("logo-aaa.png", ContentFile(photo_bytes(96, 48, fmt="PNG")), False)
    contest.brand_header.save("header-bbb.jpg", ContentFile(photo_bytes(160, 40)), False)
    contest.brand_header_small.save("header-800-ccc.jpg", ContentFile(photo_bytes(80, 20)), False)
    contest.archived_at = timezone.now()
    contest.save()
    Theme.objects.create(contest=contest, name_fr="Saisons", name_en="Seasons", position=2)
    Theme.objects.create(contest=contest, name_fr="Nuit", position=1)
    return contest


def _next_year(contest: Contest) -> dict[str, datetime]:
    return {
        "opens_at": contest.opens_at + timedelta(days=365),
        "closes_at": contest.closes_at + timedelta(days=365),
    }


def test_the_copy_is_a_draft_with_new_dates_and_every_setting(
    last_year: Contest, staff: object
) -> None:
    dates = _next_year(last_year)
    copy = contest_clone(source=last_year, slug="couvertures-2027", by=staff, **dates)  # type: ignore[arg-type]
    copy.refresh_from_db()

    assert copy.pk != last_year.pk
    assert (copy.slug, copy.status) == ("couvertures-2027", Contest.Status.DRAFT)
    assert (copy.opens_at, copy.closes_at) == (dates["opens_at"], dates["closes_at"])
    assert copy.gallery_version == 0 and copy.archived_at is None
    # Every other column is the source's: the texts in each language, uses asked, limits,
    # branding, network, staff exclusion, retention.
    for field in Contest._meta.concrete_fields:
        if field.name in cloning.NOT_COPIED or field.name in cloning.FILE_FIELDS:
            continue
        assert getattr(copy, field.attname) == getattr(last_year, field.attname), field.name
    assert (copy.title_en, copy.rules_text_en, copy.prizes_fr) == (
        "Covers 2026",
        "Article 1. It is free.",
        "Un abonnement annuel.",
    )
    assert copy.network_id == last_year.network_id
    themes = [(t.name_fr, t.name_en, t.position) for t in copy.themes.order_by("position")]
    assert themes == [("Nuit", "", 1), ("Saisons", "Seasons", 2)]
    assert Theme.objects.filter(contest=last_year).count() == 2


def test_the_copys_images_are_files_of_its_own(
    last_year: Contest, staff: object, tmp_path: Path
) -> None:
    copy = contest_clone(
        source=last_year,
        slug="couvertures-2027",
        by=staff,  # type: ignore[arg-type]
        **_next_year(last_year),
    )
    for name in cloning.FILE_FIELDS:
        theirs, ours = getattr(last_year, name), getattr(copy, name)
        assert ours.name and ours.name != theirs.name
        assert ours.name.startswith("branding/")
        assert default_storage.open(ours.name).read() == default_storage.open(theirs.name).read()

    logo = copy.brand_logo.name
    last_year.brand_logo.delete(save=True)
    assert not default_storage.exists(last_year.brand_logo.name or "logo-aaa.png")
    assert default_storage.exists(logo)
    copy.refresh_from_db()
    assert copy.brand_logo.name == logo


def test_it_refuses_a_taken_slug_or_dates_in_the_wrong_order(
    last_year: Contest, staff: object, tmp_path: Path
) -> None:
    before = _files(tmp_path)
    with pytest.raises(CloneRefused) as taken:
        contest_clone(
            source=last_year,
            slug="couvertures-2026",
            by=staff,  # type: ignore[arg-type]
            **_next_year(last_year),
        )
    assert taken.value.message == "Un autre concours a déjà cette adresse (slug)."
    dates = _next_year(last_year)
    with pytest.raises(CloneRefused) as backwards:
        contest_clone(
            source=last_year,
            slug="couvertures-2027",
            by=staff,  # type: ignore[arg-type]
            opens_at=dates["closes_at"],
            closes_at=dates["opens_at"],
        )
    assert backwards.value.message == "Les participations doivent fermer après leur ouverture."
    assert Contest.objects.count() == 1
    assert _files(tmp_path) == before


def test_a_failing_hook_leaves_neither_a_contest_nor_a_copied_file(
    last_year: Contest, staff: object, tmp_path: Path
) -> None:
    def broken(context: cloning.CloneContext) -> None:
        raise RuntimeError("storage down")

    before = _files(tmp_path)
    cloning.on_contest_cloned(broken)
    try:
        with pytest.raises(RuntimeError):
            contest_clone(
                source=last_year,
                slug="couvertures-2027",
                by=staff,  # type: ignore[arg-type]
                **_next_year(last_year),
            )
    finally:
        cloning._clone_hooks.remove(broken)
    assert list(Contest.objects.values_list("slug", flat=True)) == ["couvertures-2026"]
    assert _files(tmp_path) == before


# --- the admin --------------------------------------------------------------------------------


def _contest_editor() -> object:
    user = UserFactory(email="editrice@reseau.example", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="contest", codename="change_contest")
    )
    return user


@pytest.mark.parametrize("persona", ["anonymous", "entrant", "moderator", "juror", "marketing"])
def test_only_staff_who_may_change_contests_can_make_one_from_another(
    last_year: Contest, persona_client: object, persona: str
) -> None:
    url = reverse("admin:contest_contest_clone", args=[last_year.pk])
    client = persona_client(persona)  # type: ignore[operator]
    # What is tested is the permission, not the CSRF check (no form page to take it from).
    client.handler.enforce_csrf_checks = False
    data = {
        "slug": "prochaine-edition",
        "opens_at": "2027-03-01T08:00",
        "closes_at": "2027-04-30T20:00",
    }
    for answer in (client.get(url), client.post(url, data)):
        if persona in ("anonymous", "entrant"):
            # Not staff: the admin's sign-in page.
            assert answer.status_code == 302
            assert answer["Location"].startswith(reverse("admin:login"))
        else:
            assert answer.status_code == 403
    assert not Contest.objects.filter(slug="prochaine-edition").exists()


def test_an_editor_makes_next_years_contest_from_the_admin(last_year: Contest) -> None:
    editor = _contest_editor()
    client = Client()
    client.force_login(editor)  # type: ignore[arg-type]

    change = client.get(reverse("admin:contest_contest_change", args=[last_year.pk]))
    url = reverse("admin:contest_contest_clone", args=[last_year.pk])
    assert url in change.content.decode()
    assert "Nouveau concours à partir de celui-ci" in change.content.decode()

    form = client.get(url)
    assert form.status_code == 200
    # Proposed: the slug's year plus one, and the same dates a year later.
    assert form.context["form"].initial["slug"] == "couvertures-2027"
    assert form.context["form"].initial["opens_at"] == last_year.opens_at.replace(
        year=last_year.opens_at.year + 1
    )

    wrong = client.post(
        url, {"slug": "couvertures-2026", "opens_at": "2027-04-01T08:00", "closes_at": "x"}
    )
    assert wrong.status_code == 200
    assert "Un autre concours a déjà cette adresse (slug)." in wrong.content.decode()
    assert Contest.objects.count() == 1

    made = client.post(
        url,
        {
            "slug": "couvertures-2027",
            "opens_at": "2027-03-01T08:00",
            "closes_at": "2027-04-30T20:00",
        },
    )
    copy = Contest.objects.get(slug="couvertures-2027")
    assert made["Location"] == reverse("admin:contest_contest_change", args=[copy.pk])
    assert copy.status == Contest.Status.DRAFT
    local = timezone.localtime(copy.opens_at)
    assert (local.year, local.month, local.day, local.hour) == (2027, 3, 1, 8)
    log = LogEntry.objects.get(object_id=str(copy.pk), action_flag=ADDITION)
    assert log.user_id == editor.pk  # type: ignore[attr-defined]
    assert "couvertures-2026" in log.get_change_message()


def test_the_admin_action_leads_to_the_form_for_one_contest(last_year: Contest) -> None:
    client = Client()
    client.force_login(_contest_editor())  # type: ignore[arg-type]
    answer = client.post(
        reverse("admin:contest_contest_changelist"),
        {"action": "clone_selected", "_selected_action": [last_year.pk]},
    )
    assert answer["Location"] == reverse("admin:contest_contest_clone", args=[last_year.pk])
