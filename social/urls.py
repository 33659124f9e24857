from django.urls import path

from social import views

app_name = "social"
urlpatterns = [
    path("gestion/<slug:slug>/publications/", views.queue, name="queue"),
    path(
        "gestion/<slug:slug>/publications/programmer/<uuid:public_id>/",
        views.schedule,
        name="schedule",
    ),
    path("gestion/<slug:slug>/publications/<int:post_id>/reessayer/", views.retry, name="retry"),
    path(
        "gestion/<slug:slug>/publications/<int:post_id>/supprimee/",
        views.mark_removed,
        name="mark_removed",
    ),
    path("gestion/<slug:slug>/instagram/", views.candidates, name="candidates"),
    path(
        "gestion/<slug:slug>/instagram/<int:candidate_id>/ecarter/",
        views.dismiss,
        name="dismiss",
    ),
    path(
        "gestion/<slug:slug>/instagram/revendication/<int:claim_id>/confirmer/",
        views.claim_confirm,
        name="claim_confirm",
    ),
    path(
        "gestion/<slug:slug>/instagram/revendication/<int:claim_id>/refuser/",
        views.claim_refuse,
        name="claim_refuse",
    ),
    path(
        "gestion/<slug:slug>/instagram/revendication/<int:claim_id>/reessayer/",
        views.claim_retry,
        name="claim_retry",
    ),
    path("concours/<slug:slug>/instagram/<str:token>/", views.claim, name="claim"),
    path(
        "concours/<slug:slug>/instagram/<str:token>/verifier/",
        views.claim_check,
        name="claim_check",
    ),
]
