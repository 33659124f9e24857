"""Creates the demo contest, riders' photos (some public, some waiting) and staff logins.

For `make run`: every part of the product has something to show at once (landing page,
gallery, photo pages, feed, embed, votes, and a moderation queue).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from celery import current_app
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from sesame.utils import get_query_string

from contest import services
from contest.models import Contest, Entry, Participant, Theme
from photos import imaging
from photos.models import Photo
from photos.selectors import renditions_hash
from photos.services import photo_process, upload_policy
from transit.models import Line, Stop
from transit.services import feed_import, network_get_or_create

SHARED_PHOTOS = settings.BASE_DIR.parent / "shared" / "data" / "photos"
# A real network's lines and stops (Nantes, Tan, 2016; ODbL: shared/data/gtfs/.../SOURCE.md).
SHARED_GTFS = settings.BASE_DIR.parent / "shared" / "data" / "gtfs" / "nantes-tan-2016"
# (line number, stop name) given to the demo photos in turn.
DEMO_PLACES = [
    ("1", "Commerce"),
    ("2", "Commerce"),
    ("3", "Chantiers Navals"),
    ("4", "Duchesse Anne-Château"),
]
RULES = """Article 1 – Le réseau organise un concours photo gratuit, ouvert à toute personne.
Article 2 – Chaque participant envoie au plus trois photos prises sur le réseau.
Article 3 – Les photos retenues illustreront les couvertures des fiches horaires 2027.
Article 4 – Le participant garantit être l'auteur de la photo et avoir l'accord des personnes
reconnaissables.
Article 5 – Les données personnelles servent uniquement au concours (RGPD)."""

# (file, title, caption, theme index, rider index, votes or None to leave it waiting for
# moderation); licences: shared/data/photos/SOURCES.md
DEMO_PHOTOS = [
    (
        "jpeg_nokia8.3-5g_gps.jpg",
        "Le port au couchant",
        "Un port et la mer au soleil couchant.",
        0,
        0,
        5,
    ),
    ("jpeg_orient8_portrait.jpg", "Vertical", "Une photo en hauteur prise de biais.", 1, 0, 3),
    (
        "heic_iphone11promax_gps.heic",
        "Depuis l'iPhone",
        "Une scène prise avec un iPhone.",
        2,
        1,
        2,
    ),
    ("jpeg_orient3_landscape.jpg", "Paysage", "Un paysage large sous un ciel clair.", 1, 1, 1),
    ("jpeg_nokia-n70_iptc.jpg", "Grandes lettres", "Un bâtiment aux grandes lettres.", 2, 2, 0),
    (
        "png_screenshot_transportr-departs-fr.png",
        "Prochains départs",
        "Capture d'écran des prochains départs.",
        0,
        2,
        None,
    ),
    (
        "jpeg_xiaomi-mi9t_orient6.jpg",
        "Dans l'entrée",
        "Un appareil posé dans l'entrée d'un appartement.",
        2,
        0,
        None,
    ),
]
VOTERS = 5


class Command(BaseCommand):
    help = "Creates the demo contest, riders with processed photos, votes and staff logins."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, port: int, **options: Any) -> None:
        contest, created = Contest.objects.get_or_create(
            slug="couvertures-2027",
            defaults={
                "title_fr": "Vos photos en couverture des fiches horaires 2027",
                "title_en": "Your photos on the covers of the 2027 timetables",
                "pitch_fr": "Montrez-nous votre réseau : les plus belles photos feront la "
                "couverture des fiches horaires de l'année prochaine.",
                "pitch_en": "Show us your network: the best photos will be on the covers of "
                "next year's timetables.",
                "rules_text_fr": RULES,
                # The operator's branding (the admin checks the colours' contrast).
                "brand_name": "Réseau Démo",
                "brand_colour": "#00665e",
                "brand_text_colour": "#ffffff",
                "rules_version": "2026-11",
                "opens_at": timezone.now() - timedelta(days=1),
                "closes_at": timezone.now() + timedelta(days=15),
                "status": Contest.Status.OPEN,
            },
        )
        if created:
            for position, name in enumerate(["Lumières de la ville", "Saisons", "Du quotidien"]):
                Theme.objects.create(contest=contest, name_fr=name, position=position)
        logins = {
            "staff": self._staff("staff", superuser=True),
            "moderation": self._staff("moderation", group="Moderators"),
            "jury": self._staff("jury", group="Jury chair"),
            "marketing": self._staff("marketing", group="Marketing"),
        }
        # The worker of `make run` starts after this command: the photos are prepared here,
        # in this process, so that the gallery is full and the worker's queue empty.
        eager = current_app.conf.task_always_eager
        current_app.conf.task_always_eager = True
        try:
            if not Entry.objects.filter(contest=contest).exists():
                self._add_entries(contest)
            self._publish(contest, moderator=logins["moderation"][0])
        finally:
            current_app.conf.task_always_eager = eager
        self._add_guides(contest)
        self._add_network(contest)
        self.stdout.write(self._logins(contest, port=port, logins=logins))

    def _add_network(self, contest: Contest) -> None:
        """The contest's lines and stops from a real GTFS feed, and a place on each photo
        that has none (the line badges, filters and pages then have something to show)."""
        if contest.network_id is None:
            if not Path(SHARED_GTFS).is_dir():
                return  # the checkout came without the shared data: no lines in the demo
            imported = network_get_or_create(name="Tan (Nantes)")
            feed_import(source=SHARED_GTFS, network=imported)
            Contest.objects.filter(pk=contest.pk).update(network=imported)
            contest.network = imported
        network = contest.network
        if network is None:
            return
        untagged = list(Entry.objects.filter(contest=contest, line=None).order_by("pk"))
        for entry, (number, stop_name) in zip(untagged, DEMO_PLACES * len(untagged), strict=False):
            line = Line.objects.filter(network=network, short_name=number).first()
            stop = Stop.objects.filter(network=network, name=stop_name, parent=None).first()
            Entry.objects.filter(pk=entry.pk).update(line=line, stop=stop)

    def _staff(self, username: str, *, group: str = "", superuser: bool = False) -> Any:
        """A staff login with a new password each run: (user, password)."""
        password = secrets.token_urlsafe(12)
        user, _ = get_user_model().objects.get_or_create(
            username=username, defaults={"email": f"{username}@coverline.localhost"}
        )
        user.is_staff = True
        user.is_superuser = superuser
        user.set_password(password)
        user.save()
        if group:
            user.groups.add(Group.objects.get(name=group))
        return user, password

    def _add_guides(self, contest: Contest) -> None:
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

    def _logins(self, contest: Contest, *, port: int, logins: dict[str, Any]) -> str:
        """What `make run` prints last: the site, then one login per staff role."""
        base = f"http://127.0.0.1:{port}"
        slug = contest.slug

        def staff(role: str, url: str, username: str, note: str = "") -> str:
            password = logins[username][1]
            return (
                f"  {role:<11} {base}{url}\n{'':14}user: {username}  password: {password}{note}\n"
            )

        juror_links = "".join(
            f"  {'Juror':<11} {base}{reverse('contest:signin_link')}{get_query_string(user)}"
            f"&suite={reverse('jury:home', args=[slug])}\n{'':14}({email}: sign-in link, "
            "works once, for an hour)\n"
            for email, user in self._seat_jurors(contest)
        )
        return self.style.SUCCESS(
            f"\nCoverline is ready on {base}/\n"
            f"  Contest     {base}{reverse('gallery:landing', args=[slug])}\n"
            f"  Gallery     {base}{reverse('gallery:gallery', args=[slug])}\n"
            f"  Take part   {base}{reverse('contest:enter', args=[slug])}\n"
            "              (riders, parents and voters sign in by e-mailed link: the e-mails "
            "are printed in this terminal)\n"
            "Staff logins (new passwords each run):\n"
            + staff("Admin", reverse("admin:index"), "staff")
            + staff("Moderator", reverse("moderation:queue"), "moderation")
            + staff(
                "Marketing",
                reverse("gallery:relay", args=[slug]),
                "marketing",
                f"  (covers: {reverse('covers:overview', args=[slug])})",
            )
            + staff("Jury chair", reverse("jury:chair", args=[slug]), "jury")
            + juror_links
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
        for index, (file_name, title, caption, theme_index, rider_index, _votes) in enumerate(
            DEMO_PHOTOS
        ):
            upload = self._photo(file_name, seed=index + 2)
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
        self.stdout.write(f"Added {len(DEMO_PHOTOS)} demo photos.")

    def _publish(self, contest: Contest, *, moderator: Any) -> None:
        """Approves the demo photos meant to be public and gives them their votes.

        Only photos still waiting are approved (a re-run keeps what a moderator decided in
        the demo since), and only photos without votes get them. The moderation and gallery
        apps sit above this one: their rows are written through the app registry, as their
        services would write them (an audit row, no e-mail for a demo rider).
        """
        event_model = apps.get_model("moderation", "ModerationEvent")
        vote_model = apps.get_model("gallery", "Vote")
        voters = self._voters()
        entries = Entry.objects.filter(contest=contest).select_related("photo")
        for photo_id in entries.exclude(photo__status=Photo.Status.READY).values_list(
            "photo_id", flat=True
        ):
            # A demo made before the worker ran: prepared here rather than by the worker.
            photo_process(photo_id=photo_id)
        now = timezone.now()
        for _file, title, _caption, _theme, _rider, votes in DEMO_PHOTOS:
            entry = entries.filter(title=title).first()
            if votes is None or entry is None:
                continue
            entry.photo.refresh_from_db()
            if (
                entry.moderation == Entry.Moderation.PENDING
                and entry.photo.status == Photo.Status.READY
            ):
                Entry.objects.filter(pk=entry.pk, version=entry.version).update(
                    moderation=Entry.Moderation.APPROVED,
                    version=F("version") + 1,
                    decided_by=moderator,
                    decided_at=now,
                    approved_renditions=renditions_hash(entry.photo.renditions.all()),
                )
                services.entry_shuffle_key_give(entry_id=entry.pk, contest_id=entry.contest_id)
                event_model.objects.create(
                    entry=entry,
                    actor=moderator,
                    action="approve",
                    from_state=Entry.Moderation.PENDING,
                    to_state=Entry.Moderation.APPROVED,
                    note="demo",
                )
            if votes and not vote_model.objects.filter(entry=entry).exists():
                vote_model.objects.bulk_create(
                    vote_model(entry=entry, user=voter) for voter in voters[:votes]
                )
                Entry.objects.filter(pk=entry.pk).update(vote_count=votes)
        services.contest_gallery_changed(contest_id=contest.pk)

    def _voters(self) -> list[Any]:
        """Demo voters: verified e-mail addresses with no password (votes need no more)."""
        voters = []
        for n in range(1, VOTERS + 1):
            email = f"voter{n}@coverline.localhost"
            user, created = get_user_model().objects.get_or_create(
                username=email, defaults={"email": email}
            )
            if created:
                user.set_unusable_password()
                user.save()
            voters.append(user)
        return voters

    def _photo(self, file_name: str, seed: int) -> File:
        path = Path(SHARED_PHOTOS) / file_name
        if path.exists():
            return File(path.open("rb"), name=file_name)
        # No shared data here: a generated picture stands in for the real photo.
        from PIL import Image, ImageDraw

        image = Image.new("RGB", (1600, 1200), (seed * 37 % 256, 90, 160))
        draw = ImageDraw.Draw(image)
        for i in range(12):
            # Shapes of their own per photo, or the duplicate finder would pair them all.
            x, y = (i * 120 + seed * 211) % 1400, (i * 80 * seed) % 1000
            draw.ellipse((x, y, x + 300, y + 200), fill=(255, i * 20, 80))
        import io

        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=85)
        return ContentFile(buffer.getvalue(), name=file_name.rsplit(".", 1)[0] + ".jpg")
