"""The chair's and marketing's pages (jury/views_chair.py)."""

from django.urls import URLPattern, path

from jury import views_chair as views

_ROUND = "<slug:slug>/presidence/tour/<int:round_id>/"

urlpatterns: list[URLPattern] = [
    path("<slug:slug>/presidence/", views.chair, name="chair"),
    path("<slug:slug>/presidence/inviter/", views.juror_invite, name="juror_invite"),
    path(
        "<slug:slug>/presidence/jure/<int:juror_id>/retirer/",
        views.juror_remove,
        name="juror_remove",
    ),
    path("<slug:slug>/presidence/domaine/", views.panel_update, name="panel_update"),
    path("<slug:slug>/presidence/tour/nouveau/", views.round_create, name="round_create"),
    path(_ROUND, views.round_detail, name="round"),
    path(_ROUND + "demarrer/", views.round_activate, name="round_activate"),
    path(_ROUND + "demarrage/", views.round_start_status, name="round_start_status"),
    path(_ROUND + "pause/", views.round_pause, name="round_pause"),
    path(_ROUND + "jures-par-photo/", views.round_quorum, name="round_quorum"),
    path(_ROUND + "cloturer/", views.round_close, name="round_close"),
    path(
        _ROUND + "photo/<int:round_entry_id>/exclure/",
        views.round_entry_disqualify,
        name="round_entry_disqualify",
    ),
    path(_ROUND + "regles/", views.round_rules, name="round_rules"),
    path(_ROUND + "departage/", views.round_casting, name="round_casting"),
    path("<slug:slug>/resultats/", views.results, name="results"),
    path("<slug:slug>/rapport/", views.report, name="report"),
    path("<slug:slug>/scores.csv", views.scores_csv, name="scores_csv"),
]
