"""A contest's own texts (title, pitch, rules, prizes, themes...) are entered per language."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from contest.models import Contest, Participant
from tests.factories import ContestFactory, ThemeFactory

pytestmark = pytest.mark.django_db

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}


@pytest.fixture
def bilingual() -> Contest:
    contest = ContestFactory(
        slug="fiches-2027",
        title="Vos photos en couverture",
        title_en="Your photos on the covers",
        pitch="Montrez-nous votre réseau.",
        pitch_en="Show us your network.",
        rules_text="Article 1. Le concours est gratuit.",  # no English rules: French shown
        prizes="Un abonnement annuel.",
        prizes_en="A year's pass.",
    )
    ThemeFactory(contest=contest, name="Saisons", name_en="Seasons", position=1)
    ThemeFactory(contest=contest, name="Du quotidien", position=2)  # no English name
    return contest


def test_it_reads_each_text_in_the_current_language_and_falls_back_to_french(
    bilingual: Contest,
) -> None:
    contest = Contest.objects.get(pk=bilingual.pk)
    with translation.override("en-gb"):  # a regional variant reads the English column
        assert contest.title == "Your photos on the covers"
        assert contest.rules_text == "Article 1. Le concours est gratuit."
        assert [str(theme) for theme in contest.themes.all()] == ["Seasons", "Du quotidien"]
    with translation.override("fr"):
        assert contest.title == "Vos photos en couverture"
        assert contest.prizes == "Un abonnement annuel."
    translation.deactivate_all()  # no language at all (a management command): French
    try:
        assert contest.title == "Vos photos en couverture"
    finally:
        translation.activate("fr")


def test_it_shows_the_english_texts_to_an_english_visitor(
    client: Client, bilingual: Contest, entrant: Participant
) -> None:
    landing = client.get(reverse("gallery:landing", args=[bilingual.slug]), **ENGLISH)
    assert landing.status_code == 200
    page = landing.content.decode()
    assert "Your photos on the covers" in page and "Show us your network." in page
    assert "Vos photos en couverture" not in page

    french = client.get(reverse("gallery:landing", args=[bilingual.slug])).content.decode()
    assert "Vos photos en couverture" in french and "Show us your network." not in french

    client.force_login(entrant.user)
    rules = client.get(reverse("contest:rules", args=[bilingual.slug]), **ENGLISH)
    assert rules.status_code == 200
    page = rules.content.decode()
    assert "Your photos on the covers" in page
    assert "Article 1. Le concours est gratuit." in page  # left empty in English: French


def test_it_offers_the_themes_in_the_visitors_language_on_the_upload_form(
    entrant_client: Client, entrant: object, contest: Contest
) -> None:
    theme = contest.themes.get(name_fr="Saisons")
    theme.name_en = "Seasons"
    theme.save(update_fields=["name_en"])
    page = entrant_client.get(
        reverse("contest:upload", args=[contest.slug]), **ENGLISH
    ).content.decode()
    assert "Seasons" in page and "Lumières de la ville" in page  # the other has no English name


def test_it_lets_staff_enter_each_text_per_language_in_the_admin(
    client: Client, staff: object, contest: Contest
) -> None:
    client.force_login(staff)  # type: ignore[arg-type]
    url = reverse("admin:contest_contest_change", args=[contest.pk])
    form = client.get(url).content.decode()
    for column in ("title_fr", "title_en", "rules_text_fr", "rules_text_en", "pitch_en"):
        assert f'name="{column}"' in form
    assert "[en]" in form  # each language's field is labelled with its code
