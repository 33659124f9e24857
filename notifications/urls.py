from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("e-mails/desabonnement/<str:token>/", views.optout, name="optout"),
]
