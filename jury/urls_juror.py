"""The jurors' pages (jury/views_juror.py), all under /jury/<slug>/."""

from django.urls import URLPattern, path

from jury import views_juror as views

urlpatterns: list[URLPattern] = [
    path("<slug:slug>/", views.home, name="home"),
    path("<slug:slug>/juger/", views.judge, name="judge"),
    path("<slug:slug>/juger/<int:task_id>/", views.task, name="task"),
    path("<slug:slug>/juger/<int:task_id>/vote/", views.vote, name="vote"),
    path("<slug:slug>/juger/<int:task_id>/passer/", views.skip, name="skip"),
    path("<slug:slug>/juger/<int:task_id>/favori/", views.favourite, name="favourite"),
    path("<slug:slug>/juger/<int:task_id>/note/", views.note, name="note"),
    path("<slug:slug>/juger/<int:task_id>/deport/", views.recuse, name="recuse"),
    path("<slug:slug>/annuler/", views.undo, name="undo"),
    path("<slug:slug>/comparer/", views.compare, name="compare"),
    path("<slug:slug>/classement/", views.ranking, name="ranking"),
    path("<slug:slug>/photo/<int:task_id>/original/", views.full, name="full"),
    path("<slug:slug>/photo/<int:task_id>/<str:spec>.<str:fmt>", views.image, name="image"),
]
