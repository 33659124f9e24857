from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContestConfig(AppConfig):
    name = "contest"
    verbose_name = _("Contests")

    def ready(self) -> None:
        from contest.services import entry_photo_ready
        from photos.services import on_photo_ready

        on_photo_ready(entry_photo_ready)

        # Releases: the rider's e-mail is re-read when sent; the releases go in the download.
        from contest import releases
        from contest.rights import on_participant_data
        from notifications.services import on_render

        on_render(releases.RIDER_TEMPLATE, releases.rider_email_context)
        on_participant_data(
            "releases", export=releases.releases_export, erase=releases.releases_erase
        )
