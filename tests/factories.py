"""factory_boy factories for the models the tests need."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from contest.models import Contest, Enrollment, Entry, Participant, Theme
from photos.models import Photo


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    email = factory.Sequence(lambda n: f"rider{n}@example.org")
    username = factory.SelfAttribute("email")


class ContestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contest
        # The contest's own texts are per language: the French column is the one that counts.
        rename = {
            name: f"{name}_fr"
            for name in ("title", "pitch", "rules_text", "prizes", "before_text", "after_text")
        }

    title = factory.Sequence(lambda n: f"Couvertures {n}")
    slug = factory.Sequence(lambda n: f"couvertures-{n}")
    pitch = "Vos photos du réseau en couverture des fiches horaires."
    rules_text = "Article 1. Le concours est gratuit."
    rules_version = "1"
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))
    status = Contest.Status.OPEN
    max_photos_per_participant = 3


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme
        rename = {"name": "name_fr"}

    contest = factory.SubFactory(ContestFactory)
    name = factory.Sequence(lambda n: f"Ambiance {n}")


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    user = factory.SubFactory(UserFactory)
    credit_name = factory.Sequence(lambda n: f"Camille {chr(65 + n % 26)}.")
    age_bracket = Participant.AgeBracket.ADULT
    email_verified_at = factory.LazyFunction(timezone.now)


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    contest = factory.SubFactory(ContestFactory)
    participant = factory.SubFactory(ParticipantFactory)
    rules_version = factory.SelfAttribute("contest.rules_version")
    accepted_at = factory.LazyFunction(timezone.now)
    ip_address = "192.0.2.10"
    allows_gallery = True
    allows_social = True
    allows_print = True


class PhotoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Photo

    original = factory.Sequence(lambda n: f"missing-{n}.jpg")
    original_name = "IMG_0001.JPG"
    original_format = "JPEG"
    original_bytes = 1000


class EntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Entry

    contest = factory.SubFactory(ContestFactory)
    participant = factory.SubFactory(ParticipantFactory)
    photo = factory.SubFactory(PhotoFactory)
    title = "Le tram au lever du jour"
    caption = "Un tramway blanc traverse un pont, le ciel est orange."
    sha256 = factory.Sequence(lambda n: f"{n:064x}")
