from django.urls import path

from transit import views

app_name = "transit"
urlpatterns = [
    path("reseaux/<slug:network>/lignes/", views.lines_suggest, name="lines_suggest"),
    path("reseaux/<slug:network>/arrets/", views.stops_suggest, name="stops_suggest"),
]
