from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransitConfig(AppConfig):
    name = "transit"
    verbose_name = _("Transit lines and stops")
