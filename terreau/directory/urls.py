from django.urls import path

from terreau.directory.views import exports, imports, map, organisations, search

app_name = "directory"
urlpatterns = [
    path("", search.search, name="search"),
    path("carte/", map.map_page, name="map"),
    path("carte/donnees.json", map.map_data, name="map_data"),
    path("export.<str:fmt>", exports.export, name="export"),
    path("importer/", imports.import_page, name="import"),
    path("importer/<int:pk>/", imports.import_report, name="import_report"),
    path("importer/modele.csv", imports.import_template, name="import_template"),
    path("importer/<int:pk>/lignes-refusees.<str:fmt>", imports.import_rejects, name="import_rejects"),
    path("organisations/<slug:slug>/", organisations.detail, name="organisation"),
    path("organisations/<slug:slug>/modifier/", organisations.edit, name="organisation_edit"),
    path("organisations/<slug:slug>/membres/", organisations.members, name="organisation_members"),
    path(
        "organisations/<slug:slug>/membres/<int:pk>/retirer/",
        organisations.member_remove,
        name="organisation_member_remove",
    ),
    path(
        "organisations/<slug:slug>/besoins-ressources/ajouter/",
        organisations.need_offer_create,
        name="need_offer_create",
    ),
    path("besoins-ressources/<int:pk>/modifier/", organisations.need_offer_edit, name="need_offer_edit"),
    path("besoins-ressources/<int:pk>/statut/", organisations.need_offer_status, name="need_offer_status"),
]
