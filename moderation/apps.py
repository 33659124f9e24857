from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = _("Moderation")

    def ready(self) -> None:
        from moderation.services import entry_photo_ready
        from photos.services import on_photo_ready

        on_photo_ready(entry_photo_ready)

        from core.roles import on_staff_homes
        from moderation.homes import moderator_homes

        on_staff_homes(moderator_homes, order=10)
