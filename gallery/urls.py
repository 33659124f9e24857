from django.urls import path

from gallery import views
from gallery.feeds import ApprovedPhotosFeed

app_name = "gallery"
urlpatterns = [
    path("concours/<slug:slug>/", views.landing, name="landing"),
    path("concours/<slug:slug>/galerie/", views.gallery, name="gallery"),
    path("concours/<slug:slug>/flux.atom", ApprovedPhotosFeed(), name="feed"),
    path("photo/<uuid:public_id>/", views.photo, name="photo"),
    path("photo/<uuid:public_id>/vote/", views.vote, name="vote"),
]
