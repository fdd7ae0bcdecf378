from django.urls import path

from terreau.events.views import checkin, events, registrations, workshops

app_name = "events"
urlpatterns = [
    path("", events.event_list, name="list"),
    path("nouvelle/", events.event_create, name="create"),
    path("inscription/confirmer/<str:token>/", registrations.confirm, name="confirm"),
    path("inscription/<str:token>/", registrations.registration_page, name="registration"),
    path("inscription/<str:token>/annuler/", registrations.cancel, name="cancel"),
    path("inscription/<str:token>/attestation.pdf", registrations.certificate, name="certificate"),
    path("presence/<str:token>/", checkin.qr_checkin, name="qr_checkin"),
    path("<slug:slug>/", events.event_detail, name="detail"),
    path("<slug:slug>/inscription/", registrations.register, name="register"),
    path("<slug:slug>/modifier/", events.event_edit, name="edit"),
    path("<slug:slug>/inscriptions/", registrations.registrations, name="registrations"),
    path("<slug:slug>/accueil/", checkin.checkin, name="checkin"),
    path("<slug:slug>/accueil/<int:pk>/present/", checkin.checkin_mark, name="checkin_mark"),
    path("<slug:slug>/presences.csv", checkin.attendance_export, name="export"),
    path("<slug:slug>/atelier/points/", workshops.workshop_item_add, name="item_add"),
    path("<slug:slug>/atelier/documents/", workshops.document_add, name="document_add"),
    path("<slug:slug>/atelier/documents/<int:pk>/", workshops.document_download, name="document"),
]
