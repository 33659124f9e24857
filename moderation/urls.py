from django.urls import path

from moderation import views

app_name = "moderation"
urlpatterns = [
    path("moderation/", views.queue, name="queue"),
    path("moderation/trier/", views.triage_start, name="triage_start"),
    path("moderation/trier/<int:entry_id>/", views.triage_entry, name="triage_entry"),
    path("moderation/trier/<int:entry_id>/suivante/", views.triage_next, name="triage_next"),
    path("moderation/trier/<int:entry_id>/decider/", views.triage_decide, name="triage_decide"),
    path("moderation/trier/<int:entry_id>/pivoter/", views.triage_rotate, name="triage_rotate"),
    path("moderation/trier/<int:entry_id>/lieu/", views.triage_place, name="triage_place"),
    path(
        "moderation/trier/<int:entry_id>/personne/",
        views.triage_identifiable,
        name="triage_identifiable",
    ),
    path("moderation/annuler/<int:event_id>/", views.triage_undo, name="triage_undo"),
    path("moderation/lot/", views.bulk, name="bulk"),
    path("moderation/journal.csv", views.audit_csv, name="audit_csv"),
    path("moderation/photo/<uuid:public_id>/original/", views.original, name="original"),
    path("photos/<uuid:public_id>/signaler/", views.report, name="report"),
]
