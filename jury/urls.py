from django.urls import URLPattern

from jury import urls_chair, urls_juror

app_name = "jury"
urlpatterns: list[URLPattern] = [*urls_juror.urlpatterns, *urls_chair.urlpatterns]
