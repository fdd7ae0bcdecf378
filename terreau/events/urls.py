from django.urls import path

from terreau.events import views

app_name = "events"
urlpatterns = [
    path("", views.event_list, name="list"),
    path("nouvelle/", views.event_create, name="create"),
    path("inscription/confirmer/<str:token>/", views.confirm, name="confirm"),
    path("inscription/<str:token>/", views.registration_page, name="registration"),
    path("inscription/<str:token>/annuler/", views.cancel, name="cancel"),
    path("inscription/<str:token>/attestation.pdf", views.certificate, name="certificate"),
    path("presence/<str:token>/", views.qr_checkin, name="qr_checkin"),
    path("<slug:slug>/", views.event_detail, name="detail"),
    path("<slug:slug>/inscription/", views.register, name="register"),
    path("<slug:slug>/modifier/", views.event_edit, name="edit"),
    path("<slug:slug>/inscriptions/", views.registrations, name="registrations"),
    path("<slug:slug>/accueil/", views.checkin, name="checkin"),
    path("<slug:slug>/accueil/<int:pk>/present/", views.checkin_mark, name="checkin_mark"),
    path("<slug:slug>/presences.csv", views.attendance_export, name="export"),
    path("<slug:slug>/atelier/points/", views.workshop_item_add, name="item_add"),
    path("<slug:slug>/atelier/documents/", views.document_add, name="document_add"),
    path("<slug:slug>/atelier/documents/<int:pk>/", views.document_download, name="document"),
]
