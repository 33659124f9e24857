from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PhotosConfig(AppConfig):
    name = "photos"
    verbose_name = _("Photos")

    def ready(self) -> None:
        # Web processes check uploads and workers decode whole photos: a big decoded image
        # goes back to the system when freed instead of staying in the process's RSS.
        from photos.imaging.decoding import map_big_allocations

        map_big_allocations()
