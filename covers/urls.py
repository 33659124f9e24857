from django.urls import URLPattern, path

from covers import views

app_name = "covers"

_C = "couvertures/<slug:slug>/"
_G = _C + "guide/<int:guide_id>/"

urlpatterns: list[URLPattern] = [
    path(_C, views.overview, name="overview"),
    path(_C + "reglages/", views.settings_update, name="settings"),
    path(_C + "guide/nouveau/", views.guide_edit, name="guide_new"),
    path(_G, views.guide_edit, name="guide"),
    path(_G + "supprimer/", views.guide_delete, name="guide_delete"),
    path(_G + "candidats/", views.candidates, name="candidates"),
    path(_G + "photo/<int:entry_id>/", views.crop_edit, name="crop"),
    path(_G + "choisir/", views.pick_set, name="pick"),
    path(_G + "retirer/<int:slot>/", views.pick_remove, name="unpick"),
    path(_G + "paquet/", views.package_request, name="package_request"),
    path(_C + "paquet/<int:package_id>.zip", views.package_download, name="package"),
    path(_C + "maquette/<int:mockup_id>.jpg", views.mockup_image, name="mockup"),
    path(_C + "proposer/", views.allocation_suggest, name="suggest"),
    path(_C + "verrouiller/", views.lock, name="lock"),
    path(_C + "deverrouiller/", views.unlock, name="unlock"),
    path(_C + "publier/", views.publish, name="publish"),
    path(_C + "couvertures.csv", views.designer_csv, name="designer_csv"),
    path("couvertures/credit/<uuid:token>/", views.proof, name="proof"),
    path(
        "couvertures/credit/<uuid:token>/<int:guide_id>.jpg", views.proof_image, name="proof_image"
    ),
    path("concours/<slug:slug>/laureats/", views.winners, name="winners"),
    path(
        "concours/<slug:slug>/laureats/<int:pick_id>.jpg", views.winner_image, name="winner_image"
    ),
]
