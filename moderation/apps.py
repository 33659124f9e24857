from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = _("Moderation")

    def ready(self) -> None:
        from moderation.services import entry_photo_ready
        from photos.services import on_photo_ready

        on_photo_ready(entry_photo_ready)
