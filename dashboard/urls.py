from django.urls import path

from dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("gestion/<slug:slug>/tableau-de-bord/", views.dashboard, name="dashboard"),
]
