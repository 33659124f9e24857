from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path

from core.health import healthz
from core.media import PUBLIC_MEDIA_PATTERN, media_serve
from core.views_staff import staff_home

# Error pages in the site's look and the visitor's language (core/views.py).
handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"

urlpatterns: list[URLPattern | URLResolver] = [
    # For the orchestrator and the image's HEALTHCHECK (core/health.py); no login.
    path("healthz", healthz, name="healthz"),
    # Not /admin/, where every scanner knows to look (ADMIN_URL, README "Configuration").
    path(settings.ADMIN_URL, admin.site.urls),
    # After the staff sign-in (the admin's login URL), for someone with several roles' pages.
    path("equipe/", staff_home, name="staff_home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("contest.urls")),
    path("", include("moderation.urls")),
    path("", include("gallery.urls")),
    path("", include("social.urls")),
    path("jury/", include("jury.urls")),
    path("", include("covers.urls")),
    path("", include("dashboard.urls")),
    path("", include("transit.urls")),
    path("", include("notifications.urls")),
]

if settings.SERVE_MEDIA:
    # Dev run only: renditions and contests' branding images from local disk, kept for a year
    # as the media host sends them. Originals live elsewhere and are never served.
    urlpatterns += [re_path(PUBLIC_MEDIA_PATTERN, media_serve)]
