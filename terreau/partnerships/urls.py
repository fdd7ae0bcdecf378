from django.urls import path

from terreau.partnerships import views, workspace_views

app_name = "partnerships"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("proposer/", views.propose, name="propose"),
    path("demandes/<int:pk>/repondre/", views.answer, name="answer"),
    path("suivi/", views.board, name="board"),
    path("suivi/export.csv", views.board_export, name="board_export"),
    path("<int:pk>/", workspace_views.detail, name="detail"),
    path("<int:pk>/etape/", workspace_views.stage, name="stage"),
    path("<int:pk>/messages/", workspace_views.message, name="message"),
    path("<int:pk>/prochaines-etapes/", workspace_views.step_add, name="step_add"),
    path("<int:pk>/prochaines-etapes/<int:step>/", workspace_views.step_done, name="step_done"),
    path("<int:pk>/documents/", workspace_views.document_upload, name="document_upload"),
    path("<int:pk>/documents/<int:document>/", workspace_views.document_download, name="document"),
]
