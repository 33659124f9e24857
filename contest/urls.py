from django.urls import path

from contest import tus, views, views_brand, views_releases

app_name = "contest"
urlpatterns = [
    path("", views.home, name="home"),
    path("connexion/", views.signin, name="signin"),
    path("connexion/lien/", views.signin_link, name="signin_link"),
    path("deconnexion/", views.signout, name="signout"),
    path("profil/", views.profile, name="profile"),
    path("mes-photos/", views.my_photos, name="my_photos"),
    path("profil/parent/renvoyer/", views.parent_resend, name="parent_resend"),
    path("parent/<str:token>/", views.parent_confirm, name="parent_confirm"),
    path("parent/<str:token>/retirer/", views.parent_withdraw, name="parent_withdraw"),
    path("concours/<slug:slug>/participer/", views.enter, name="enter"),
    path("concours/<slug:slug>/reglement/", views.rules, name="rules"),
    path("concours/<slug:slug>/envoyer/", views.upload, name="upload"),
    # Resumable uploads (tus), the form's way with JavaScript.
    path("concours/<slug:slug>/envoi/", tus.endpoint, name="tus_endpoint"),
    path("concours/<slug:slug>/envoi/<uuid:upload_id>/", tus.upload, name="tus_upload"),
    path("concours/<slug:slug>/mes-photos/", views.my_entries, name="my_entries"),
    path(
        "concours/<slug:slug>/mes-photos/<int:entry_id>/lieu/",
        views.entry_place,
        name="entry_place",
    ),
    path(
        "concours/<slug:slug>/mes-photos/<int:entry_id>/retirer/",
        views.entry_withdraw,
        name="entry_withdraw",
    ),
    path(
        "concours/<slug:slug>/mes-photos/usages/<str:use>/retirer/",
        views.use_withdraw,
        name="use_withdraw",
    ),
    path(
        "concours/<slug:slug>/mes-photos/<int:entry_id>/autorisation/",
        views_releases.release_request,
        name="release_request",
    ),
    path("autorisation/<str:token>/", views_releases.release_answer, name="release_answer"),
    path("mes-donnees/", views.my_data, name="my_data"),
    path("mes-donnees/telecharger/", views.my_data_download, name="my_data_download"),
    path("mes-donnees/supprimer/", views.account_delete, name="account_delete"),
    path("mes-donnees/confirmer/<str:token>/", views.rights_confirm, name="rights_confirm"),
    path("concours/<slug:slug>/marque.css", views_brand.brand_css, name="brand_css"),
]
