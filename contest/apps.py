from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContestConfig(AppConfig):
    name = "contest"
    verbose_name = _("Contests")

    def ready(self) -> None:
        from contest.services import entry_photo_ready
        from photos.services import on_photo_ready

        on_photo_ready(entry_photo_ready)
