from django.urls import path

from contest.views import entry as views
from contest.views import moderation
from contest.views import reports as report_views

app_name = "contest"
urlpatterns = [
    path("", views.home, name="home"),
    path("connexion/", views.signin, name="signin"),
    path("connexion/lien/", views.signin_link, name="signin_link"),
    path("deconnexion/", views.signout, name="signout"),
    path("profil/", views.profile, name="profile"),
    path("profil/parent/renvoyer/", views.parent_resend, name="parent_resend"),
    path("parent/<str:token>/", views.parent_confirm, name="parent_confirm"),
    path("concours/<slug:slug>/participer/", views.enter, name="enter"),
    path("concours/<slug:slug>/reglement/", views.rules, name="rules"),
    path("concours/<slug:slug>/envoyer/", views.upload, name="upload"),
    path("concours/<slug:slug>/mes-photos/", views.my_entries, name="my_entries"),
    path("photos/<uuid:public_id>/signaler/", report_views.report, name="report"),
    path("moderation/", moderation.queue, name="moderation_queue"),
    path("moderation/trier/", moderation.triage_start, name="triage_start"),
    path("moderation/trier/<int:entry_id>/", moderation.triage_entry, name="triage_entry"),
    path("moderation/trier/<int:entry_id>/suivante/", moderation.triage_next, name="triage_next"),
    path(
        "moderation/trier/<int:entry_id>/decider/", moderation.triage_decide, name="triage_decide"
    ),
    path(
        "moderation/trier/<int:entry_id>/pivoter/", moderation.triage_rotate, name="triage_rotate"
    ),
    path("moderation/annuler/<int:event_id>/", moderation.triage_undo, name="triage_undo"),
    path("moderation/lot/", moderation.bulk, name="moderation_bulk"),
    path("moderation/journal.csv", moderation.audit_csv, name="moderation_audit_csv"),
    path(
        "moderation/photo/<uuid:public_id>/original/",
        moderation.original,
        name="moderation_original",
    ),
]
