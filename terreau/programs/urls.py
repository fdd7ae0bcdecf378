from django.urls import path

from terreau.programs import views

app_name = "programs"

urlpatterns = [
    path("", views.program_list, name="list"),
    path("<slug:slug>/", views.program_detail, name="detail"),
    path("<slug:slug>/modifier/", views.program_edit, name="edit"),
    path("<slug:slug>/partenaires/", views.partners, name="partners"),
    path("<slug:slug>/partenaires/<int:pk>/retirer/", views.partner_remove, name="partner_remove"),
    path("<slug:slug>/equipe/", views.team, name="team"),
    path("<slug:slug>/equipe/<int:pk>/retirer/", views.team_remove, name="team_remove"),
    path("<slug:slug>/documents/", views.document_upload, name="document_upload"),
    path("<slug:slug>/documents/<int:pk>/", views.document_download, name="document"),
    path("<slug:slug>/sites/", views.site_list, name="sites"),
    path("<slug:slug>/sites/<int:pk>/", views.site_detail, name="site"),
    path("<slug:slug>/sites/<int:pk>/modifier/", views.site_edit, name="site_edit"),
    path("<slug:slug>/sites/<int:pk>/inventaire/", views.inventory, name="inventory"),
    path("<slug:slug>/materiel/", views.equipment, name="equipment"),
    path("<slug:slug>/materiel/ajouter/", views.item_add, name="item_add"),
    path("<slug:slug>/materiel/kits/", views.kits, name="kits"),
    path("<slug:slug>/materiel/kits/<int:pk>/", views.kit_detail, name="kit"),
    path("<slug:slug>/materiel/kits/<int:pk>/livrer/", views.kit_deliver, name="kit_deliver"),
    path("<slug:slug>/materiel/kits/<int:pk>/echanger/", views.kit_swap, name="kit_swap"),
    path("<slug:slug>/materiel/kits/<int:pk>/demonter/", views.kit_dismantle, name="kit_dismantle"),
    path(
        "<slug:slug>/materiel/kits/<int:pk>/bon-de-livraison.pdf", views.delivery_note, name="delivery_note"
    ),
    path("<slug:slug>/materiel/<int:pk>/", views.item_detail, name="item"),
    path("<slug:slug>/materiel/<int:pk>/incident/", views.item_incident, name="item_incident"),
    path("<slug:slug>/materiel/<int:pk>/<str:action>/", views.item_action, name="item_action"),
]
