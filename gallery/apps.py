from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GalleryConfig(AppConfig):
    name = "gallery"
    verbose_name = _("Gallery")

    def ready(self) -> None:
        # A participant's votes in their download, and erased with their account.
        from contest.rights import on_participant_data
        from gallery.rights import votes_erase, votes_export

        on_participant_data("votes", export=votes_export, erase=votes_erase)
