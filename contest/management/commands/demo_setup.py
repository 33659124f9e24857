"""Creates the demo contest with a few riders' photos and a staff login (for `make run`)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils import timezone
from sesame.utils import get_query_string

from contest import services
from contest.models import Contest, Entry, Participant, Theme
from photos import imaging
from photos.services import upload_policy

SHARED_PHOTOS = settings.BASE_DIR.parent / "shared" / "data" / "photos"
RULES = """Article 1 – Le réseau organise un concours photo gratuit, ouvert à toute personne.
Article 2 – Chaque participant envoie au plus trois photos prises sur le réseau.
Article 3 – Les photos retenues illustreront les couvertures des fiches horaires 2027.
Article 4 – Le participant garantit être l'auteur de la photo et avoir l'accord des personnes
reconnaissables.
Article 5 – Les données personnelles servent uniquement au concours (RGPD)."""

# (file, title, caption, theme index, rider index); licences: shared/data/photos/SOURCES.md
DEMO_PHOTOS = [
    (
        "jpeg_nokia8.3-5g_gps.jpg",
        "Le port au couchant",
        "Un port et la mer au soleil couchant.",
        0,
        0,
    ),
    ("jpeg_orient8_portrait.jpg", "Vertical", "Une photo en hauteur prise de biais.", 1, 0),
    ("heic_iphone11promax_gps.heic", "Depuis l'iPhone", "Une scène prise avec un iPhone.", 2, 1),
    ("jpeg_orient3_landscape.jpg", "Paysage", "Un paysage large sous un ciel clair.", 1, 1),
    (
        "png_screenshot_transportr-departs-fr.png",
        "Prochains départs",
        "Capture d'écran des prochains départs.",
        0,
        2,
    ),
]


class Command(BaseCommand):
    help = "Creates the demo contest, riders with processed photos, and a staff login."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, port: int, **options: Any) -> None:
        contest, created = Contest.objects.get_or_create(
            slug="couvertures-2027",
            defaults={
                "title": "Vos photos en couverture des fiches horaires 2027",
                "pitch": "Montrez-nous votre réseau : les plus belles photos feront la "
                "couverture des fiches horaires de l'année prochaine.",
                "rules_text": RULES,
                "rules_version": "2026-11",
                "opens_at": timezone.now() - timedelta(days=1),
                "closes_at": timezone.now() + timedelta(days=15),
                "status": Contest.Status.OPEN,
            },
        )
        if created:
            for position, name in enumerate(["Lumières de la ville", "Saisons", "Du quotidien"]):
                Theme.objects.create(contest=contest, name=name, position=position)
        if not Entry.objects.filter(contest=contest).exists():
            self._add_entries(contest)

        password = secrets.token_urlsafe(12)
        user_model = get_user_model()
        staff, _ = user_model.objects.get_or_create(
            username="staff", defaults={"email": "staff@coverline.localhost"}
        )
        staff.is_staff = staff.is_superuser = True
        staff.set_password(password)
        staff.save()
        moderator_password = secrets.token_urlsafe(12)
        moderator, _ = user_model.objects.get_or_create(
            username="moderation", defaults={"email": "moderation@coverline.localhost"}
        )
        moderator.is_staff = True
        moderator.set_password(moderator_password)
        moderator.save()
        moderator.groups.add(Group.objects.get(name="Moderators"))
        chair_password = secrets.token_urlsafe(12)
        chair, _ = user_model.objects.get_or_create(
            username="jury", defaults={"email": "jury@coverline.localhost"}
        )
        chair.is_staff = True
        chair.set_password(chair_password)
        chair.save()
        chair.groups.add(Group.objects.get(name="Jury chair"))
        marketing_password = secrets.token_urlsafe(12)
        marketing, _ = user_model.objects.get_or_create(
            username="marketing", defaults={"email": "marketing@coverline.localhost"}
        )
        marketing.is_staff = True
        marketing.set_password(marketing_password)
        marketing.save()
        marketing.groups.add(Group.objects.get(name="Marketing"))
        # The covers app sits above this one: reached through the app registry.
        guide_model = apps.get_model("covers", "Guide")
        if not guide_model.objects.filter(contest=contest).exists():
            guide_model.objects.create(
                contest=contest, name="Ligne 2 — Gare Sud ⇄ Campus", line_label="2", format="DL"
            )
            guide_model.objects.create(
                contest=contest,
                name="Ligne 5 — Centre ⇄ Parc des Expositions",
                line_label="5",
                format="A5",
                trim_width_mm=148,
                title_width_mm=148,
                band_colour="#7A1F5C",
                position=1,
            )
        base = f"http://127.0.0.1:{port}"
        juror_links = "".join(
            f"  Juror {email}: {base}{reverse('contest:signin_link')}{get_query_string(user)}"
            f"&suite={reverse('jury:home', args=[contest.slug])}\n"
            for email, user in self._seat_jurors(contest)
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"\nDemo ready.\n  Contest: {base}/concours/{contest.slug}/participer/\n"
                f"  Admin:   {base}{reverse('admin:index')}  user: staff  password: {password}\n"
                f"  Moderation: {base}{reverse('moderation:queue')}  user: moderation  password: "
                f"{moderator_password}\n"
                f"  Jury chair: {base}{reverse('jury:chair', args=[contest.slug])}  user: jury  "
                f"password: {chair_password}\n"
                f"  Covers (marketing): {base}{reverse('covers:overview', args=[contest.slug])}  "
                f"user: marketing  password: {marketing_password} (the chair's login locks)\n"
                f"{juror_links}"
                "  (a juror's link works once, for an hour; the rounds need approved photos)\n"
                "  Sign-in links to riders are printed in this terminal (console e-mail).\n"
            )
        )

    def _seat_jurors(self, contest: Contest) -> list[tuple[str, Any]]:
        """Two demo jurors on the contest's jury (no password: they sign in by link)."""
        # This command seeds the whole stack, but the jury app sits above this one: its model
        # is looked up by name, not imported (the layers contract, README).
        juror_model = apps.get_model("jury", "Juror")
        jury = Group.objects.get(name="Jury")
        seated = []
        for n in (1, 2):
            email = f"juror{n}@coverline.localhost"
            user, created = get_user_model().objects.get_or_create(
                username=email, defaults={"email": email}
            )
            if created:
                user.set_unusable_password()
                user.save()
            user.groups.add(jury)
            juror_model.objects.get_or_create(
                contest=contest, user=user, defaults={"alias": f"J{n}"}
            )
            seated.append((email, user))
        return seated

    def _add_entries(self, contest: Contest) -> None:
        themes = list(contest.themes.all())
        riders = []
        for n, name in enumerate(["Camille D.", "Noé L.", "Inès B."]):
            user, _ = get_user_model().objects.get_or_create(
                username=f"rider{n}@coverline.localhost",
                defaults={"email": f"rider{n}@coverline.localhost"},
            )
            rider, _ = Participant.objects.get_or_create(
                user=user,
                defaults={
                    "credit_name": name,
                    "age_bracket": Participant.AgeBracket.ADULT,
                    "email_verified_at": timezone.now(),
                },
            )
            services.enrollment_accept(
                contest=contest,
                participant=rider,
                allows_gallery=True,
                allows_social=True,
                allows_print=True,
                ip_address="127.0.0.1",
            )
            riders.append(rider)
        for file_name, title, caption, theme_index, rider_index in DEMO_PHOTOS:
            upload = self._photo(file_name, seed=len(file_name))
            info = imaging.inspect_upload(upload, size=upload.size, policy=upload_policy())
            services.entry_submit(
                contest=contest,
                participant=riders[rider_index],
                drafts=[
                    services.EntryDraft(
                        upload=upload,
                        info=info,
                        title=title,
                        caption=caption,
                        theme=themes[theme_index % len(themes)],
                    )
                ],
            )
        self.stdout.write(f"Added {len(DEMO_PHOTOS)} demo photos; the worker processes them.")

    def _photo(self, file_name: str, seed: int) -> File:
        path = Path(SHARED_PHOTOS) / file_name
        if path.exists():
            return File(path.open("rb"), name=file_name)
        # No shared data here: a generated picture stands in for the real photo.
        from PIL import Image, ImageDraw

        image = Image.new("RGB", (1600, 1200), (seed * 37 % 256, 90, 160))
        draw = ImageDraw.Draw(image)
        for i in range(12):
            draw.ellipse((i * 120, i * 80, i * 120 + 300, i * 80 + 200), fill=(255, i * 20, 80))
        import io

        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=85)
        return ContentFile(buffer.getvalue(), name=file_name.rsplit(".", 1)[0] + ".jpg")
