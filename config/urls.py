from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.static import serve

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("contest.urls")),
    path("", include("moderation.urls")),
    path("", include("gallery.urls")),
]

if settings.SERVE_MEDIA:
    # Dev run only: renditions from local disk. Originals live elsewhere and are never served.
    urlpatterns += [
        re_path(
            r"^media/(?P<path>renditions/.*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]
