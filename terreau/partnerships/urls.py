from django.urls import path

from terreau.partnerships import views

app_name = "partnerships"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("proposer/", views.propose, name="propose"),
    path("demandes/<int:pk>/repondre/", views.answer, name="answer"),
    path("suivi/", views.board, name="board"),
    path("suivi/export.csv", views.board_export, name="board_export"),
    path("<int:pk>/", views.detail, name="detail"),
]
