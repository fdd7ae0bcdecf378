from django.urls import path

from terreau.programs.views import documents, items, kits, partners, programs, sites, team

app_name = "programs"

urlpatterns = [
    path("", programs.program_list, name="list"),
    path("<slug:slug>/", programs.program_detail, name="detail"),
    path("<slug:slug>/modifier/", programs.program_edit, name="edit"),
    path("<slug:slug>/partenaires/", partners.partners, name="partners"),
    path("<slug:slug>/partenaires/<int:pk>/retirer/", partners.partner_remove, name="partner_remove"),
    path("<slug:slug>/equipe/", team.team, name="team"),
    path("<slug:slug>/equipe/<int:pk>/retirer/", team.team_remove, name="team_remove"),
    path("<slug:slug>/documents/", documents.document_upload, name="document_upload"),
    path("<slug:slug>/documents/<int:pk>/", documents.document_download, name="document"),
    path("<slug:slug>/sites/", sites.site_list, name="sites"),
    path("<slug:slug>/sites/<int:pk>/", sites.site_detail, name="site"),
    path("<slug:slug>/sites/<int:pk>/modifier/", sites.site_edit, name="site_edit"),
    path("<slug:slug>/sites/<int:pk>/inventaire/", sites.inventory, name="inventory"),
    path("<slug:slug>/materiel/", items.equipment, name="equipment"),
    path("<slug:slug>/materiel/ajouter/", items.item_add, name="item_add"),
    path("<slug:slug>/materiel/kits/", kits.kits, name="kits"),
    path("<slug:slug>/materiel/kits/<int:pk>/", kits.kit_detail, name="kit"),
    path("<slug:slug>/materiel/kits/<int:pk>/livrer/", kits.kit_deliver, name="kit_deliver"),
    path("<slug:slug>/materiel/kits/<int:pk>/echanger/", kits.kit_swap, name="kit_swap"),
    path("<slug:slug>/materiel/kits/<int:pk>/demonter/", kits.kit_dismantle, name="kit_dismantle"),
    path("<slug:slug>/materiel/kits/<int:pk>/bon-de-livraison.pdf", kits.delivery_note, name="delivery_note"),
    path("<slug:slug>/materiel/<int:pk>/", items.item_detail, name="item"),
    path("<slug:slug>/materiel/<int:pk>/incident/", items.item_incident, name="item_incident"),
    path("<slug:slug>/materiel/<int:pk>/<str:action>/", items.item_action, name="item_action"),
]
