from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = _("Dashboard")

    def ready(self) -> None:
        # Where the staff sign-in sends marketing (core.roles): the dashboard first, then
        # the relay and the covers (covers.homes, order 30).
        from core.roles import on_staff_homes
        from dashboard.homes import dashboard_homes

        on_staff_homes(dashboard_homes, order=25)
