"""The admin's app config: its default site is core.admin_site.StaffAdminSite.

Apart from core.admin_site because Django imports this module while it loads the apps, before
the models that the site's module needs exist.
"""

from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    default_site = "core.admin_site.StaffAdminSite"
