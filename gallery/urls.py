from django.urls import path

from gallery import views, views_lines, views_relay
from gallery.feeds import ApprovedPhotosFeed

app_name = "gallery"
urlpatterns = [
    path("concours/<slug:slug>/", views.landing, name="landing"),
    path("concours/<slug:slug>/galerie/", views.gallery, name="gallery"),
    path("concours/<slug:slug>/ligne/<int:line_id>/", views_lines.line, name="line"),
    path("reseau/<slug:network>/lignes.css", views_lines.lines_css, name="lines_css"),
    path("concours/<slug:slug>/flux.atom", ApprovedPhotosFeed(), name="feed"),
    path("photo/<uuid:public_id>/", views.photo, name="photo"),
    path("photo/<uuid:public_id>/vote/", views.vote, name="vote"),
    path("photo/<uuid:public_id>/partager/<slug:network>/", views.share, name="share"),
    path("concours/<slug:slug>/integrer/", views_relay.embed, name="embed"),
    path("gestion/<slug:slug>/relais/", views_relay.relay, name="relay"),
    path("gestion/<slug:slug>/votes/", views_relay.vote_bursts, name="vote_bursts"),
    path("gestion/photo/<uuid:public_id>/kit.zip", views_relay.social_kit, name="social_kit"),
]
